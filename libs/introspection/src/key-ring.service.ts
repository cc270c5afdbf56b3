import type { webcrypto } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { importJWK } from 'jose';
import { Topics } from '@authz/contracts';
import { broadcastGroupId, type ConsumedEvent, EVENT_SUBSCRIBER, type EventSubscriber, type Logger, type Subscription } from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';

/**
 * The public signing keys, learnt from oauth.signing_key.published.v1. Every replica reads the key
 * topic from its start as its own consumer group (broadcast), so each one knows every key; it is
 * ready once it has caught up with the topic as of its start.
 */
@Injectable()
export class KeyRingService implements OnModuleInit, OnModuleDestroy {
  private readonly keys = new Map<string, webcrypto.CryptoKey>();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_SUBSCRIBER) private readonly subscriber: EventSubscriber,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.subscriber.subscribe({
      groupId: broadcastGroupId(`${this.settings.SERVICE}.keys`, this.settings.INSTANCE_ID),
      topics: [Topics.keys],
      fromBeginning: true,
      handle: (batch) => this.apply(batch),
    });
    await this.subscription.caughtUp();
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  find(kid: string): webcrypto.CryptoKey | undefined {
    return this.keys.get(kid);
  }

  private async apply(batch: readonly ConsumedEvent[]): Promise<void> {
    for (const { envelope } of batch) {
      if (envelope.type !== 'oauth.signing_key.published.v1' || this.keys.has(envelope.data.kid)) continue;
      this.keys.set(envelope.data.kid, (await importJWK(envelope.data.publicJwk, 'ES256')) as webcrypto.CryptoKey);
      this.logger.info({ kid: envelope.data.kid }, 'signing key learnt');
    }
  }
}
