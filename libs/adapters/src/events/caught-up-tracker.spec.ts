import { CaughtUpTracker } from './caught-up-tracker';

describe('CaughtUpTracker', () => {
  it('resolves once every partition reached its target, at once when none is behind', async () => {
    await new CaughtUpTracker([{ key: 't:0', position: 0n, target: 0n }]).wait();
    const tracker = new CaughtUpTracker([
      { key: 't:0', position: 0n, target: 3n },
      { key: 't:1', position: 5n, target: 5n },
      { key: 't:2', position: 1n, target: 2n },
    ]);
    let done = false;
    const waiting = tracker.wait().then(() => (done = true));
    tracker.advance('t:0', 3n);
    await Promise.resolve();
    expect(done).toBe(false);
    expect(tracker.lagging()).toEqual(['t:2']);
    tracker.advance('t:2', 1n);
    tracker.advance('t:2', 4n);
    await waiting;
    expect(tracker.caughtUp).toBe(true);
  });

  it('rejects waiters when aborted before catching up', async () => {
    const tracker = new CaughtUpTracker([{ key: 't:0', position: 0n, target: 1n }]);
    const waiting = tracker.wait();
    tracker.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    await expect(tracker.wait()).rejects.toThrow('stopped');
  });
});
