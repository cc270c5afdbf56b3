import type { webcrypto } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { importJWK, type JWK } from 'jose';
import { type Envelope, type SigningAlgorithm, Topics } from '@authz/contracts';
import { broadcastGroupId, type ConsumedEvent, EVENT_SUBSCRIBER, type EventSubscriber, type Logger, type Subscription } from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';

/** A public key tokens may be verified with, and the one algorithm it verifies. */
export type VerificationKey = { key: webcrypto.CryptoKey; alg: SigningAlgorithm };

/**
 * The public signing keys, learnt from the key topic. Every replica reads the topic from its start as
 * its own consumer group (broadcast), so each one knows every key; it is ready once it has caught up
 * with the topic as of its start.
 *
 *  - published (v1: ES256, v2: any algorithm): the key verifies from now on;
 *  - activated, retired: nothing changes here (a retired key's tokens verify until they expire);
 *  - revoked: the key is dropped at once, so its tokens are inactive, and never learnt again.
 */
@Injectable()
export class KeyRingService implements OnModuleInit, OnModuleDestroy {
  private readonly keys = new Map<string, VerificationKey>();
  private readonly revoked = new Set<string>();
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

  find(kid: string): VerificationKey | undefined {
    return this.keys.get(kid);
  }

  private async apply(batch: readonly ConsumedEvent[]): Promise<void> {
    for (const { envelope } of batch) await this.applyOne(envelope);
  }

  private async applyOne(envelope: Envelope): Promise<void> {
    switch (envelope.type) {
      case 'oauth.signing_key.published.v1':
      case 'oauth.signing_key.published.v2': {
        const { kid, alg, publicJwk } = envelope.data;
        if (this.keys.has(kid) || this.revoked.has(kid)) return;
        this.keys.set(kid, { key: (await importJWK(publicJwk as JWK, alg)) as webcrypto.CryptoKey, alg });
        this.logger.info({ kid, alg }, 'signing key learnt');
        return;
      }
      case 'oauth.signing_key.revoked.v1': {
        const { kid } = envelope.data;
        this.revoked.add(kid);
        if (this.keys.delete(kid)) this.logger.warn({ kid }, 'signing key revoked: its tokens are inactive');
        return;
      }
      default:
        return;
    }
  }
}
