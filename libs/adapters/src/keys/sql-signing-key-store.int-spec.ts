import { randomBytes } from 'node:crypto';
import { migrate, PgDatabase } from '../postgres';
import { describeSigningKeyStoreContract, storedKey } from './signing-key-store.contract';
import { SqlSigningKeyStore } from './sql-signing-key-store';

const connectionString = process.env.DATABASE_URL!;
/** Every schema this file creates starts with it, so nothing collides with other test files on the same database. */
const prefix = `keys_${randomBytes(5).toString('hex')}`;
let counter = 0;

async function freshSchema(): Promise<{ schema: string; db: PgDatabase; cleanup: () => Promise<void> }> {
  const schema = `${prefix}_${counter++}`;
  const admin = new PgDatabase({ connectionString, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = new PgDatabase({ connectionString, schema, max: 5 });
  await migrate(db);
  return {
    schema,
    db,
    cleanup: async () => {
      await db.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    },
  };
}

describeSigningKeyStoreContract(
  'SqlSigningKeyStore on PostgreSQL',
  async () => {
    const { db, cleanup } = await freshSchema();
    return { store: new SqlSigningKeyStore(db), cleanup };
  },
  { concurrentLock: true },
);

describe('SqlSigningKeyStore on PostgreSQL: two replicas (two pools) share one rotation lock per schema', () => {
  it('the second replica gives up while the first holds the lock; another schema (deployment) is not blocked', async () => {
    const one = await freshSchema();
    const other = await freshSchema();
    const replicaA = new SqlSigningKeyStore(one.db);
    const secondPool = new PgDatabase({ connectionString, schema: one.schema, max: 2 });
    const replicaB = new SqlSigningKeyStore(secondPool);
    try {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const holding = new Promise<void>((resolve) => (entered = resolve));
      const holder = replicaA.withRotationLock(async (tx) => {
        entered();
        await released;
        await tx.insert(storedKey('k1'));
      }, { wait: false });
      await holding;

      expect(await replicaB.withRotationLock(async () => 'rotated', { wait: false })).toBeNull();
      expect(await new SqlSigningKeyStore(other.db).withRotationLock(async () => 'rotated', { wait: false })).toBe('rotated');
      release();
      await holder;
      expect(await replicaB.withRotationLock(async (tx) => (await tx.list()).map((key) => key.kid), { wait: false })).toEqual(['k1']);
    } finally {
      await secondPool.close();
      await one.cleanup();
      await other.cleanup();
    }
  });
});
