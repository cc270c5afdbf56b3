import type { EventSubscriber, Subscription, SubscriptionOptions } from '@authz/ports';

/**
 * Puts KAFKA_TOPIC_PREFIX in front of the topics and the group id of every subscription, so several
 * environments (or test runs) can share one cluster without seeing each other's events.
 */
export class PrefixedEventSubscriber implements EventSubscriber {
  constructor(
    private readonly inner: EventSubscriber,
    private readonly prefix: string,
  ) {}

  subscribe(options: SubscriptionOptions): Promise<Subscription> {
    if (!this.prefix) return this.inner.subscribe(options);
    return this.inner.subscribe({
      ...options,
      groupId: `${this.prefix}${options.groupId}`,
      topics: options.topics.map((topic) => `${this.prefix}${topic}`),
    });
  }
}
