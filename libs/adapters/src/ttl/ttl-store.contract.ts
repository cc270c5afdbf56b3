// Contract every TtlStore passes (RedisTtlStore against a server, MemoryTtlStore in process).
// Test-only: not exported from the lib's index.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TtlStoreUnavailableError, type TtlStore } from '@authz/ports';

export type TtlStoreContractSubject = {
  /** A store over an empty key space. */
  store: TtlStore;
  /** `count` more stores over the same keys (Redis: separate connections; memory: the same store). */
  peers(count: number): Promise<TtlStore[]>;
  /** Lets `ms` pass for expiry purposes: a fake clock advances, or real time passes. */
  elapse(ms: number): Promise<void>;
  /** Closes the stores and removes their keys. */
  dispose(): Promise<void>;
};

/**
 * `ttlMs` is the ttl the expiry tests use: short real times for a server (150 ms), anything with a fake clock.
 * The tests check a key before 40% and after 140% of it.
 */
export function describeTtlStoreContract(name: string, open: () => Promise<TtlStoreContractSubject>, options: { ttlMs: number }): void {
  const ttl = options.ttlMs;

  describe(`TtlStore contract: ${name}`, () => {
    let subject: TtlStoreContractSubject;
    let store: TtlStore;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });

    afterEach(async () => {
      await subject?.dispose();
    });

    describe('get and set', () => {
      it('returns null for a key never set', async () => {
        expect(await store.get('missing')).toBeNull();
      });

      it('returns the value set, until its ttl expires', async () => {
        await store.set('code:abc', 'value-1', ttl);
        expect(await store.get('code:abc')).toBe('value-1');
        await subject.elapse(ttl * 0.4);
        expect(await store.get('code:abc')).toBe('value-1');
        await subject.elapse(ttl);
        expect(await store.get('code:abc')).toBeNull();
      });

      it('overwrites a value and its ttl', async () => {
        await store.set('k', 'short', ttl);
        await store.set('k', 'long', ttl * 100);
        await subject.elapse(ttl * 1.4);
        expect(await store.get('k')).toBe('long');
      });

      it('keeps values as exact strings (empty, unicode, large)', async () => {
        const large = 'x'.repeat(100_000);
        await store.set('empty', '', ttl * 100);
        await store.set('unicode', 'żółw 🐢 "quoted"\n', ttl * 100);
        await store.set('large', large, ttl * 100);
        expect(await store.get('empty')).toBe('');
        expect(await store.get('unicode')).toBe('żółw 🐢 "quoted"\n');
        expect(await store.get('large')).toBe(large);
      });

      it('refuses a ttl that is not a whole number of milliseconds >= 1', async () => {
        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.set('k', 'v', bad)).rejects.toBeInstanceOf(RangeError);
          await expect(store.setIfAbsent('k', 'v', bad)).rejects.toBeInstanceOf(RangeError);
          await expect(store.increment('k', bad)).rejects.toBeInstanceOf(RangeError);
          await expect(store.claim('k', 'v', bad, 'k')).rejects.toBeInstanceOf(RangeError);
        }
        expect(await store.get('k')).toBeNull();
      });
    });

    describe('setIfAbsent', () => {
      it('sets a missing key and reports true; leaves an existing one and reports false', async () => {
        expect(await store.setIfAbsent('lock', 'first', ttl * 100)).toBe(true);
        expect(await store.setIfAbsent('lock', 'second', ttl * 100)).toBe(false);
        expect(await store.get('lock')).toBe('first');
      });

      it('sets the key again once the previous one expired', async () => {
        expect(await store.setIfAbsent('jti:1', 'seen', ttl)).toBe(true);
        await subject.elapse(ttl * 1.4);
        expect(await store.setIfAbsent('jti:1', 'seen again', ttl)).toBe(true);
        expect(await store.get('jti:1')).toBe('seen again');
      });

      it('lets exactly one of 50 concurrent callers win', async () => {
        const stores = [store, ...(await subject.peers(4))];
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.setIfAbsent('race', `caller-${i}`, ttl * 100)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get('race')).toBe(`caller-${results.indexOf(true)}`);
      });
    });

    describe('take', () => {
      it('returns the value once and deletes it', async () => {
        await store.set('code:single', 'grant-1', ttl * 100);
        expect(await store.take('code:single')).toBe('grant-1');
        expect(await store.take('code:single')).toBeNull();
        expect(await store.get('code:single')).toBeNull();
      });

      it('returns null for a missing or expired key', async () => {
        expect(await store.take('never')).toBeNull();
        await store.set('code:late', 'grant-2', ttl);
        await subject.elapse(ttl * 1.4);
        expect(await store.take('code:late')).toBeNull();
      });

      it('gives the value to exactly one of 50 concurrent takers', async () => {
        const stores = [store, ...(await subject.peers(4))];
        for (let round = 0; round < 5; round += 1) {
          await store.set(`code:race:${round}`, `grant-${round}`, ttl * 100);
          const taken = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.take(`code:race:${round}`)));
          expect(taken.filter((value) => value !== null)).toEqual([`grant-${round}`]);
        }
      });
    });

    describe('replace', () => {
      it('sets the value with the ttl and returns the earlier value, or null', async () => {
        expect(await store.replace('code:r', 'first', ttl * 100)).toBeNull();
        expect(await store.replace('code:r', 'second', ttl)).toBe('first');
        expect(await store.get('code:r')).toBe('second');
        await subject.elapse(ttl * 1.4);
        expect(await store.get('code:r')).toBeNull();
        expect(await store.replace('code:r', 'third', ttl * 100)).toBeNull();
      });

      it('shows the earlier value to exactly one of 50 concurrent callers', async () => {
        const stores = [store, ...(await subject.peers(4))];
        await store.set('code:replace-race', 'issued', ttl * 100);
        const seen = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.replace('code:replace-race', `marker-${i}`, ttl * 100)));
        expect(seen.filter((value) => value === 'issued')).toHaveLength(1);
        expect(seen.filter((value) => value === null)).toHaveLength(0);
      });
    });

    describe('deleteIfEquals', () => {
      it('deletes the key only when it holds exactly the value; a missing or expired key is left alone', async () => {
        await store.set('claim:a', 'attempt-1', ttl * 100);
        expect(await store.deleteIfEquals('claim:a', 'attempt-2')).toBe(false);
        expect(await store.get('claim:a')).toBe('attempt-1');
        expect(await store.deleteIfEquals('claim:a', 'attempt-1')).toBe(true);
        expect(await store.get('claim:a')).toBeNull();
        expect(await store.deleteIfEquals('claim:a', 'attempt-1')).toBe(false);
        await store.set('claim:late', 'attempt-3', ttl);
        await subject.elapse(ttl * 1.4);
        expect(await store.deleteIfEquals('claim:late', 'attempt-3')).toBe(false);
      });
    });

    describe('claim', () => {
      it('claims a live value once: then taken; a missing or expired value is not claimed', async () => {
        await store.set('value:a', 'grant-a', ttl * 100);
        expect(await store.claim('claim:a', 'attempt-1', ttl * 100, 'value:a')).toEqual({ outcome: 'claimed', value: 'grant-a' });
        expect(await store.get('claim:a')).toBe('attempt-1');
        expect(await store.claim('claim:a', 'attempt-2', ttl * 100, 'value:a')).toEqual({ outcome: 'taken' });
        expect(await store.get('claim:a')).toBe('attempt-1');
        expect(await store.claim('claim:none', 'attempt-3', ttl * 100, 'value:none')).toEqual({ outcome: 'missing' });
        expect(await store.get('claim:none')).toBeNull();
        await store.set('value:late', 'grant-late', ttl);
        await subject.elapse(ttl * 1.4);
        expect(await store.claim('claim:late', 'attempt-4', ttl * 100, 'value:late')).toEqual({ outcome: 'missing' });
        expect(await store.get('claim:late')).toBeNull();
      });

      it('reports taken while the claim lives, even once the value is gone; claims again after the claim expired', async () => {
        await store.set('value:b', 'grant-b', ttl * 100);
        expect(await store.claim('claim:b', 'attempt-1', ttl, 'value:b')).toEqual({ outcome: 'claimed', value: 'grant-b' });
        await store.delete('value:b');
        expect(await store.claim('claim:b', 'attempt-2', ttl, 'value:b')).toEqual({ outcome: 'taken' });
        await store.set('value:b', 'grant-b2', ttl * 100);
        await subject.elapse(ttl * 1.4);
        expect(await store.claim('claim:b', 'attempt-3', ttl, 'value:b')).toEqual({ outcome: 'claimed', value: 'grant-b2' });
      });

      it('lets exactly one of 50 concurrent callers claim', async () => {
        await store.set('value:c', 'grant-c', ttl * 100);
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.claim('claim:c', `attempt-${i}`, ttl * 100, 'value:c')));
        expect(results.filter((result) => result.outcome === 'claimed')).toEqual([{ outcome: 'claimed', value: 'grant-c' }]);
        expect(results.filter((result) => result.outcome === 'taken')).toHaveLength(49);
      });
    });

    describe('increment', () => {
      it('creates a counter at 1 with the ttl, then increments it without extending the ttl', async () => {
        expect(await store.increment('attempts:client-1', ttl)).toBe(1);
        await subject.elapse(ttl * 0.4);
        expect(await store.increment('attempts:client-1', ttl)).toBe(2);
        expect(await store.increment('attempts:client-1', ttl * 100)).toBe(3);
        expect(await store.get('attempts:client-1')).toBe('3');
        await subject.elapse(ttl);
        expect(await store.get('attempts:client-1')).toBeNull();
        expect(await store.increment('attempts:client-1', ttl)).toBe(1);
      });

      it('counts every one of 100 concurrent increments', async () => {
        const stores = [store, ...(await subject.peers(4))];
        const values = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % stores.length]!.increment('burst', ttl * 100)));
        expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      });

      it('increments a value that set() stored as an integer, keeping its ttl', async () => {
        await store.set('n', '41', ttl);
        expect(await store.increment('n', ttl * 100)).toBe(42);
        await subject.elapse(ttl * 1.4);
        expect(await store.get('n')).toBeNull();
      });

      it('rejects, as a usage error and not as unavailable, when the value is not an integer', async () => {
        await store.set('text', 'not a number', ttl * 100);
        const error = await store.increment('text', ttl).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(TtlStoreUnavailableError);
        expect(await store.get('text')).toBe('not a number');
      });
    });

    describe('delete, ping and close', () => {
      it('deletes a key, and a missing key without complaint', async () => {
        await store.set('gone', 'soon', ttl * 100);
        await store.delete('gone');
        expect(await store.get('gone')).toBeNull();
        await expect(store.delete('never-there')).resolves.toBeUndefined();
      });

      it('keeps keys apart', async () => {
        await store.set('a', '1', ttl * 100);
        await store.set('a:b', '2', ttl * 100);
        await store.take('a');
        expect(await store.get('a:b')).toBe('2');
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('rejects every call after close with TtlStoreUnavailableError; close is idempotent', async () => {
        const [other] = await subject.peers(1);
        await other!.close();
        await other!.close();
        for (const call of [
          () => other!.get('k'),
          () => other!.set('k', 'v', ttl),
          () => other!.setIfAbsent('k', 'v', ttl),
          () => other!.take('k'),
          () => other!.replace('k', 'v', ttl),
          () => other!.increment('k', ttl),
          () => other!.delete('k'),
          () => other!.ping(),
        ]) {
          await expect(call()).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        }
      });
    });
  });
}
