import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from './migrate';
import { PgliteDatabase } from './pglite-database';
import { describeSqlDatabaseContract } from './sql-database.contract';

// PGlite starts in one to a few seconds: one instance per file, and a clone (a copy of its data) per fresh database.
jest.setTimeout(60_000);

describeSqlDatabaseContract('PgliteDatabase', async () => {
  const base = await PgliteDatabase.create();
  const opened: PgliteDatabase[] = [base];
  return {
    fresh: async () => {
      const db = await base.clone();
      opened.push(db);
      return db;
    },
    dispose: async () => {
      await Promise.all(opened.map((db) => db.close()));
    },
  };
}, { separateConnections: false });

describe('PgliteDatabase', () => {
  let db: PgliteDatabase;

  beforeAll(async () => {
    db = await PgliteDatabase.create({ schema: 'authz' });
  });

  afterAll(async () => {
    await db?.close();
  });

  it('creates the schema option and makes it the search_path', async () => {
    await db.query('CREATE TABLE placed (n int)');
    const { rows } = await db.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'placed'");
    expect(rows).toEqual([{ table_schema: 'authz' }]);
  });

  it('rejects, instead of waiting forever, a call on the database from inside its own transaction', async () => {
    await expect(db.transaction(() => db.query('SELECT 1'))).rejects.toThrow(/query through `tx`/);
    await expect(db.transaction(() => db.transaction((tx) => tx.query('SELECT 1')))).rejects.toThrow(/query through `tx`/);
    // Work that outlives its transaction is not mistaken for it.
    let later: Promise<unknown> = Promise.resolve();
    await db.transaction(async () => {
      later = new Promise((resolve) => setTimeout(resolve, 10)).then(() => db.query('SELECT 1'));
    });
    await expect(later).resolves.toMatchObject({ rowCount: 1 });
  });

  it('reads bytea as a Buffer, like pg', async () => {
    const { rows } = await db.query<{ bytes: Buffer }>("SELECT '\\x00ff10'::bytea AS bytes");
    expect(Buffer.isBuffer(rows[0]!.bytes)).toBe(true);
    expect(rows[0]!.bytes.toString('hex')).toBe('00ff10');
  });

  it('clones into an independent database with the same data and schema', async () => {
    await db.query('CREATE TABLE cloned (n int); INSERT INTO cloned VALUES (1)');
    const copy = await db.clone();
    try {
      await copy.query('INSERT INTO cloned VALUES (2)');
      expect((await copy.query('SELECT n FROM cloned ORDER BY n')).rows).toEqual([{ n: 1 }, { n: 2 }]);
      expect((await db.query('SELECT n FROM cloned')).rows).toEqual([{ n: 1 }]);
      expect((await copy.query('SHOW search_path')).rows).toEqual([{ search_path: 'authz' }]);
    } finally {
      await copy.close();
    }
  });

  it('keeps a dataDir database across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'authz-pglite-'));
    try {
      const first = await PgliteDatabase.create({ dataDir });
      expect(await migrate(first)).not.toEqual([]);
      await first.query('INSERT INTO projection_positions (projection, topic, partition, "offset") VALUES ($1, $2, $3, $4)', ['p', 't', 0, '9007199254740993']);
      await first.close();

      const second = await PgliteDatabase.create({ dataDir });
      try {
        expect(await migrate(second)).toEqual([]);
        expect((await second.query('SELECT "offset" FROM projection_positions')).rows).toEqual([{ offset: '9007199254740993' }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
