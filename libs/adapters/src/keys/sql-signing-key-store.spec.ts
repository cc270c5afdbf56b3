import { migrate, PgliteDatabase } from '../postgres';
import { describeSigningKeyStoreContract } from './signing-key-store.contract';
import { SqlSigningKeyStore } from './sql-signing-key-store';

jest.setTimeout(60_000);

let base: PgliteDatabase;

beforeAll(async () => {
  base = await PgliteDatabase.create();
  await migrate(base);
});

afterAll(async () => {
  await base?.close();
});

// PGlite has one session: transactions run one after another, so the lock cannot be seen contended here
// (the PostgreSQL integration test shows it).
describeSigningKeyStoreContract(
  'SqlSigningKeyStore on PGlite',
  async () => {
    const db = await base.clone();
    return { store: new SqlSigningKeyStore(db), cleanup: () => db.close() };
  },
  { concurrentLock: false },
);
