import type { webcrypto } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { randomIdentifier } from '@authz/oauth';
import { CLOCK, type Clock, EVENT_PUBLISHER, type EventPublisher, type Logger, SIGNING_KEY_STORE, type SigningKeyStore, type StoredSigningKey } from '@authz/ports';
import { LOGGER } from '@authz/platform';
import { type KeyEncryption } from './key-encryption';

export const KEY_ENCRYPTION = Symbol.for('authz.KeyEncryption');

export type ActiveSigningKey = { kid: string; privateKey: webcrypto.CryptoKey; publicJwk: JWK };

/**
 * The token service's ES256 signing key. At startup: use the active key, or create one (several
 * replicas starting at once agree on one through the store), then announce its public half with
 * oauth.signing_key.published.v1 before any token is signed with it.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private active?: ActiveSigningKey;
  private publicKeys: JWK[] = [];

  constructor(
    @Inject(SIGNING_KEY_STORE) private readonly store: SigningKeyStore,
    @Inject(KEY_ENCRYPTION) private readonly encryption: KeyEncryption,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const stored = (await this.store.findActive()) ?? (await this.store.insertActiveIfNone(await this.generate()));
    if (!stored.publishedAt) await this.publish(stored);
    const privateJwk = JSON.parse(this.decrypt(stored)) as JWK;
    const privateKey = (await importJWK(privateJwk, 'ES256')) as webcrypto.CryptoKey;
    this.active = { kid: stored.kid, privateKey, publicJwk: stored.publicJwk };
    this.publicKeys = [stored.publicJwk];
    this.logger.info({ kid: stored.kid }, 'signing key loaded');
  }

  private decrypt(stored: StoredSigningKey): string {
    try {
      return this.encryption.decrypt(stored.encryptedPrivateJwk);
    } catch (error) {
      throw new Error(`cannot decrypt signing key ${stored.kid}: KEY_ENCRYPTION_KEY is not the key it was encrypted with`, { cause: error });
    }
  }

  current(): ActiveSigningKey {
    if (!this.active) throw new Error('signing keys are not loaded');
    return this.active;
  }

  /** The JWK Set (RFC 7517 §5) of the public keys tokens may be verified with. */
  jwks(): { keys: JWK[] } {
    return { keys: this.publicKeys };
  }

  private async generate(): Promise<StoredSigningKey> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomIdentifier();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } as unknown as Record<string, string>;
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
    return {
      kid,
      alg: 'ES256',
      publicJwk,
      encryptedPrivateJwk: this.encryption.encrypt(JSON.stringify(privateJwk)),
      createdAt: this.clock.now(),
      publishedAt: null,
    };
  }

  private async publish(key: StoredSigningKey): Promise<void> {
    const { kty, crv, x, y } = key.publicJwk;
    await this.publisher.publish({
      type: 'oauth.signing_key.published.v1',
      subject: key.kid,
      data: {
        kid: key.kid,
        alg: 'ES256',
        publicJwk: { kty: kty as 'EC', crv: crv as 'P-256', x: x!, y: y!, kid: key.kid, alg: 'ES256', use: 'sig' },
        createdAt: Math.floor(key.createdAt.getTime() / 1000),
      },
    });
    await this.store.markPublished(key.kid, this.clock.now());
  }
}
