import type { JsonWebKey } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { Topics } from '@authz/contracts';
import {
  broadcastGroupId,
  CLOCK,
  type Clock,
  type ConsumedEvent,
  EVENT_PUBLISHER,
  EVENT_SUBSCRIBER,
  type EventPublisher,
  type EventSubscriber,
  type Logger,
  SIGNING_KEY_STORE,
  type SigningKeyStore,
  type StoredSigningKey,
  type Subscription,
} from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { type AccessTokenSigner, createJwsSigner, type JwsSigner } from './jws-signer';
import { type KeyEncryption } from './key-encryption';
import { nextActivationAfter, publishedKeysAt, type RotationPolicy, signingKeyAt } from './key-schedule';
import { SigningKeyRotation } from './signing-key-rotation';

export const KEY_ENCRYPTION = Symbol.for('authz.KeyEncryption');

/** The key that signs now (its private half stays inside the signer). */
export type ActiveSigningKey = { kid: string; alg: StoredSigningKey['alg']; publicJwk: Record<string, string> };

type LoadedKey = StoredSigningKey & { signer: JwsSigner };

/** The rotation policy the settings describe (seconds in the settings, milliseconds here). */
export function rotationPolicyOf(settings: Settings): RotationPolicy {
  const policy: RotationPolicy = {
    alg: settings.SIGNING_KEY_ALG,
    rotationIntervalMs: settings.SIGNING_KEY_ROTATION_INTERVAL * 1000,
    jwksMaxAgeMs: settings.JWKS_MAX_AGE * 1000,
    retentionMs: settings.SIGNING_KEY_RETENTION * 1000,
    schedulerIntervalMs: settings.SIGNING_KEY_SCHEDULER_INTERVAL * 1000,
  };
  if (policy.rotationIntervalMs <= policy.jwksMaxAgeMs + policy.schedulerIntervalMs) {
    throw new Error('SIGNING_KEY_ROTATION_INTERVAL must be longer than JWKS_MAX_AGE plus SIGNING_KEY_SCHEDULER_INTERVAL');
  }
  if (settings.SIGNING_KEY_RETENTION < settings.ACCESS_TOKEN_TTL) throw new Error('SIGNING_KEY_RETENTION must be at least ACCESS_TOKEN_TTL');
  return policy;
}

/**
 * One token replica's signing keys.
 *
 * Startup: a rotation pass waiting for the lock (the first replica of a deployment creates the first
 * key), the keys loaded from the store (private halves decrypted once, into signers), then the key
 * topic followed as a broadcast consumer: every lifecycle event makes the replica reload the keys.
 * Each replica runs the scheduler; the rotation lock lets one pass run at a time.
 *
 * Signing reads no database: the replica knows every key's activation time and switches to the new
 * key at that instant (signingKeyAt), so all replicas switch together, whether the activation event
 * has arrived yet or not.
 */
@Injectable()
export class SigningKeysService implements AccessTokenSigner, OnModuleInit, OnModuleDestroy {
  private loaded: LoadedKey[] = [];
  private signer: JwsSigner | undefined;
  /** When signingKeyAt must be computed again (the next activation), in ms. */
  private recomputeAt = Number.NEGATIVE_INFINITY;
  private readonly rotation: SigningKeyRotation;
  private readonly policy: RotationPolicy;
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** Kids whose published event this replica has read. */
  private readonly heardPublished = new Set<string>();

  constructor(
    @Inject(SIGNING_KEY_STORE) private readonly store: SigningKeyStore,
    @Inject(KEY_ENCRYPTION) private readonly encryption: KeyEncryption,
    @Inject(EVENT_PUBLISHER) publisher: EventPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SETTINGS) private readonly settings: Settings,
    /** Absent (some unit tests): the replica learns only from its own passes. */
    @Optional() @Inject(EVENT_SUBSCRIBER) private readonly subscriber?: EventSubscriber,
  ) {
    this.policy = rotationPolicyOf(settings);
    this.rotation = new SigningKeyRotation(store, encryption, publisher, clock, this.policy, logger);
  }

  async onModuleInit(): Promise<void> {
    await this.rotation.rotate({ wait: true, announce: false });
    // Decrypt before announcing anything: a wrong KEY_ENCRYPTION_KEY fails the start here, loudly.
    await this.reload();
    await this.rotation.announce();
    await this.reload();
    if (this.subscriber) {
      this.subscription = await this.subscriber.subscribe({
        groupId: broadcastGroupId(`${this.settings.SERVICE}.signing-keys`, this.settings.INSTANCE_ID),
        topics: [Topics.keys],
        fromBeginning: true,
        handle: (batch) => this.learn(batch),
      });
      await this.subscription.caughtUp();
    }
    this.timer = setInterval(() => void this.tick(), this.policy.schedulerIntervalMs);
    this.timer.unref();
    const current = this.current();
    this.logger.info({ kid: current.kid, alg: current.alg }, 'signing key loaded');
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.subscription?.stop();
    await this.ticking;
  }

  /** One scheduled rotation pass (skipped when another replica holds the lock), then a reload. */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const outcome = await this.rotation.rotate({ wait: false });
        if (outcome) await this.reload();
      } catch (error) {
        this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'signing key rotation pass failed; the next pass retries');
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  /** RFC 9068 access token: a compact JWS of `claims` by the key in use now. */
  signAccessToken(claims: object): string {
    return this.signerNow().sign(claims);
  }

  /** The key in use now. */
  current(): ActiveSigningKey {
    const signer = this.signerNow();
    const key = this.loaded.find((candidate) => candidate.kid === signer.kid)!;
    return { kid: key.kid, alg: key.alg, publicJwk: key.publicJwk };
  }

  /** The JWK Set (RFC 7517 §5): the key in use, the next one, and retired keys whose tokens may still be valid. */
  jwks(): { keys: Array<Record<string, string>> } {
    return { keys: publishedKeysAt(this.loaded, this.clock.now()).map((key) => key.publicJwk) };
  }

  /** Seconds a client may cache the JWK Set (Cache-Control max-age). */
  get jwksMaxAge(): number {
    return this.settings.JWKS_MAX_AGE;
  }

  /** Reads the live keys (one query), decrypting only keys not seen before, and recomputes the key in use. */
  async reload(): Promise<void> {
    const now = this.clock.now();
    const rows = await this.store.listLive(now);
    const known = new Map(this.loaded.map((key) => [key.kid, key.signer]));
    this.loaded = rows.map((row) => ({
      ...row,
      // The event is the proof of publication: the announcing replica records it only after the ack.
      publishedAt: row.publishedAt ?? (this.heardPublished.has(row.kid) ? now : null),
      signer: known.get(row.kid) ?? this.signerFor(row),
    }));
    this.recomputeAt = Number.NEGATIVE_INFINITY;
  }

  /** A batch of key lifecycle events: whatever they say, the rows are the truth; read them again. */
  private async learn(batch: readonly ConsumedEvent[]): Promise<void> {
    for (const { envelope } of batch) {
      if (envelope.type === 'oauth.signing_key.published.v1' || envelope.type === 'oauth.signing_key.published.v2') this.heardPublished.add(envelope.data.kid);
    }
    await this.reload();
  }

  private signerNow(): JwsSigner {
    const now = this.clock.now();
    if (now.getTime() >= this.recomputeAt) {
      this.signer = signingKeyAt(this.loaded, now)?.signer;
      this.recomputeAt = nextActivationAfter(this.loaded, now);
    }
    if (!this.signer) throw new Error('signing keys are not loaded');
    return this.signer;
  }

  private signerFor(row: StoredSigningKey): JwsSigner {
    let privateJwk: JsonWebKey;
    try {
      privateJwk = JSON.parse(this.encryption.decrypt(row.encryptedPrivateJwk)) as JsonWebKey;
    } catch (error) {
      throw new Error(`cannot decrypt signing key ${row.kid}: KEY_ENCRYPTION_KEY is not the key it was encrypted with`, { cause: error });
    }
    return createJwsSigner({ kid: row.kid, alg: row.alg, privateJwk });
  }
}
