import { randomBytes } from 'node:crypto';
import { silentLogger } from '@authz/ports';
import { migrate, PgDatabase } from '../postgres';
import { describeRefreshFamilyStoreContract } from './refresh-family-store.contract';
import { SqlRefreshFamilyStore } from './sql-refresh-family-store';

const connectionString = process.env.DATABASE_URL!;
const prefix = `test_refresh_${randomBytes(4).toString('hex')}`;
let serial = 0;

describeRefreshFamilyStoreContract('SqlRefreshFamilyStore on PostgreSQL', async () => {
  const schema = `${prefix}_${(serial += 1)}`;
  const admin = new PgDatabase({ connectionString, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = new PgDatabase({ connectionString, schema, max: 6 });
  await migrate(db, { logger: silentLogger });
  return {
    store: new SqlRefreshFamilyStore(db),
    db,
    dispose: async () => {
      await db.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    },
  };
});
