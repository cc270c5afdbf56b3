import { type Clock, type TtlStore } from '@authz/ports';

/** The brute-force policy (settings LOGIN_*). Counts are failures within `windowSeconds` of the first one. */
export type LoginThrottlePolicy = {
  windowSeconds: number;
  username: { delayAfter: number; lockoutAfter: number };
  clientIp: { delayAfter: number; lockoutAfter: number };
  maxDelaySeconds: number;
  lockoutSeconds: number;
  /**
   * How long the one-attempt-at-a-time marker of a username may live: longer than any attempt (LDAP
   * connect, search and bind timeouts); it only matters when a process dies in the middle of one.
   */
  inFlightSeconds: number;
};

/** What one attempt is counted under: hashes only (the keys of the TTL store never hold a username or an IP). */
export type LoginCounters = { usernameHash: string; clientIpHash?: string };

export type ThrottleScope = 'username' | 'client_ip';

/** An attempt refused before any bind: the scope that refuses it and until when (epoch ms). */
export type LoginLock = { by: ThrottleScope; until: number };

/**
 * The growing delay after `failures` failures: none below `delayAfter`, then 1, 2, 4, 8… seconds
 * (2^(failures − delayAfter)), at most `maxDelaySeconds`.
 */
export function growingDelaySeconds(failures: number, delayAfter: number, maxDelaySeconds: number): number {
  if (failures < delayAfter) return 0;
  return Math.min(2 ** Math.min(failures - delayAfter, 30), maxDelaySeconds);
}

/**
 * Brute-force counters on the TTL store (Redis; in memory in the embedded mode), per username and per
 * client IP. LDAP is read-only to us, so the lockout is ours.
 *
 * Keys (under the store's prefix): `login:<scope>:<sha256 hash>:failures` (a counter that lives
 * `windowSeconds` from the first failure), `…:wait` (the growing delay: the earliest time of the next
 * attempt), `…:locked` (a lockout of `lockoutSeconds`). Values are epoch milliseconds.
 *
 * - check: the latest `wait` or `locked` of the username and the IP, if any is still in the future.
 * - recordFailure: both counters +1; at `lockoutAfter` a lockout, else from `delayAfter` a growing delay.
 * - recordSuccess: the username's counter and delay are cleared (not the IP's: one valid account must
 *   not reset the count of an address that guesses at others).
 *
 * Attempts refused by check are not counted (no bind happened, nothing was learnt) and do not extend a
 * lockout. Concurrency: once a username has a failure in the window, its attempts run one at a time
 * (`…:inflight`, taken with SET NX; a concurrent attempt is refused like a 1 s delay), so a parallel burst
 * cannot outrun the counter. A username without failures is not serialized (a double submit of a correct
 * password must not be refused), so the very first burst against a fresh username may exceed the delay
 * threshold by its size, once per window; the IP counter has the same property per address.
 * Any store failure rejects with TtlStoreUnavailableError (the caller fails closed).
 */
export class LoginThrottle {
  constructor(
    private readonly store: TtlStore,
    private readonly policy: LoginThrottlePolicy,
    private readonly clock: Clock,
  ) {}

  /** The lock that refuses this attempt, if any, and the username's failures so far. */
  async check(counters: LoginCounters): Promise<{ lock: LoginLock | null; usernameFailures: number }> {
    const now = this.now();
    const scopes = this.scopes(counters);
    const [failures, ...values] = await Promise.all([
      this.store.get(`${usernameKey(counters.usernameHash)}:failures`),
      ...scopes.flatMap(({ key }) => [this.store.get(`${key}:locked`), this.store.get(`${key}:wait`)]),
    ]);
    let lock: LoginLock | null = null;
    scopes.forEach(({ by }, index) => {
      for (const value of [values[2 * index], values[2 * index + 1]]) {
        const until = value === null || value === undefined ? Number.NaN : Number(value);
        if (Number.isFinite(until) && until > now && (lock === null || until > lock.until)) lock = { by, until };
      }
    });
    return { lock, usernameFailures: Number(failures ?? 0) || 0 };
  }

  /** Takes the username's one-attempt-at-a-time marker; false when another attempt holds it. */
  acquire(counters: LoginCounters): Promise<boolean> {
    return this.store.setIfAbsent(`${usernameKey(counters.usernameHash)}:inflight`, '1', this.policy.inFlightSeconds * 1000);
  }

  release(counters: LoginCounters): Promise<void> {
    return this.store.delete(`${usernameKey(counters.usernameHash)}:inflight`);
  }

  /** Counts a failed attempt; returns the username's failures within the window, this one included. */
  async recordFailure(counters: LoginCounters): Promise<{ usernameFailures: number }> {
    const now = this.now();
    const windowMs = this.policy.windowSeconds * 1000;
    const scopes = this.scopes(counters);
    const failures = await Promise.all(scopes.map(({ key }) => this.store.increment(`${key}:failures`, windowMs)));
    await Promise.all(
      scopes.map(({ key, thresholds }, index) => {
        const count = failures[index]!;
        if (count >= thresholds.lockoutAfter) {
          const lockoutMs = this.policy.lockoutSeconds * 1000;
          return this.store.set(`${key}:locked`, String(now + lockoutMs), lockoutMs);
        }
        const delayMs = growingDelaySeconds(count, thresholds.delayAfter, this.policy.maxDelaySeconds) * 1000;
        return delayMs > 0 ? this.store.set(`${key}:wait`, String(now + delayMs), delayMs) : undefined;
      }),
    );
    return { usernameFailures: failures[0]! };
  }

  async recordSuccess(counters: LoginCounters): Promise<void> {
    const key = usernameKey(counters.usernameHash);
    await Promise.all([this.store.delete(`${key}:failures`), this.store.delete(`${key}:wait`)]);
  }

  private scopes(counters: LoginCounters) {
    const scopes: Array<{ by: ThrottleScope; key: string; thresholds: { delayAfter: number; lockoutAfter: number } }> = [
      { by: 'username', key: usernameKey(counters.usernameHash), thresholds: this.policy.username },
    ];
    if (counters.clientIpHash !== undefined) scopes.push({ by: 'client_ip', key: `login:ip:${counters.clientIpHash}`, thresholds: this.policy.clientIp });
    return scopes;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function usernameKey(usernameHash: string): string {
  return `login:username:${usernameHash}`;
}
