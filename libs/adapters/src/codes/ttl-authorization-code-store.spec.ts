import { type Clock, TtlStoreUnavailableError } from '@authz/ports';
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

  describe('a claim whose answer is lost (the store ran it, the caller timed out)', () => {
    /** A MemoryTtlStore whose next claim is applied, then answered with TtlStoreUnavailableError (a hung Redis that runs the script late). */
    function lossy() {
      const clock = new FakeClock();
      const ttl = new MemoryTtlStore({ clock });
      let loseNext = false;
      const store: MemoryTtlStore = Object.assign(Object.create(ttl) as MemoryTtlStore, {
        claim: async (claimKey: string, claim: string, ttlMs: number, valueKey: string) => {
          const claimed = await ttl.claim(claimKey, claim, ttlMs, valueKey);
          if (!loseNext) return claimed;
          loseNext = false;
          throw new TtlStoreUnavailableError('Redis unavailable: Command timed out');
        },
      });
      const codes = new TtlAuthorizationCodeStore({ store, clock });
      const now = Math.floor(clock.epochMs / 1000);
      const grant = { grantId: 'grant-1', clientId: 'web-app', scopes: ['openid'], subject: 'alice', authTime: now, issuedAt: now, expiresAt: now + 30 };
      return { codes, grant, loseNext: () => (loseNext = true), close: () => ttl.close() };
    }

    it('is withdrawn: the retry the 503 invites redeems the code (once), it is no replay', async () => {
      const { codes, grant, loseNext, close } = lossy();
      await codes.save('sha256:code', grant);
      loseNext();
      await expect(codes.redeem('sha256:code')).rejects.toBeInstanceOf(TtlStoreUnavailableError);
      expect(await codes.redeem('sha256:code')).toEqual({ outcome: 'redeemed', grant });
      expect(await codes.redeem('sha256:code')).toEqual({ outcome: 'replayed', grantId: 'grant-1', clientId: 'web-app' });
      await close();
    });

    it('withdraws only its own claim: a lost answer after another redemption leaves that one in force', async () => {
      const { codes, grant, loseNext, close } = lossy();
      await codes.save('sha256:code', grant);
      expect(await codes.redeem('sha256:code')).toEqual({ outcome: 'redeemed', grant });
      loseNext();
      await expect(codes.redeem('sha256:code')).rejects.toBeInstanceOf(TtlStoreUnavailableError);
      expect(await codes.redeem('sha256:code')).toEqual({ outcome: 'replayed', grantId: 'grant-1', clientId: 'web-app' });
      await close();
    });
  });
});
