/**
 * Groups items handed in one by one into batches for a `send` function, the way a Kafka producer's
 * `linger.ms` / `batch.size` do (kafkajs has neither: an awaited send per event caps a producer at a
 * few thousand events per second).
 *
 * - A batch is sent when `lingerMs` has passed since the first item waiting arrived, or as soon as
 *   `maxBatchSize` items wait.
 * - Exactly one batch is in flight at a time: items arriving meanwhile wait, and go out as the next
 *   batch once the one in flight settles and the first of them has waited `lingerMs` (so under load,
 *   where the batch in flight takes longer than the linger, batches go back to back and grow by
 *   themselves). As Kafka's own producer: a batch is ready when it is full or its linger has passed,
 *   whatever is in flight. Before, the next batch went as soon as the one in flight settled; below
 *   saturation that made batches of a round trip's arrivals (3 events at 1,500 a second) back to back,
 *   the producer never idle, each batch paying kafkajs' fixed cost (docs/benchmarks.md).
 * - Each `add` promise settles with its batch: resolves when `send` resolves, rejects with send's error
 *   when it rejects (only that batch's items), and rejects with AccumulatorTimeoutError `timeoutMs`
 *   after `add` if nothing settled it before. An item that times out while still waiting is withdrawn
 *   (never sent); one that times out while its batch is in flight may still be written.
 * - Items of one batch keep the order in which they were added, and batches go out in order.
 */
export type SendBatch<T> = (items: readonly T[]) => Promise<void>;

export type EventAccumulatorOptions<T> = {
  send: SendBatch<T>;
  /** How long the first waiting item waits for company before its batch goes (ms, >= 0). */
  lingerMs: number;
  /** Most items per batch (>= 1). */
  maxBatchSize: number;
  /** Longest time between `add` and the settlement of its promise (ms, > 0). */
  timeoutMs: number;
};

export class AccumulatorTimeoutError extends Error {
  override readonly name = 'AccumulatorTimeoutError';
}

export class AccumulatorClosedError extends Error {
  override readonly name = 'AccumulatorClosedError';
}

type Entry<T> = {
  item: T;
  /** performance.now() when it was added: its batch goes `lingerMs` after the first item's. */
  addedAt: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
};

export class EventAccumulator<T> {
  private readonly send: SendBatch<T>;
  private readonly lingerMs: number;
  private readonly maxBatchSize: number;
  private readonly timeoutMs: number;
  private pending: Entry<T>[] = [];
  private inFlight = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Called (and cleared) each time a batch settles. */
  private batchSettledListeners: Array<() => void> = [];

  constructor(options: EventAccumulatorOptions<T>) {
    if (!(options.lingerMs >= 0)) throw new RangeError(`lingerMs must be >= 0, got ${options.lingerMs}`);
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) {
      throw new RangeError(`maxBatchSize must be a positive integer, got ${options.maxBatchSize}`);
    }
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.send = options.send;
    this.lingerMs = options.lingerMs;
    this.maxBatchSize = options.maxBatchSize;
    this.timeoutMs = options.timeoutMs;
  }

  /** Items waiting for a batch (not counting the batch in flight). */
  get waiting(): number {
    return this.pending.length;
  }

  get sending(): boolean {
    return this.inFlight;
  }

  add(item: T): Promise<void> {
    if (this.closed) return Promise.reject(new AccumulatorClosedError('the accumulator is closed'));
    return new Promise<void>((resolve, reject) => {
      const entry: Entry<T> = { item, addedAt: performance.now(), resolve, reject, timer: undefined, settled: false };
      entry.timer = setTimeout(() => this.expire(entry), this.timeoutMs);
      this.pending.push(entry);
      this.schedule();
    });
  }

  /** Sends everything waiting now (no linger) and resolves once nothing is waiting or in flight. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight) {
      if (!this.inFlight) this.sendNext();
      await new Promise<void>((resolve) => this.batchSettledListeners.push(resolve));
    }
  }

  /** Refuses new items, then flushes what waits. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(): void {
    if (this.inFlight) return; // sent when the batch in flight settles
    if (this.pending.length >= this.maxBatchSize) {
      this.sendNext();
      return;
    }
    if (this.lingerTimer === undefined && this.pending.length > 0) {
      const lingered = performance.now() - this.pending[0]!.addedAt;
      // An item that has only just arrived goes on a timer even with lingerMs 0, so the items added in
      // one synchronous run still share a batch.
      if (lingered > 0 && lingered >= this.lingerMs) {
        this.sendNext();
        return;
      }
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.sendNext();
      }, this.lingerMs - lingered);
    }
  }

  private sendNext(): void {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatchSize);
    this.inFlight = true;
    let sent: Promise<void>;
    try {
      sent = this.send(batch.map((entry) => entry.item));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => {
        for (const entry of batch) this.settle(entry, undefined);
        this.afterBatch();
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error : new Error(String(error));
        for (const entry of batch) this.settle(entry, reason);
        this.afterBatch();
      },
    );
  }

  private afterBatch(): void {
    this.inFlight = false;
    this.schedule();
    const listeners = this.batchSettledListeners;
    this.batchSettledListeners = [];
    for (const listener of listeners) listener();
  }

  private expire(entry: Entry<T>): void {
    entry.timer = undefined;
    const index = this.pending.indexOf(entry);
    if (index >= 0) this.pending.splice(index, 1); // still waiting: withdrawn, never sent
    this.settle(entry, new AccumulatorTimeoutError(`not acknowledged within ${this.timeoutMs} ms`));
    if (this.pending.length === 0 && this.lingerTimer !== undefined && !this.inFlight) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
  }

  private settle(entry: Entry<T>, error: Error | undefined): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (error) entry.reject(error);
    else entry.resolve();
  }
}
