// Contract every AuthorizationCodeStore passes (over Redis, and over the in-memory twin).
// Test-only: not exported from the lib's index.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { sha256Hash, type AuthorizationCodeGrant } from '@authz/oauth';
import type { AuthorizationCodeStore } from '@authz/ports';

export type AuthorizationCodeStoreContractSubject = {
  store: AuthorizationCodeStore;
  /** More stores over the same keys (Redis: separate connections). */
  peers(count: number): Promise<AuthorizationCodeStore[]>;
  /** Seconds since the epoch, as the store's clock sees it now. */
  nowSeconds(): number;
  /** Lets `ms` pass: a fake clock advances, or real time passes. */
  elapse(ms: number): Promise<void>;
  dispose(): Promise<void>;
};

export function describeAuthorizationCodeStoreContract(name: string, open: () => Promise<AuthorizationCodeStoreContractSubject>): void {
  describe(`AuthorizationCodeStore contract: ${name}`, () => {
    let subject: AuthorizationCodeStoreContractSubject;
    let store: AuthorizationCodeStore;
    let serial = 0;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });

    afterEach(async () => {
      await subject?.dispose();
    });

    function grant(overrides: Partial<AuthorizationCodeGrant> = {}): AuthorizationCodeGrant {
      const now = subject.nowSeconds();
      serial += 1;
      return {
        grantId: `grant-${serial}`,
        clientId: 'web-app',
        redirectUri: 'https://app.example.com/callback',
        scopes: ['openid', 'api:read'],
        resources: ['https://api.example.org'],
        subject: 'alice',
        authTime: now - 5,
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        issuedAt: now,
        expiresAt: now + 60,
        ...overrides,
      };
    }

    const hashOf = (code: string) => sha256Hash(code);

    it('redeems a saved code once, with everything it was saved with', async () => {
      const saved = grant();
      await store.save(hashOf('code-1'), saved);
      expect(await store.redeem(hashOf('code-1'))).toEqual({ outcome: 'redeemed', grant: saved });
    });

    it('keeps only what a code needs: a grant without optional fields round-trips', async () => {
      const saved = grant();
      delete saved.redirectUri;
      delete saved.resources;
      delete saved.codeChallenge;
      delete saved.codeChallengeMethod;
      await store.save(hashOf('code-minimal'), saved);
      expect(await store.redeem(hashOf('code-minimal'))).toEqual({ outcome: 'redeemed', grant: saved });
    });

    it('reports a second redemption as a replay, naming the grant and client to revoke', async () => {
      const saved = grant({ grantId: 'grant-replayed', clientId: 'spa' });
      await store.save(hashOf('code-2'), saved);
      await store.redeem(hashOf('code-2'));
      expect(await store.redeem(hashOf('code-2'))).toEqual({ outcome: 'replayed', grantId: 'grant-replayed', clientId: 'spa' });
      expect(await store.redeem(hashOf('code-2'))).toEqual({ outcome: 'replayed', grantId: 'grant-replayed', clientId: 'spa' });
    });

    it('reports a code never issued as unknown, and keeps reporting it so', async () => {
      expect(await store.redeem(hashOf('never-issued'))).toEqual({ outcome: 'unknown' });
      expect(await store.redeem(hashOf('never-issued'))).toEqual({ outcome: 'unknown' });
    });

    it('reports an expired code as unknown', async () => {
      await store.save(hashOf('code-late'), grant({ expiresAt: subject.nowSeconds() + 1 }));
      await subject.elapse(1_500);
      expect(await store.redeem(hashOf('code-late'))).toEqual({ outcome: 'unknown' });
    });

    it('refuses to keep a code longer than 60 s or already expired', async () => {
      await expect(store.save(hashOf('too-long'), grant({ expiresAt: subject.nowSeconds() + 61 }))).rejects.toThrow(RangeError);
      await expect(store.save(hashOf('expired'), grant({ expiresAt: subject.nowSeconds() }))).rejects.toThrow(RangeError);
    });

    it('gives the grant to exactly one of 40 concurrent redemptions; all others see a replay', async () => {
      const stores = [store, ...(await subject.peers(3))];
      const saved = grant({ grantId: 'grant-raced' });
      await store.save(hashOf('code-race'), saved);
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % stores.length]!.redeem(hashOf('code-race'))));
      expect(outcomes.filter((outcome) => outcome.outcome === 'redeemed')).toEqual([{ outcome: 'redeemed', grant: saved }]);
      expect(outcomes.filter((outcome) => outcome.outcome === 'replayed')).toHaveLength(39);
    });

    it('restores a redeemed code (the redemption failed on an outage): the retry redeems it, once', async () => {
      const saved = grant();
      await store.save(hashOf('code-retry'), saved);
      await store.redeem(hashOf('code-retry'));
      await store.restore(hashOf('code-retry'), saved);
      expect(await store.redeem(hashOf('code-retry'))).toEqual({ outcome: 'redeemed', grant: saved });
      expect(await store.redeem(hashOf('code-retry'))).toEqual({ outcome: 'replayed', grantId: saved.grantId, clientId: saved.clientId });
    });

    it('does not restore a code past its expiry', async () => {
      const saved = grant({ expiresAt: subject.nowSeconds() + 1 });
      await store.save(hashOf('code-restore-late'), saved);
      await store.redeem(hashOf('code-restore-late'));
      await subject.elapse(1_500);
      await store.restore(hashOf('code-restore-late'), saved);
      expect((await store.redeem(hashOf('code-restore-late'))).outcome).not.toBe('redeemed');
    });

    it('keeps codes apart', async () => {
      const first = grant();
      const second = grant();
      await store.save(hashOf('code-a'), first);
      await store.save(hashOf('code-b'), second);
      expect(await store.redeem(hashOf('code-b'))).toEqual({ outcome: 'redeemed', grant: second });
      expect(await store.redeem(hashOf('code-a'))).toEqual({ outcome: 'redeemed', grant: first });
    });
  });
}
