import type { SigningKeyStore, StoredSigningKey } from '@authz/ports';

/** 2026-01-01T00:00:00Z plus `seconds`. */
const at = (seconds: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + seconds * 1000);

export function storedKey(kid: string, overrides: Partial<StoredSigningKey> = {}): StoredSigningKey {
  return {
    kid,
    alg: 'ES256',
    status: 'active',
    publicJwk: { kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid, alg: 'ES256', use: 'sig' },
    encryptedPrivateJwk: `sealed-${kid}`,
    createdAt: at(0),
    publishedAt: at(0),
    activatesAt: at(0),
    retiredAt: null,
    unpublishAt: null,
    revokedAt: null,
    announced: 'active',
    ...overrides,
  };
}

export type SigningKeyStoreFixture = { store: SigningKeyStore; cleanup?: () => Promise<void> };

/**
 * What every SigningKeyStore must do (SqlSigningKeyStore on PGlite and PostgreSQL, MemorySigningKeyStore).
 * `concurrentLock`: whether two holders can really overlap (false on PGlite: one session, so a second
 * transaction waits for the first instead of contending).
 */
export function describeSigningKeyStoreContract(name: string, factory: () => Promise<SigningKeyStoreFixture>, options: { concurrentLock: boolean }): void {
  describe(`SigningKeyStore contract: ${name}`, () => {
    let fixture: SigningKeyStoreFixture;
    let store: SigningKeyStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it('inserts under the lock and lists every key, newest first, with every field as written', async () => {
      const first = storedKey('k1', { retiredAt: at(3600), unpublishAt: at(4500), status: 'retired', announced: 'retired' });
      const second = storedKey('k2', { createdAt: at(3000), activatesAt: at(3600), publishedAt: null, announced: null, status: 'pending', alg: 'PS256', publicJwk: { kty: 'RSA', n: 'n', e: 'AQAB', kid: 'k2', alg: 'PS256', use: 'sig' } });

      expect(await store.withRotationLock(async (tx) => {
        await tx.insert(first);
        await tx.insert(second);
        return tx.list();
      }, { wait: false })).toEqual([second, first]);
      expect(await store.listAll()).toEqual([second, first]);
    });

    it('listLive leaves out revoked keys and retired keys past unpublishAt, and orders by activation, latest first', async () => {
      await store.withRotationLock(async (tx) => {
        await tx.insert(storedKey('old', { status: 'retired', activatesAt: at(-7200), retiredAt: at(-3600), unpublishAt: at(-1) }));
        await tx.insert(storedKey('retired', { status: 'retired', activatesAt: at(-3600), retiredAt: at(0), unpublishAt: at(900) }));
        await tx.insert(storedKey('revoked', { status: 'revoked', activatesAt: at(-100), revokedAt: at(-50) }));
        await tx.insert(storedKey('active', { activatesAt: at(0) }));
        await tx.insert(storedKey('pending', { status: 'pending', activatesAt: at(300) }));
      }, { wait: true });

      expect((await store.listLive(at(0))).map((key) => key.kid)).toEqual(['pending', 'active', 'retired']);
      expect((await store.listLive(at(900))).map((key) => key.kid)).toEqual(['pending', 'active']);
    });

    it('updates only the given fields, under the lock or outside it', async () => {
      await store.withRotationLock((tx) => tx.insert(storedKey('k1', { status: 'pending', publishedAt: null, announced: null })), { wait: true });

      await store.withRotationLock((tx) => tx.update('k1', { status: 'active' }), { wait: true });
      await store.update('k1', { publishedAt: at(5), announced: 'pending' });
      await store.update('k1', {});

      expect(await store.listAll()).toEqual([storedKey('k1', { status: 'active', publishedAt: at(5), announced: 'pending' })]);
    });

    it('a failing pass under the lock changes nothing (one transaction), and releases the lock', async () => {
      await store.withRotationLock((tx) => tx.insert(storedKey('k1')), { wait: true });

      await expect(
        store.withRotationLock(async (tx) => {
          await tx.update('k1', { status: 'retired', retiredAt: at(1) });
          await tx.insert(storedKey('k2', { status: 'pending' }));
          throw new Error('the pass failed');
        }, { wait: false }),
      ).rejects.toThrow('the pass failed');

      expect(await store.listAll()).toEqual([storedKey('k1')]);
      expect(await store.withRotationLock(async () => 'free again', { wait: false })).toBe('free again');
    });

    it('holds at most one pending key', async () => {
      await store.withRotationLock((tx) => tx.insert(storedKey('p1', { status: 'pending' })), { wait: true });
      await expect(store.withRotationLock((tx) => tx.insert(storedKey('p2', { status: 'pending' })), { wait: true })).rejects.toThrow();
    });

    if (options.concurrentLock) {
      it('lets one holder at a time: wait=false gives up at once (null), wait=true waits for the holder to finish', async () => {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let entered!: () => void;
        const holding = new Promise<void>((resolve) => (entered = resolve));
        const holder = store.withRotationLock(async (tx) => {
          entered();
          await released;
          await tx.insert(storedKey('k1'));
          return 'holder';
        }, { wait: false });
        await holding;

        expect(await store.withRotationLock(async () => 'intruder', { wait: false })).toBeNull();
        const waiter = store.withRotationLock(async (tx) => (await tx.list()).map((key) => key.kid), { wait: true });
        release();

        expect(await holder).toBe('holder');
        expect(await waiter).toEqual(['k1']);
      });
    }
  });
}
