import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sha256Hash } from '@authz/oauth';
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

describe('SqlRefreshFamilyStore on PostgreSQL: round trips', () => {
  const schema = `${prefix}_trips`;
  const admin = new PgDatabase({ connectionString, max: 1 });
  const db = new PgDatabase({ connectionString, schema, max: 2 });
  const store = new SqlRefreshFamilyStore(db);
  const T0 = 1_767_225_600_000;
  const family = {
    familyId: 'family-1',
    grantId: 'grant-1',
    clientId: 'web-app',
    subject: 'alice',
    scopes: ['openid'],
    audience: ['https://api.example.org'],
    generation: 0,
    currentTokenHash: sha256Hash('rt0'),
    createdAt: T0,
    expiresAt: T0 + 86_400_000,
    idleExpiresAt: T0 + 3_600_000,
  };

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await migrate(db, { logger: silentLogger });
  });
  afterAll(async () => {
    await db.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });

  /** The messages sent to the server while `run` runs, in order (one round trip each). */
  async function messages(run: () => Promise<unknown>): Promise<string[]> {
    const spy = jest.spyOn(pg.Client.prototype, 'query');
    try {
      await run();
      return spy.mock.calls.map(([text]) => (typeof text === 'string' ? text.replace(/\s+/g, ' ') : String(text)));
    } finally {
      spy.mockRestore();
    }
  }

  it('creates a family in two: BEGIN with the grant\'s lock and the insert, then COMMIT after the confirmation', async () => {
    const sent = await messages(() => store.create(family, async () => undefined));
    expect(sent).toEqual([
      expect.stringMatching(/^BEGIN; SELECT pg_advisory_xact_lock\(hashtextextended\('grant:grant-1', 0\)\); WITH family AS \( INSERT INTO refresh_families .* FROM family$/),
      'COMMIT',
    ]);
  });

  it('rotates in two: BEGIN with the locking read, then the rotation\'s write with COMMIT, after the work', async () => {
    let sentDuringWork = -1;
    const sent = await messages(() =>
      store.exchange(sha256Hash('rt0'), async (_locked, writer) => {
        await writer.rotate({ ...family, generation: 1, currentTokenHash: sha256Hash('rt1') }, null, T0 + 1000);
        sentDuringWork = (pg.Client.prototype.query as jest.Mock).mock.calls.length;
      }),
    );
    expect(sent).toEqual([
      expect.stringMatching(new RegExp(`^BEGIN; SELECT .* WHERE t.token_hash = '${sha256Hash('rt0')}' FOR UPDATE OF f$`)),
      expect.stringMatching(/^WITH token AS \( INSERT INTO refresh_tokens .* UPDATE refresh_families SET .* WHERE family_id = 'family-1'; COMMIT$/),
    ]);
    expect(sentDuringWork).toBe(1);
    expect((await db.query('SELECT generation, current_token_hash FROM refresh_families')).rows).toEqual([{ generation: 1, current_token_hash: sha256Hash('rt1') }]);
  });
});
