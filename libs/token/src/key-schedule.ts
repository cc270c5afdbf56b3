import type { SigningAlgorithm, SigningKeyStatus } from '@authz/contracts';
import type { SigningKeyChanges, StoredSigningKey } from '@authz/ports';

/** How keys rotate (from the settings; all durations in milliseconds). */
export type RotationPolicy = {
  /** The algorithm of new keys. A key of another algorithm is rotated out at the next pass. */
  alg: SigningAlgorithm;
  /** How long a key signs before its successor takes over. */
  rotationIntervalMs: number;
  /** The JWK Set's Cache-Control max-age: a key is published at least this long before it signs. */
  jwksMaxAgeMs: number;
  /** How long a retired key stays published (at least the longest access-token lifetime). */
  retentionMs: number;
  /** How often each replica runs a rotation pass. */
  schedulerIntervalMs: number;
};

/** What one rotation pass decided: keys to create and changes to existing ones. */
export type RotationPlan = {
  create?: { status: 'pending' | 'active'; activatesAt: Date };
  updates: Array<{ kid: string; changes: SigningKeyChanges }>;
};

const ORDER: Record<SigningKeyStatus, number> = { pending: 0, active: 1, retired: 2, revoked: 3 };

const time = (date: Date | null): number => date?.getTime() ?? Number.NaN;

/**
 * The key that signs at `now`: announced, not retired or revoked, activation time reached; the latest
 * such activation wins. Every replica computes the same answer from the same rows and clock, so they
 * all switch at the activation instant, whatever the row's status says yet.
 */
export function signingKeyAt<K extends StoredSigningKey>(keys: readonly K[], now: Date): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (key.publishedAt === null || (key.status !== 'pending' && key.status !== 'active')) continue;
    if (!(time(key.activatesAt) <= now.getTime())) continue;
    if (!best || time(key.activatesAt) > time(best.activatesAt)) best = key;
  }
  return best;
}

/** The next instant after `now` at which signingKeyAt changes (a scheduled activation), or Infinity. */
export function nextActivationAfter(keys: readonly StoredSigningKey[], now: Date): number {
  let next = Number.POSITIVE_INFINITY;
  for (const key of keys) {
    if (key.publishedAt === null || (key.status !== 'pending' && key.status !== 'active')) continue;
    const at = time(key.activatesAt);
    if (at > now.getTime() && at < next) next = at;
  }
  return next;
}

/**
 * The keys of the JWK Set at `now`: announced, not revoked, and (when retired) not yet past
 * unpublishAt; the signing key first, then the pending one, then retired ones, newest first.
 */
export function publishedKeysAt<K extends StoredSigningKey>(keys: readonly K[], now: Date): K[] {
  const current = signingKeyAt(keys, now);
  const rank = (key: K) => (key === current ? 0 : (key.status === 'pending' || key.status === 'active') && time(key.activatesAt) > now.getTime() ? 1 : 2);
  return keys
    .filter((key) => key.publishedAt !== null && key.status !== 'revoked' && !(time(key.unpublishAt) <= now.getTime()))
    .sort((a, b) => rank(a) - rank(b) || (time(b.activatesAt) || 0) - (time(a.activatesAt) || 0));
}

/**
 * One rotation pass (run by the replica holding the rotation lock):
 *  1. a pending key whose activation time has come becomes active; the keys it replaces retire at
 *     that instant and stay published for `retentionMs`;
 *  2. with no key able to sign, the pending key (if any) is activated at once, else a key is created
 *     active (first start: nobody can have cached a JWK Set without it);
 *  3. with no pending key and the active one due for rotation (its interval ends within one JWKS cache
 *     lifetime plus one pass), a pending key is created to activate at the end of the interval, and at
 *     least one JWKS cache lifetime from now. An active key of another algorithm than the policy's is due now.
 */
export function planRotation(keys: readonly StoredSigningKey[], now: Date, policy: RotationPolicy): RotationPlan {
  const plan: RotationPlan = { updates: [] };
  const live = keys.filter((key) => key.status !== 'revoked' && key.status !== 'retired');
  const dueNow = live.filter((key) => key.status === 'pending' && key.publishedAt !== null && time(key.activatesAt) <= now.getTime());
  const latestDue = dueNow.reduce<StoredSigningKey | undefined>((best, key) => (!best || time(key.activatesAt) > time(best.activatesAt) ? key : best), undefined);

  let active = live.filter((key) => key.status === 'active').sort((a, b) => time(b.activatesAt) - time(a.activatesAt))[0];
  const pending = live.find((key) => key.status === 'pending' && key !== latestDue && !dueNow.includes(key));

  if (latestDue) {
    const retiredAt = latestDue.activatesAt!;
    for (const key of live) {
      if (key === latestDue || (key.status === 'pending' && !dueNow.includes(key))) continue;
      // An active key is replaced at the instant its successor activates (replicas switched then).
      plan.updates.push({ kid: key.kid, changes: { status: 'retired', retiredAt, unpublishAt: new Date(retiredAt.getTime() + policy.retentionMs) } });
    }
    // After the retirements: at most one key is active at a time (a unique index holds it).
    plan.updates.push({ kid: latestDue.kid, changes: { status: 'active' } });
    active = latestDue;
  }

  if (!active) {
    if (pending) {
      plan.updates.push({ kid: pending.kid, changes: { status: 'active', activatesAt: now } });
      return plan;
    }
    plan.create = { status: 'active', activatesAt: now };
    return plan;
  }

  if (!pending) {
    const dueAt = active.alg === policy.alg ? time(active.activatesAt) + policy.rotationIntervalMs : now.getTime();
    if (now.getTime() >= dueAt - policy.jwksMaxAgeMs - policy.schedulerIntervalMs) {
      plan.create = { status: 'pending', activatesAt: new Date(Math.max(dueAt, now.getTime() + policy.jwksMaxAgeMs)) };
    }
  }
  return plan;
}

/**
 * Emergency revocation of `kid`: revoked at `now`. When no other key can sign then (it was the key in
 * use), a replacement signs at once: the pending key if there is one (already published), else a new key.
 */
export function planRevocation(keys: readonly StoredSigningKey[], kid: string, now: Date): RotationPlan {
  const target = keys.find((key) => key.kid === kid);
  if (!target) throw new UnknownSigningKeyError(`no signing key ${kid}`);
  if (target.status === 'revoked') throw new UnknownSigningKeyError(`signing key ${kid} is revoked already`);
  const plan: RotationPlan = { updates: [{ kid, changes: { status: 'revoked', revokedAt: now } }] };
  const remaining = keys.filter((key) => key.kid !== kid);
  if (signingKeyAt(remaining, now)) return plan;
  const pending = remaining.find((key) => key.status === 'pending');
  if (pending) plan.updates.push({ kid: pending.kid, changes: { status: 'active', activatesAt: now } });
  else plan.create = { status: 'active', activatesAt: now };
  return plan;
}

/**
 * An operator's rotation (`keys rotate`): a new pending key now, to sign one JWKS cache lifetime from
 * now, unless one is pending already (then nothing changes).
 */
export function planManualRotation(keys: readonly StoredSigningKey[], now: Date, policy: RotationPolicy): RotationPlan {
  if (keys.some((key) => key.status === 'pending')) return { updates: [] };
  return { create: { status: 'pending', activatesAt: new Date(now.getTime() + policy.jwksMaxAgeMs) }, updates: [] };
}

export class UnknownSigningKeyError extends Error {
  override readonly name = 'UnknownSigningKeyError';
}

/**
 * The lifecycle events a key still owes the log, in order: from the state after `announced` up to its
 * status, skipping the states it never went through. A key revoked before it was ever announced owes nothing.
 */
export function pendingAnnouncements(key: StoredSigningKey): SigningKeyStatus[] {
  if (key.announced === key.status) return [];
  if (key.announced === null && key.status === 'revoked') return [];
  const from = key.announced === null ? -1 : ORDER[key.announced];
  const activated = key.activatesAt !== null && (key.status === 'active' || key.retiredAt !== null || (key.status === 'revoked' && key.activatesAt <= (key.revokedAt ?? key.activatesAt)));
  const happened: Record<SigningKeyStatus, boolean> = { pending: true, active: activated, retired: key.retiredAt !== null, revoked: key.status === 'revoked' };
  return (['pending', 'active', 'retired', 'revoked'] as const).filter((state) => ORDER[state] > from && ORDER[state] <= ORDER[key.status] && happened[state]);
}
