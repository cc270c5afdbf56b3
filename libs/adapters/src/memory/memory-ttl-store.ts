import { TtlStoreUnavailableError, systemClock, type ClaimResult, type Clock, type TtlStore } from '@authz/ports';
import { assertTtlMs } from '../ttl/ttl-ms';

export type MemoryTtlStoreOptions = {
  /** Decides expiry (default: the system clock); tests pass a fake one. */
  clock?: Clock;
  /** How often a timer removes expired entries (default 30 000 ms; 0: never, only on access and on growth). */
  sweepIntervalMs?: number;
};

type Entry = { value: string; expiresAt: number };

/** Below this size, growth never triggers a sweep (the timer still runs). */
const MIN_SWEEP_SIZE = 1024;

/**
 * TtlStore in this process's memory: the embedded (all-in-one) mode and tests. Same semantics as
 * RedisTtlStore; every operation is atomic because it runs to completion on the event loop.
 *
 * Memory stays bounded by the live entries: an expired entry goes when it is read, when a timer sweeps
 * (unref'd: it never keeps the process alive), and when the map has doubled since the last sweep (so a
 * fake clock that never fires timers cannot make it grow without end either).
 */
export class MemoryTtlStore implements TtlStore {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly timer: NodeJS.Timeout | undefined;
  private sweepAtSize = MIN_SWEEP_SIZE;
  private closed = false;

  constructor(options: MemoryTtlStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const interval = options.sweepIntervalMs ?? 30_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.sweep(), interval);
      this.timer.unref();
    }
  }

  /** Number of entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(key, this.now())?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.put(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    assertTtlMs(ttlMs);
    if (this.live(key, this.now()) !== undefined) return false;
    this.put(key, value, ttlMs);
    return true;
  }

  async take(key: string): Promise<string | null> {
    this.assertOpen();
    const entry = this.live(key, this.now());
    if (entry === undefined) return null;
    this.entries.delete(key);
    return entry.value;
  }

  async replace(key: string, value: string, ttlMs: number): Promise<string | null> {
    this.assertOpen();
    assertTtlMs(ttlMs);
    const previous = this.live(key, this.now());
    this.put(key, value, ttlMs);
    return previous === undefined ? null : previous.value;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    this.assertOpen();
    if (this.live(key, this.now())?.value !== value) return false;
    this.entries.delete(key);
    return true;
  }

  async claim(claimKey: string, claim: string, ttlMs: number, valueKey: string): Promise<ClaimResult> {
    this.assertOpen();
    assertTtlMs(ttlMs);
    const now = this.now();
    if (this.live(claimKey, now) !== undefined) return { outcome: 'taken' };
    const value = this.live(valueKey, now)?.value;
    if (value === undefined) return { outcome: 'missing' };
    this.put(claimKey, claim, ttlMs);
    return { outcome: 'claimed', value };
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    this.assertOpen();
    assertTtlMs(ttlMs);
    const entry = this.live(key, this.now());
    if (entry === undefined) {
      this.put(key, '1', ttlMs);
      return 1;
    }
    // Redis INCR's rule: the value must be a 64-bit signed integer in decimal (kept within JS's exact range here).
    const current = /^-?\d{1,16}$/.test(entry.value) ? Number(entry.value) : Number.NaN;
    if (!Number.isSafeInteger(current) || !Number.isSafeInteger(current + 1)) throw new Error('value is not an integer or out of range');
    entry.value = String(current + 1);
    return current + 1;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.entries.delete(key);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  /** Drops every entry and stops the sweep timer. Idempotent; afterwards every call rejects with TtlStoreUnavailableError. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.entries.clear();
  }

  /** Removes the expired entries now; returns how many. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        removed += 1;
      }
    }
    this.sweepAtSize = Math.max(MIN_SWEEP_SIZE, this.entries.size * 2);
    return removed;
  }

  private put(key: string, value: string, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: this.now() + assertTtlMs(ttlMs) });
    if (this.entries.size >= this.sweepAtSize) this.sweep();
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private assertOpen(): void {
    if (this.closed) throw new TtlStoreUnavailableError('the in-memory TTL store is closed');
  }
}
