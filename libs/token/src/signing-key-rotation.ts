import type { JsonWebKey } from 'node:crypto';
import type { DomainEvent, SigningKeyStatus } from '@authz/contracts';
import { randomIdentifier } from '@authz/oauth';
import type { Clock, EventPublisher, Logger, SigningKeyStore, SigningKeyTransaction, StoredSigningKey } from '@authz/ports';
import { generateSigningKeyPair } from './jws-signer';
import type { KeyEncryption } from './key-encryption';
import { pendingAnnouncements, planManualRotation, planRevocation, planRotation, type RotationPlan, type RotationPolicy } from './key-schedule';

/** What a pass changed (logs, the keys CLI, tests). */
export type RotationOutcome = { created: string | null; activated: string[]; retired: string[]; revoked: string[] };

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Runs the key lifecycle against the store and the log, for the token replicas' scheduler and the
 * keys CLI. A pass decides and writes under the deployment-wide rotation lock (one replica at a time),
 * then announces: it sends the lifecycle events the log has not acknowledged yet (an outbox: a failed
 * send is retried by the next pass) and records them. An event may be sent twice (two passes racing
 * on the announcement); consumers are idempotent by kid.
 */
export class SigningKeyRotation {
  constructor(
    private readonly store: SigningKeyStore,
    private readonly encryption: KeyEncryption,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly policy: RotationPolicy,
    private readonly logger: Logger,
  ) {}

  /**
   * One scheduled pass. With `wait: false` (the scheduler) it gives up at once when another replica
   * holds the lock and resolves null; with `wait: true` (startup, the CLI) it waits for its turn.
   */
  async rotate(options: { wait: boolean; announce?: boolean }): Promise<RotationOutcome | null> {
    const outcome = await this.store.withRotationLock((tx) => this.applyPlan(tx, async (keys) => planRotation(keys, this.clock.now(), this.policy)), options);
    if (outcome === null) return null;
    this.logChanges(outcome, 'signing keys rotated');
    if (options.announce !== false) await this.announce();
    return outcome;
  }

  /** An operator's rotation: a new key published now, signing one JWKS cache lifetime later (none if one is pending). */
  async rotateNow(): Promise<RotationOutcome> {
    const outcome = (await this.store.withRotationLock((tx) => this.applyPlan(tx, async (keys) => planManualRotation(keys, this.clock.now(), this.policy)), { wait: true }))!;
    this.logChanges(outcome, 'signing key rotation scheduled');
    await this.announce();
    return outcome;
  }

  /** Emergency: revokes `kid` now, activates a replacement at once when needed, and announces both. */
  async revoke(kid: string): Promise<RotationOutcome> {
    const outcome = (await this.store.withRotationLock((tx) => this.applyPlan(tx, async (keys) => planRevocation(keys, kid, this.clock.now())), { wait: true }))!;
    this.logChanges(outcome, 'signing key revoked');
    await this.announce();
    return outcome;
  }

  /**
   * Sends each key's lifecycle events the log has not acknowledged, in order, and records them. A
   * pending key's activation is first pushed to at least one JWKS cache lifetime after its announcement.
   */
  async announce(): Promise<void> {
    // Oldest first, revocations last: a replica that reads a revocation finds the replacement announced.
    const keys = (await this.store.listAll()).reverse();
    for (const key of [...keys.filter((candidate) => candidate.status !== 'revoked'), ...keys.filter((candidate) => candidate.status === 'revoked')]) {
      const owed = pendingAnnouncements(key);
      if (owed.length === 0) {
        if (key.announced !== key.status && key.status === 'revoked') await this.store.update(key.kid, { announced: 'revoked' });
        continue;
      }
      let current = key;
      if (key.status === 'pending' && key.publishedAt === null) {
        const earliest = new Date(this.clock.now().getTime() + this.policy.jwksMaxAgeMs);
        if (!key.activatesAt || key.activatesAt < earliest) {
          current = { ...key, activatesAt: earliest };
          await this.store.update(key.kid, { activatesAt: earliest });
        }
      }
      for (const state of owed) {
        await this.publisher.publish(this.eventFor(current, state));
        await this.store.update(key.kid, state === 'pending' ? { announced: state, publishedAt: this.clock.now() } : { announced: state });
        this.logger.info({ kid: key.kid, state }, 'signing key lifecycle announced');
      }
    }
  }

  private async applyPlan(tx: SigningKeyTransaction, decide: (keys: StoredSigningKey[]) => Promise<RotationPlan>): Promise<RotationOutcome> {
    const keys = await tx.list();
    const plan = await decide(keys);
    const outcome: RotationOutcome = { created: null, activated: [], retired: [], revoked: [] };
    for (const { kid, changes } of plan.updates) {
      await tx.update(kid, changes);
      if (changes.status === 'active') outcome.activated.push(kid);
      if (changes.status === 'retired') outcome.retired.push(kid);
      if (changes.status === 'revoked') outcome.revoked.push(kid);
    }
    if (plan.create) {
      const key = await this.generate(plan.create.status, plan.create.activatesAt);
      await tx.insert(key);
      outcome.created = key.kid;
      if (key.status === 'active') outcome.activated.push(key.kid);
    }
    return outcome;
  }

  private async generate(status: 'pending' | 'active', activatesAt: Date): Promise<StoredSigningKey> {
    const kid = randomIdentifier();
    const { publicJwk, privateJwk } = await generateSigningKeyPair(this.policy.alg, kid);
    return {
      kid,
      alg: this.policy.alg,
      status,
      publicJwk,
      encryptedPrivateJwk: this.encryption.encrypt(JSON.stringify(privateJwk satisfies JsonWebKey)),
      createdAt: this.clock.now(),
      publishedAt: null,
      activatesAt,
      retiredAt: null,
      unpublishAt: null,
      revokedAt: null,
      announced: null,
    };
  }

  private eventFor(key: StoredSigningKey, state: SigningKeyStatus): DomainEvent {
    switch (state) {
      case 'pending':
        return publishedEvent(key);
      case 'active':
        return { type: 'oauth.signing_key.activated.v1', subject: key.kid, data: { kid: key.kid, alg: key.alg, activatedAt: seconds(key.activatesAt!) } };
      case 'retired':
        return {
          type: 'oauth.signing_key.retired.v1',
          subject: key.kid,
          data: { kid: key.kid, retiredAt: seconds(key.retiredAt!), unpublishAt: seconds(key.unpublishAt ?? key.retiredAt!) },
        };
      case 'revoked':
        return { type: 'oauth.signing_key.revoked.v1', subject: key.kid, data: { kid: key.kid, revokedAt: seconds(key.revokedAt!) } };
    }
  }

  private logChanges(outcome: RotationOutcome, message: string): void {
    if (outcome.created || outcome.activated.length + outcome.retired.length + outcome.revoked.length > 0) this.logger.info({ ...outcome }, message);
  }
}

/** published.v1 for ES256 keys (what every consumer already reads), published.v2 for the other algorithms. */
function publishedEvent(key: StoredSigningKey): DomainEvent {
  const createdAt = seconds(key.createdAt);
  const jwk = key.publicJwk;
  if (key.alg === 'ES256') {
    return {
      type: 'oauth.signing_key.published.v1',
      subject: key.kid,
      data: { kid: key.kid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: key.kid, alg: 'ES256', use: 'sig' }, createdAt },
    };
  }
  const publicJwk =
    key.alg === 'EdDSA'
      ? { kty: 'OKP' as const, crv: 'Ed25519' as const, x: jwk.x!, kid: key.kid, alg: 'EdDSA' as const, use: 'sig' as const }
      : { kty: 'RSA' as const, n: jwk.n!, e: jwk.e!, kid: key.kid, alg: key.alg, use: 'sig' as const };
  return { type: 'oauth.signing_key.published.v2', subject: key.kid, data: { kid: key.kid, alg: key.alg, publicJwk, createdAt } };
}
