import type { Clock } from '@authz/ports';
import { describeTtlStoreContract } from '../ttl/ttl-store.contract';
import { MemoryTtlStore } from './memory-ttl-store';

class FakeClock implements Clock {
  constructor(private epochMs = Date.parse('2030-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.epochMs);
  }
  advance(ms: number): void {
    this.epochMs += ms;
  }
}

describeTtlStoreContract(
  'MemoryTtlStore',
  async () => {
    const clock = new FakeClock();
    const store = new MemoryTtlStore({ clock });
    return {
      store,
      peers: async (count) => Array.from({ length: count }, () => store),
      elapse: async (ms) => clock.advance(ms),
      dispose: () => store.close(),
    };
  },
  { ttlMs: 150 },
);

describe('MemoryTtlStore', () => {
  it('expires by the injected clock, to the millisecond', async () => {
    const clock = new FakeClock();
    const store = new MemoryTtlStore({ clock });
    await store.set('k', 'v', 1000);
    clock.advance(999);
    expect(await store.get('k')).toBe('v');
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    await store.close();
  });

  it('sweeps expired entries on a timer', async () => {
    const clock = new FakeClock();
    const store = new MemoryTtlStore({ clock, sweepIntervalMs: 10 });
    try {
      for (let i = 0; i < 100; i += 1) await store.set(`short:${i}`, 'v', 50);
      await store.set('long', 'v', 60_000);
      clock.advance(51);
      expect(store.size).toBe(101);
      // The 10 ms sweep, given up to 2 s: a loaded machine may run it late.
      for (let turn = 0; turn < 200 && store.size !== 1; turn += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(store.size).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('stays bounded by the live entries even when no timer ever fires', async () => {
    const clock = new FakeClock();
    const store = new MemoryTtlStore({ clock, sweepIntervalMs: 0 });
    for (let i = 0; i < 100_000; i += 1) {
      await store.setIfAbsent(`jti:${i}`, '1', 100);
      clock.advance(1);
    }
    // About 100 entries are live at any time; growth sweeps keep the map within a small multiple of the minimum size.
    expect(store.size).toBeLessThanOrEqual(2048);
    await store.close();
  });

  it('removes its sweep timer on close, and the timer never holds the process open', async () => {
    jest.useFakeTimers();
    try {
      const before = jest.getTimerCount();
      const store = new MemoryTtlStore({ sweepIntervalMs: 1000 });
      expect(jest.getTimerCount()).toBe(before + 1);
      await store.close();
      expect(jest.getTimerCount()).toBe(before);
    } finally {
      jest.useRealTimers();
    }
    const store = new MemoryTtlStore();
    expect((store as unknown as { timer: NodeJS.Timeout }).timer.hasRef()).toBe(false);
    await store.close();
  });
});
