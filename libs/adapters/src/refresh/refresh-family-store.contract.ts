// Contract the refresh family store passes on PostgreSQL (int-spec) and on PGlite (spec), same SQL.
// Test-only: not exported from the lib's index.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { sha256Hash, type RefreshFamilyState } from '@authz/oauth';
import type { RefreshFamilyStore, SqlDatabase } from '@authz/ports';

export type RefreshFamilyStoreContractSubject = { store: RefreshFamilyStore; db: SqlDatabase; dispose(): Promise<void> };

const T0 = 1_767_225_600_000;

export function describeRefreshFamilyStoreContract(name: string, open: () => Promise<RefreshFamilyStoreContractSubject>): void {
  describe(`RefreshFamilyStore contract: ${name}`, () => {
    let subject: RefreshFamilyStoreContractSubject;
    let store: RefreshFamilyStore;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(async () => {
      await subject?.dispose();
    });

    const family = (overrides: Partial<RefreshFamilyState> = {}): RefreshFamilyState => ({
      familyId: 'family-1',
      grantId: 'grant-1',
      clientId: 'web-app',
      subject: 'alice',
      scopes: ['openid', 'api:read'],
      audience: ['https://api.example.org', 'https://reports.example.org'],
      authTime: 1_767_225_000,
      generation: 0,
      currentTokenHash: sha256Hash('rt0'),
      createdAt: T0,
      expiresAt: T0 + 86_400_000,
      idleExpiresAt: T0 + 3_600_000,
      ...overrides,
    });

    it('creates a family and finds it, locked, by its token', async () => {
      const confirmed: string[] = [];
      expect(await store.create(family(), async () => void confirmed.push('confirmed'))).toBe('created');
      expect(confirmed).toEqual(['confirmed']);

      const found = await store.exchange(sha256Hash('rt0'), async (locked) => locked);
      expect(found).toStrictEqual({ family: family(), grace: null, presentedGeneration: 0 });
      expect(await store.exchange(sha256Hash('never-issued'), async (locked) => locked)).toBeNull();
    });

    it('tells the family and grant of a current or rotated refresh token, and whether it is revoked', async () => {
      await store.create(family(), async () => undefined);
      await store.exchange(sha256Hash('rt0'), async (_locked, writer) => {
        await writer.rotate(family({ generation: 1, currentTokenHash: sha256Hash('rt1') }), null, T0 + 1000);
      });
      const owner = { familyId: 'family-1', grantId: 'grant-1', clientId: 'web-app', subject: 'alice', expiresAt: T0 + 86_400_000, revoked: false };
      expect(await store.findToken(sha256Hash('rt1'))).toStrictEqual(owner);
      expect(await store.findToken(sha256Hash('rt0'))).toStrictEqual(owner);
      expect(await store.findToken(sha256Hash('never-issued'))).toBeNull();
      await store.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'client_request', revokedAt: T0 + 2000 }, async () => undefined);
      expect(await store.findToken(sha256Hash('rt1'))).toStrictEqual({ ...owner, revoked: true });
    });

    it('keeps a family without auth_time or scope as it was', async () => {
      const { authTime: _none, ...withoutAuthTime } = family({ scopes: [] });
      await store.create(withoutAuthTime, async () => undefined);
      expect((await store.exchange(sha256Hash('rt0'), async (locked) => locked))?.family).toStrictEqual(withoutAuthTime);
    });

    it('writes a rotation: the child is current, the parent is known as generation 0, the grace window is kept', async () => {
      await store.create(family(), async () => undefined);
      const next = family({ generation: 1, currentTokenHash: sha256Hash('rt1'), idleExpiresAt: T0 + 7_200_000 });
      const grace = { parentTokenHash: sha256Hash('rt0'), until: T0 + 5000, sealedChild: 'sealed' };
      await store.exchange(sha256Hash('rt0'), async (_locked, writer) => {
        await writer.rotate(next, grace, T0 + 1000);
      });

      expect(await store.exchange(sha256Hash('rt1'), async (locked) => locked)).toStrictEqual({ family: next, grace, presentedGeneration: 1 });
      expect(await store.exchange(sha256Hash('rt0'), async (locked) => locked)).toStrictEqual({ family: next, grace, presentedGeneration: 0 });
    });

    it('rolls back everything when the work or the confirmation rejects', async () => {
      await expect(store.create(family(), async () => Promise.reject(new Error('log unavailable')))).rejects.toThrow('log unavailable');
      expect(await store.exchange(sha256Hash('rt0'), async (locked) => locked)).toBeNull();

      await store.create(family(), async () => undefined);
      await expect(
        store.exchange(sha256Hash('rt0'), async (_locked, writer) => {
          await writer.rotate(family({ generation: 1, currentTokenHash: sha256Hash('rt1') }), null, T0);
          throw new Error('log unavailable');
        }),
      ).rejects.toThrow('log unavailable');
      expect(await store.exchange(sha256Hash('rt0'), async (locked) => locked)).toStrictEqual({ family: family(), grace: null, presentedGeneration: 0 });
      expect(await store.exchange(sha256Hash('rt1'), async (locked) => locked)).toBeNull();
    });

    it('revokes a grant: its families are revoked, the grant is remembered, a family created for it later is refused', async () => {
      await store.create(family(), async () => undefined);
      const seen: Array<{ subject?: string }> = [];
      await store.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay', revokedAt: T0 + 10_000 }, async (found) => void seen.push(found));

      expect(seen).toEqual([{ subject: 'alice' }]);
      expect((await store.exchange(sha256Hash('rt0'), async (locked) => locked))?.family).toStrictEqual(family({ revokedAt: T0 + 10_000 }));
      const refused: string[] = [];
      expect(await store.create(family({ familyId: 'family-2', currentTokenHash: sha256Hash('other') }), async () => void refused.push('confirmed'))).toBe('grant_revoked');
      expect(refused).toEqual([]);
      // A grant nobody has a family of yet: revoked all the same, with no subject known.
      const none: Array<{ subject?: string }> = [];
      await store.revokeGrant({ grantId: 'grant-9', clientId: 'web-app', reason: 'code_replay', revokedAt: T0 }, async (found) => void none.push(found));
      expect(none).toEqual([{}]);
      // Revoked already (a second replay of its code): nothing changes, nothing is announced again.
      const again: Array<{ subject?: string }> = [];
      await store.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay', revokedAt: T0 + 20_000 }, async (found) => void again.push(found));
      expect(again).toEqual([]);
      expect((await store.exchange(sha256Hash('rt0'), async (locked) => locked))?.family).toStrictEqual(family({ revokedAt: T0 + 10_000 }));
      expect((await subject.db.query('SELECT grant_id, client_id, reason FROM revoked_grants ORDER BY grant_id')).rows).toEqual([
        { grant_id: 'grant-1', client_id: 'web-app', reason: 'code_replay' },
        { grant_id: 'grant-9', client_id: 'web-app', reason: 'code_replay' },
      ]);
    });

    it('refuses a family whose grant is revoked while the family waits for the grant\'s lock', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let signalLocked!: () => void;
      const locked = new Promise<void>((resolve) => (signalLocked = resolve));
      const revocation = store.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay', revokedAt: T0 }, async () => {
        signalLocked();
        await held;
      });
      await locked;
      const confirmed: string[] = [];
      const creation = store.create(family(), async () => void confirmed.push('confirmed'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();

      expect(await Promise.all([revocation, creation])).toEqual([undefined, 'grant_revoked']);
      expect(confirmed).toEqual([]);
      expect(await store.findToken(sha256Hash('rt0'))).toBeNull();
    });

    it('revokes a grant while an exchange of its family holds the lock and revokes it too (reuse), without deadlock', async () => {
      await store.create(family(), async () => undefined);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let signalLocked!: () => void;
      const locked = new Promise<void>((resolve) => (signalLocked = resolve));
      const confirmed: string[] = [];
      const exchange = store.exchange(sha256Hash('rt0'), async (_found, writer) => {
        signalLocked();
        await held;
        await writer.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'refresh_token_reuse', revokedAt: T0 + 1_000 });
        return 'reuse revoked';
      });
      await locked;
      const replay = store.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay', revokedAt: T0 + 2_000 }, async () => void confirmed.push('code_replay'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();

      expect(await Promise.all([exchange, replay])).toEqual(['reuse revoked', undefined]);
      // The exchange revoked the grant first: the replay found it revoked and announced nothing.
      expect(confirmed).toEqual([]);
      expect((await subject.db.query('SELECT grant_id, reason FROM revoked_grants')).rows).toEqual([{ grant_id: 'grant-1', reason: 'refresh_token_reuse' }]);
    });

    it('serializes concurrent exchanges of one family (no lost rotation)', async () => {
      await store.create(family(), async () => undefined);
      const generations = await Promise.all(
        Array.from({ length: 5 }, () =>
          store.exchange(sha256Hash('rt0'), async (locked, writer) => {
            const current = locked!.family.generation;
            await new Promise((resolve) => setTimeout(resolve, 10));
            await writer.save({ ...locked!.family, generation: current + 1 }, null);
            return current;
          }),
        ),
      );
      expect([...generations].sort()).toEqual([0, 1, 2, 3, 4]);
      expect((await store.exchange(sha256Hash('rt0'), async (locked) => locked))?.family.generation).toBe(5);
    });
  });
}
