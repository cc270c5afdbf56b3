/**
 * Validates a TtlStore ttl: a whole number of milliseconds, at least 1 (Redis PX refuses 0 and
 * fractions; a zero or negative ttl is a bug at the call site, not a value to store forever or never).
 */
export function assertTtlMs(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`ttlMs must be a whole number of milliseconds >= 1, got ${ttlMs}`);
  return ttlMs;
}
