/**
 * Knows when a subscription has handled everything that was in its partitions when it started:
 * each partition (any string key, e.g. `topic:partition`) has a target (the log end captured at
 * subscribe time) and a position (the next offset to handle, i.e. the committed offset). It is caught
 * up once every position reached its target; partitions that start at or past it count as caught up.
 */
export class CaughtUpTracker {
  /** Partitions still behind, with their target. */
  private readonly behind = new Map<string, bigint>();
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(partitions: Iterable<{ key: string; position: bigint; target: bigint }>) {
    for (const { key, position, target } of partitions) if (position < target) this.behind.set(key, target);
  }

  get caughtUp(): boolean {
    return this.behind.size === 0;
  }

  /** Partitions still behind, for logs. */
  lagging(): string[] {
    return [...this.behind.keys()];
  }

  /** Records that `key` has been handled up to (excluding) `position`. */
  advance(key: string, position: bigint): void {
    const target = this.behind.get(key);
    if (target === undefined || position < target) return;
    this.behind.delete(key);
    if (this.behind.size === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
  }

  wait(): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Rejects current and future waiters (the subscription stopped before catching up). */
  abort(error: Error): void {
    if (this.caughtUp) return;
    this.failure = error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
