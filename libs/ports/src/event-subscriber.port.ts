import type { Envelope } from '@authz/contracts';

/** One event as read from the log, with its position. Offsets are decimal strings (Kafka int64). */
export type ConsumedEvent = {
  envelope: Envelope;
  topic: string;
  partition: number;
  offset: string;
};

export type SubscriptionOptions = {
  /**
   * Consumer group. Replicas sharing a group id share the partitions (work queue); a group id per
   * replica (see `broadcastGroupId`) makes every replica see every event (broadcast).
   */
  groupId: string;
  /** Topic names (contracts' Topics, possibly with the deployment's prefix). */
  topics: readonly string[];
  /** Where a group with no committed position starts. */
  fromBeginning: boolean;
  /**
   * Does the work for a batch of events of one partition, in log order. The position is committed only
   * after it resolves. It must be idempotent: after a crash a batch may be delivered again.
   * A rejection is retried (`maxRetries`, with backoff); after that each event of the batch is retried
   * alone and the ones that still fail go to the dead-letter topic, so one poison message cannot stop the group.
   * A rejection with one of the ports' *UnavailableError (a dependency is down) is not poison: it is
   * retried with backoff (capped at 5 s) until it succeeds or the subscription stops, never dead-lettered.
   */
  handle(batch: readonly ConsumedEvent[]): Promise<void>;
  maxRetries?: number;
  /**
   * For a consumer whose own store holds its position (a projection keeps it in the same transaction
   * as its rows): the next offset to read on a partition, or null to keep the group's committed one.
   * Applied when the subscription starts and no other member of the group is running (a running
   * member shares the same store). The store wins over the log's committed offset, so a database
   * restored from a backup is caught up from where it stands instead of silently missing events.
   */
  startFrom?: (topic: string, partition: number) => Promise<string | null>;
};

export interface Subscription {
  /**
   * Resolves when every event that was in the subscribed topics when the subscription started
   * has been handled (the group caught up with the log as of its start).
   */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface EventSubscriber {
  subscribe(options: SubscriptionOptions): Promise<Subscription>;
}

/** A group id unique to this process, for broadcast consumption. */
export function broadcastGroupId(name: string, instanceId: string): string {
  return `${name}.broadcast.${instanceId}`;
}
