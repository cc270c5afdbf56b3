import type { Clock } from '@authz/ports';
import { MemoryTtlStore } from '../memory/memory-ttl-store';
import { describeAuthorizationCodeStoreContract } from './authorization-code-store.contract';
import { TtlAuthorizationCodeStore } from './ttl-authorization-code-store';

class FakeClock implements Clock {
  constructor(public epochMs = Date.parse('2030-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.epochMs);
  }
}

describeAuthorizationCodeStoreContract('over MemoryTtlStore', async () => {
  const clock = new FakeClock();
  const ttl = new MemoryTtlStore({ clock });
  const store = new TtlAuthorizationCodeStore({ store: ttl, clock });
  return {
    store,
    peers: async (count) => Array.from({ length: count }, () => store),
    nowSeconds: () => Math.floor(clock.epochMs / 1000),
    elapse: async (ms) => {
      clock.epochMs += ms;
    },
    dispose: () => ttl.close(),
  };
});

describe('TtlAuthorizationCodeStore', () => {
  it('keys everything by the code hash, never by the code', async () => {
    const clock = new FakeClock();
    const ttl = new MemoryTtlStore({ clock });
    const keys: string[] = [];
    const spy: MemoryTtlStore = Object.assign(Object.create(ttl) as MemoryTtlStore, {
      set: (key: string, value: string, ttlMs: number) => {
        keys.push(key);
        return ttl.set(key, value, ttlMs);
      },
    });
    const store = new TtlAuthorizationCodeStore({ store: spy, clock });
    const now = Math.floor(clock.epochMs / 1000);
    await store.save('sha256:E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', {
      grantId: 'g',
      clientId: 'c',
      scopes: [],
      subject: 's',
      authTime: now,
      issuedAt: now,
      expiresAt: now + 30,
    });
    expect(keys).toEqual(['code-owner:sha256:E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'code:sha256:E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM']);
    await ttl.close();
  });
});
