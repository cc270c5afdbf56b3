/**
 * Short-lived values: authorization codes, counters, locks, jti replay markers (Redis, or an in-memory
 * twin in the all-in-one mode). Keys must never contain a secret value: use its hash.
 * An unreachable store rejects with TtlStoreUnavailableError.
 */
export interface TtlStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the key only if it does not exist; true when this call set it. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Returns the value and deletes the key atomically (single-use values). */
  take(key: string): Promise<string | null>;
  /**
   * Sets the key to `value` with the ttl and returns what it held before (null when missing or expired),
   * atomically: of concurrent callers exactly one sees the earlier value (SET … PX … GET).
   */
  replace(key: string, value: string, ttlMs: number): Promise<string | null>;
  /**
   * Deletes the key only if it holds exactly `value`, atomically; true when this call deleted it (the
   * owner of a marker withdraws its own, never another caller's).
   */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Claims a single-use value, atomically: when `claimKey` exists, 'taken' and nothing changes; else when
   * `valueKey` is missing (or expired), 'missing' and nothing changes; else `claimKey` is set to `claim`
   * with the ttl and the result is 'claimed' with valueKey's value. Of concurrent callers exactly one
   * claims. One round trip (Redis: one script; both keys must be in one hash slot under Redis Cluster).
   */
  claim(claimKey: string, claim: string, ttlMs: number, valueKey: string): Promise<ClaimResult>;
  /** Increments a counter, creating it with the ttl when it does not exist; returns the new value. */
  increment(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What TtlStore.claim found (see there). */
export type ClaimResult = { outcome: 'claimed'; value: string } | { outcome: 'taken' } | { outcome: 'missing' };

export class TtlStoreUnavailableError extends Error {
  override readonly name = 'TtlStoreUnavailableError';
}
