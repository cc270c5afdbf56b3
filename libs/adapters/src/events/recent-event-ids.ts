/**
 * The ids of the events a subscription handled most recently, bounded (least recently seen dropped
 * first). Lets a consumer skip an event the log delivers again (a batch redelivered after a rebalance
 * or a failed commit) without asking the handler to notice. Handlers must still be idempotent: the set
 * lives in one process and forgets.
 */
export class RecentEventIds {
  private readonly ids = new Map<string, true>();

  constructor(private readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  has(id: string): boolean {
    if (!this.ids.has(id)) return false;
    // Refresh: a Map iterates in insertion order, so re-inserting makes this id the youngest.
    this.ids.delete(id);
    this.ids.set(id, true);
    return true;
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
