import { AccumulatorClosedError, AccumulatorTimeoutError, EventAccumulator } from './event-accumulator';

type Deferred = { resolve: () => void; reject: (error: Error) => void };

/** A send function whose calls the test settles by hand. */
function fakeSend() {
  const calls: Array<{ items: readonly number[] } & Deferred> = [];
  const send = (items: readonly number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items: [...items], resolve, reject });
    });
  return { calls, send };
}

/** Records how each add() promise settled, without leaving rejections unhandled. */
function track(promise: Promise<void>) {
  const state: { outcome: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { outcome: 'pending' };
  promise.then(
    () => (state.outcome = 'resolved'),
    (error: unknown) => {
      state.outcome = 'rejected';
      state.error = error;
    },
  );
  return state;
}

describe('EventAccumulator', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends what arrived within lingerMs of the first item as one batch', async () => {
    const { calls, send } = fakeSend();
    const accumulator = new EventAccumulator<number>({ send, lingerMs: 5, maxBatchSize: 100, timeoutMs: 1000 });
    const a = track(accumulator.add(1));
    await jest.advanceTimersByTimeAsync(3);
    const b = track(accumulator.add(2));
    expect(calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(2);
    expect(calls.map((call) => call.items)).toEqual([[1, 2]]);
    expect([a.outcome, b.outcome]).toEqual(['pending', 'pending']);
    calls[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect([a.outcome, b.outcome]).toEqual(['resolved', 'resolved']);
  });

  it('sends at once when maxBatchSize items wait, without waiting for the linger', async () => {
    const { calls, send } = fakeSend();
    const accumulator = new EventAccumulator<number>({ send, lingerMs: 1000, maxBatchSize: 3, timeoutMs: 5000 });
    for (const n of [1, 2, 3]) void accumulator.add(n);
    expect(calls.map((call) => call.items)).toEqual([[1, 2, 3]]);
    calls[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
  });

  it('keeps exactly one batch in flight; what arrives meanwhile goes next, capped at maxBatchSize, right after it settles once it has lingered', async () => {
    const { calls, send } = fakeSend();
    const accumulator = new EventAccumulator<number>({ send, lingerMs: 2, maxBatchSize: 3, timeoutMs: 5000 });
    const first = track(accumulator.add(1));
    await jest.advanceTimersByTimeAsync(2);
    expect(calls).toHaveLength(1);
    const later = [2, 3, 4, 5, 6, 7, 8].map((n) => track(accumulator.add(n)));
    await jest.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1); // still one in flight, however long it takes
    expect(accumulator.waiting).toBe(7);

    calls[0]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(first.outcome).toBe('resolved');
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3, 4]]); // they have waited 100 ms, past the linger: sent as the first settled
    calls[1]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3, 4], [5, 6, 7]]);
    calls[2]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    calls[3]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3, 4], [5, 6, 7], [8]]);
    expect(later.map((state) => state.outcome)).toEqual(Array(7).fill('resolved'));
  });

  it('lingers items that arrive while a batch is in flight: their batch goes lingerMs after the first of them arrived, not as soon as the other settles', async () => {
    const { calls, send } = fakeSend();
    const accumulator = new EventAccumulator<number>({ send, lingerMs: 5, maxBatchSize: 100, timeoutMs: 5000 });
    track(accumulator.add(1));
    await jest.advanceTimersByTimeAsync(5);
    expect(calls.map((call) => call.items)).toEqual([[1]]);
    await jest.advanceTimersByTimeAsync(1);
    track(accumulator.add(2)); // t = 6: its batch is due at 11
    await jest.advanceTimersByTimeAsync(1);
    calls[0]!.resolve(); // t = 7: settled; 2 has waited 1 ms
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(2);
    track(accumulator.add(3)); // t = 9: joins 2
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1); // t = 11
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3]]);

    // The first waiting item is already lingerMs old when the batch in flight settles: the next goes at once.
    track(accumulator.add(4)); // t = 11
    await jest.advanceTimersByTimeAsync(5);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(); // t = 16
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3], [4]]);
  });

  it('rejects the items of a failed batch only, with the error of send', async () => {
    const { calls, send } = fakeSend();
    const accumulator = new EventAccumulator<number>({ send, lingerMs: 0, maxBatchSize: 2, timeoutMs: 5000 });
    const states = [1, 2, 3, 4].map((n) => track(accumulator.add(n)));
    expect(calls.map((call) => call.items)).toEqual([[1, 2]]);
    const failure = new Error('broker said no');
    calls[0]!.reject(failure);
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.items)).toEqual([[1, 2], [3, 4]]);
    calls[1]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(states.map((state) => state.outcome)).toEqual(['rejected', 'rejected', 'resolved', 'resolved']);
    expect(states[0]!.error).toBe(failure);
  });

  it('treats a send that throws synchronously like a rejected one', async () => {
    const accumulator = new EventAccumulator<number>({
      send: () => {
        throw new Error('sync failure');
      },
      lingerMs: 0,
      maxBatchSize: 10,
      timeoutMs: 1000,
    });
    const state = track(accumulator.add(1));
    await jest.advanceTimersByTimeAsync(0);
    expect(state.outcome).toBe('rejected');
    expect(state.error).toEqual(new Error('sync failure'));
  });

  it('rejects with AccumulatorTimeoutError after timeoutMs while the batch hangs, and later batches still flow', async () => {
    const { calls, send } = fakeSend();
    const accumulator = new EventAccumulator<number>({ send, lingerMs: 0, maxBatchSize: 10, timeoutMs: 500 });
    const stuck = track(accumulator.add(1));
    await jest.advanceTimersByTimeAsync(0);
    const waiting = track(accumulator.add(2));
    await jest.advanceTimersByTimeAsync(499);
    expect([stuck.outcome, waiting.outcome]).toEqual(['pending', 'pending']);
    await jest.advanceTimersByTimeAsync(1);
    expect([stuck.outcome, waiting.outcome]).toEqual(['rejected', 'rejected']);
    expect(stuck.error).toBeInstanceOf(AccumulatorTimeoutError);
    expect(accumulator.waiting).toBe(0); // the waiting item was withdrawn: it will never be sent

    calls[0]!.resolve(); // the hung batch finally settles: nothing changes for its caller
    await jest.advanceTimersByTimeAsync(0);
    expect(stuck.outcome).toBe('rejected');
    expect(calls).toHaveLength(1);

    const next = track(accumulator.add(3));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((call) => call.items)).toEqual([[1], [3]]);
    calls[1]!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(next.outcome).toBe('resolved');
  });

  it('flush sends what waits without lingering; close flushes, then refuses new items', async () => {
    const sent: number[][] = [];
    const accumulator = new EventAccumulator<number>({
      send: async (items) => void sent.push([...items]),
      lingerMs: 10_000,
      maxBatchSize: 2,
      timeoutMs: 60_000,
    });
    const states = [1, 2, 3].map((n) => track(accumulator.add(n)));
    const closing = accumulator.close();
    await jest.advanceTimersByTimeAsync(0);
    await closing;
    expect(sent).toEqual([[1, 2], [3]]);
    expect(states.map((state) => state.outcome)).toEqual(['resolved', 'resolved', 'resolved']);
    await expect(accumulator.add(4)).rejects.toBeInstanceOf(AccumulatorClosedError);
  });

  it('refuses nonsense options', () => {
    const send = async () => undefined;
    expect(() => new EventAccumulator({ send, lingerMs: -1, maxBatchSize: 1, timeoutMs: 1 })).toThrow(RangeError);
    expect(() => new EventAccumulator({ send, lingerMs: 0, maxBatchSize: 0, timeoutMs: 1 })).toThrow(RangeError);
    expect(() => new EventAccumulator({ send, lingerMs: 0, maxBatchSize: 1, timeoutMs: 0 })).toThrow(RangeError);
  });
});
