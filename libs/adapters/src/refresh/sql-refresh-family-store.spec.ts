import { silentLogger } from '@authz/ports';
import { migrate, PgliteDatabase } from '../postgres';
import { describeRefreshFamilyStoreContract } from './refresh-family-store.contract';
import { SqlRefreshFamilyStore } from './sql-refresh-family-store';

let template: PgliteDatabase;

beforeAll(async () => {
  template = await PgliteDatabase.create({ logger: silentLogger });
  await migrate(template, { logger: silentLogger });
}, 60_000);

afterAll(async () => {
  await template.close();
});

describeRefreshFamilyStoreContract('SqlRefreshFamilyStore on PGlite', async () => {
  const db = await template.clone();
  return { store: new SqlRefreshFamilyStore(db), db, dispose: () => db.close() };
});
