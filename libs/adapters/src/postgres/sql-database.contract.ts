// Contract every SqlDatabase passes (PgDatabase against a server, PgliteDatabase in process), so that
// code and migrations written against one run on the other. Test-only: not exported from the lib's index.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DatabaseUnavailableError, type SqlDatabase, type SqlTransaction } from '@authz/ports';
import { MIGRATIONS_DIR, MigrationChecksumError, MigrationFailedError, MigrationFileError, migrate } from './migrate';
import { TransactionAbortedError } from './sql-errors';

export type SqlDatabaseContractTarget = {
  /** A database whose search_path is a fresh, empty schema. The target closes it in dispose(). */
  fresh(): Promise<SqlDatabase>;
  /**
   * `count` more databases over the schema of the latest fresh() one, each with its own connections
   * (replicas racing each other). Absent for a single-session engine (PGlite).
   */
  peers?(count: number): Promise<SqlDatabase[]>;
  /** Closes everything and drops what fresh() created. */
  dispose(): Promise<void>;
};

export type SqlDatabaseContractOptions = {
  /** The target implements peers(): run the tests of replicas racing on separate connections. */
  separateConnections: boolean;
};

export function describeSqlDatabaseContract(name: string, factory: () => Promise<SqlDatabaseContractTarget>, options: SqlDatabaseContractOptions): void {
  describe(`SqlDatabase contract: ${name}`, () => {
    let target: SqlDatabaseContractTarget;
    let db: SqlDatabase;
    const scratchDirs: string[] = [];

    beforeAll(async () => {
      target = await factory();
      db = await target.fresh();
    });

    afterAll(async () => {
      await target?.dispose();
      await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    async function migrationDir(files: Record<string, string>): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'authz-migrations-'));
      scratchDirs.push(dir);
      await Promise.all(Object.entries(files).map(([fileName, sql]) => writeFile(join(dir, fileName), sql)));
      return dir;
    }

    describe('queries', () => {
      it('binds $n parameters and returns rows and rowCount', async () => {
        const result = await db.query<{ greeting: string; answer: number }>('SELECT $1::text AS greeting, $2::int AS answer', ['hello', 42]);
        expect(result).toEqual({ rows: [{ greeting: 'hello', answer: 42 }], rowCount: 1 });
      });

      it('runs several statements when there are no parameters, and returns the last one', async () => {
        const result = await db.query<{ n: number }>('CREATE TABLE multi (n int); INSERT INTO multi VALUES (1), (2); SELECT n FROM multi ORDER BY n');
        expect(result).toEqual({ rows: [{ n: 1 }, { n: 2 }], rowCount: 2 });
      });

      it('reports rowCount of writes and 0 for DDL', async () => {
        expect((await db.query('CREATE TABLE counted (n int)')).rowCount).toBe(0);
        expect((await db.query('INSERT INTO counted SELECT generate_series(1, $1::int)', [5])).rowCount).toBe(5);
        expect((await db.query('UPDATE counted SET n = n + 1 WHERE n > $1', [3])).rowCount).toBe(2);
        expect((await db.query('DELETE FROM counted WHERE n = $1', [99])).rowCount).toBe(0);
      });

      it('reads timestamptz as Date, int8 as string, jsonb as a value, text[] as string[], numeric as string', async () => {
        const { rows } = await db.query(
          `SELECT '2024-05-06T07:08:09.123Z'::timestamptz AS at, 9007199254740993::int8 AS big, ARRAY[1, 2]::int8[] AS bigs,
                  3::int4 AS small, '{"a": [1, {"b": null}]}'::jsonb AS doc, ARRAY['x', 'y,z']::text[] AS tags,
                  1.50::numeric AS amount, true AS flag, NULL::text AS nothing, count(*) AS counted`,
        );
        expect(rows[0]).toEqual({
          at: new Date('2024-05-06T07:08:09.123Z'),
          big: '9007199254740993',
          bigs: ['1', '2'],
          small: 3,
          doc: { a: [1, { b: null }] },
          tags: ['x', 'y,z'],
          amount: '1.50',
          flag: true,
          nothing: null,
          counted: '1',
        });
        expect(rows[0]!.at).toBeInstanceOf(Date);
      });

      it('binds Date, bigint, string arrays and JSON text parameters', async () => {
        const at = new Date('2030-01-02T03:04:05.678Z');
        const { rows } = await db.query(
          'SELECT $1::timestamptz AS at, $2::int8 AS big, $3::text[] AS tags, $4::jsonb AS doc, $5::int8 AS from_string',
          [at, 9007199254740993n, ['a', 'b c', 'd"e'], JSON.stringify({ list: [1, 2], nested: { ok: true } }), '12'],
        );
        expect(rows[0]).toEqual({ at, big: '9007199254740993', tags: ['a', 'b c', 'd"e'], doc: { list: [1, 2], nested: { ok: true } }, from_string: '12' });
      });

      it('passes SQL errors through unchanged, with their SQLSTATE code', async () => {
        await db.query('CREATE TABLE unique_keys (k text PRIMARY KEY)');
        await db.query('INSERT INTO unique_keys VALUES ($1)', ['a']);
        const duplicate = await db.query('INSERT INTO unique_keys VALUES ($1)', ['a']).catch((error: unknown) => error);
        expect(duplicate).not.toBeInstanceOf(DatabaseUnavailableError);
        expect(duplicate).toMatchObject({ code: '23505', constraint: 'unique_keys_pkey' });
        await expect(db.query('SELEC 1')).rejects.toMatchObject({ code: '42601' });
        await expect(db.query('SELECT $1::int', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
      });
    });

    describe('unnest batch upsert', () => {
      const upsert = 'INSERT INTO batch (k, v) SELECT * FROM unnest($1::text[], $2::int[]) ON CONFLICT DO NOTHING';

      it('inserts a batch in one statement and skips rows that exist', async () => {
        await db.query('CREATE TABLE batch (k text PRIMARY KEY, v int NOT NULL)');
        const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
        expect((await db.query(upsert, [keys, keys.map((_, i) => i)])).rowCount).toBe(1000);

        const overlapping = Array.from({ length: 1000 }, (_, i) => `k${i + 500}`);
        expect((await db.query(upsert, [overlapping, overlapping.map(() => -1)])).rowCount).toBe(500);

        const { rows } = await db.query<{ total: string; kept: string }>('SELECT count(*) AS total, count(*) FILTER (WHERE v >= 0) AS kept FROM batch');
        expect(rows[0]).toEqual({ total: '1500', kept: '1000' });
      });

      it('takes 10 000 rows in one statement', async () => {
        const keys = Array.from({ length: 10_000 }, (_, i) => `big-${i}`);
        expect((await db.query(upsert, [keys, keys.map((_, i) => i)])).rowCount).toBe(10_000);
        expect((await db.query(upsert, [keys, keys.map((_, i) => i)])).rowCount).toBe(0);
      });
    });

    describe('transactions', () => {
      beforeAll(async () => {
        await db.query('CREATE TABLE ledger (id int PRIMARY KEY, note text)');
      });

      it('commits every statement of work, and returns its result', async () => {
        const result = await db.transaction(async (tx) => {
          await tx.query('INSERT INTO ledger VALUES ($1, $2)', [1, 'one']);
          await tx.query('INSERT INTO ledger VALUES ($1, $2)', [2, 'two']);
          return (await tx.query<{ n: string }>('SELECT count(*) AS n FROM ledger')).rows[0]!.n;
        });
        expect(result).toBe('2');
        expect((await db.query('SELECT id FROM ledger ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
      });

      it('rolls back when work throws, and rethrows the same error', async () => {
        const thrown = new Error('work failed');
        await expect(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO ledger VALUES ($1, $2)', [3, 'three']);
            throw thrown;
          }),
        ).rejects.toBe(thrown);
        expect((await db.query('SELECT id FROM ledger WHERE id = $1', [3])).rowCount).toBe(0);
      });

      it('rolls back when a statement fails, and rejects with its SQL error', async () => {
        await expect(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO ledger VALUES ($1, $2)', [4, 'four']);
            await tx.query('INSERT INTO ledger VALUES ($1, $2)', [1, 'duplicate']);
          }),
        ).rejects.toMatchObject({ code: '23505' });
        expect((await db.query('SELECT id FROM ledger WHERE id = $1', [4])).rowCount).toBe(0);
      });

      it('rejects with TransactionAbortedError when work swallows a failed statement, and writes nothing', async () => {
        const outcome = db.transaction(async (tx) => {
          await tx.query('INSERT INTO ledger VALUES ($1, $2)', [5, 'five']);
          await tx.query('INSERT INTO ledger VALUES ($1, $2)', [1, 'duplicate']).catch(() => undefined);
          return 'looks fine';
        });
        await expect(outcome).rejects.toBeInstanceOf(TransactionAbortedError);
        expect((await db.query('SELECT id FROM ledger WHERE id = $1', [5])).rowCount).toBe(0);
      });

      it('keeps working after failed transactions (the connection went back clean)', async () => {
        for (let i = 0; i < 3; i += 1) {
          await expect(db.transaction(() => Promise.reject(new Error(`failure ${i}`)))).rejects.toThrow(`failure ${i}`);
        }
        await db.transaction((tx) => tx.query('INSERT INTO ledger VALUES ($1, $2)', [6, 'six']));
        expect((await db.query('SELECT note FROM ledger WHERE id = $1', [6])).rows).toEqual([{ note: 'six' }]);
      });

      it('runs concurrent transactions without losing an update', async () => {
        await db.query('CREATE TABLE tally (id int PRIMARY KEY, n int NOT NULL)');
        await db.query('INSERT INTO tally VALUES (1, 0)');
        await Promise.all(
          Array.from({ length: 20 }, () =>
            db.transaction(async (tx) => {
              const { rows } = await tx.query<{ n: number }>('SELECT n FROM tally WHERE id = 1 FOR UPDATE');
              await tx.query('UPDATE tally SET n = $1 WHERE id = 1', [rows[0]!.n + 1]);
            }),
          ),
        );
        expect((await db.query('SELECT n FROM tally WHERE id = 1')).rows).toEqual([{ n: 20 }]);
      });
    });

    describe('batch and atCommit (fewer round trips)', () => {
      beforeAll(async () => {
        await db.query('CREATE TABLE journal (id int PRIMARY KEY, note text, tags text[], doc jsonb, at timestamptz, raw bytea)');
      });

      const ids = async (): Promise<number[]> => (await db.query<{ id: number }>('SELECT id FROM journal ORDER BY id')).rows.map((row) => row.id);

      it('runs a batch in order inside the transaction and returns the last statement\'s result', async () => {
        const result = await db.transaction((tx) =>
          tx.batch<{ id: number; note: string }>([
            { text: 'INSERT INTO journal (id, note) VALUES ($1, $2)', values: [1, 'one'] },
            { text: 'INSERT INTO journal (id, note) VALUES ($1, $2)', values: [2, 'two'] },
            { text: 'SELECT id, note FROM journal WHERE id >= $1 ORDER BY id', values: [1] },
          ]),
        );
        expect(result).toEqual({ rows: [{ id: 1, note: 'one' }, { id: 2, note: 'two' }], rowCount: 2 });
        expect(await ids()).toEqual([1, 2]);
      });

      it('types a batch\'s values as it would parameters, and keeps quotes, backslashes and $n in them', async () => {
        const at = new Date('2026-11-22T10:11:12.345Z');
        const note = `it's a \\ back'slash, E'x', $1 -- and /* not */ a comment`;
        const { rows } = await db.transaction((tx) =>
          tx.batch([
            {
              text: 'INSERT INTO journal (id, note, tags, doc, at, raw) VALUES ($1, $2, $3::text[], $4::jsonb, $5, $6)',
              values: [3, note, ['a', 'b c', 'd"e', "f'g"], JSON.stringify({ k: [1, null, 'x'] }), at, Buffer.from([0, 1, 254])],
            },
            { text: 'SELECT note, tags, doc, at, raw, $2::int + 1 AS sum, $3::text IS NULL AS missing FROM journal WHERE id = $1', values: [3, '41', null] },
          ]),
        );
        expect(rows).toEqual([{ note, tags: ['a', 'b c', 'd"e', "f'g"], doc: { k: [1, null, 'x'] }, at, raw: Buffer.from([0, 1, 254]), sum: 42, missing: true }]);
      });

      it('rolls the whole transaction back when a batch\'s statement fails: the rest of the batch does not run', async () => {
        await expect(
          db.transaction(async (tx) => {
            await tx.batch([
              { text: 'INSERT INTO journal (id) VALUES ($1)', values: [10] },
              { text: 'INSERT INTO journal (id) VALUES ($1)', values: [1] },
              { text: 'INSERT INTO journal (id) VALUES ($1)', values: [11] },
            ]);
          }),
        ).rejects.toMatchObject({ code: '23505' });
        expect(await ids()).toEqual([1, 2, 3]);
      });

      it('refuses a value with a NUL character before sending anything, and writes nothing', async () => {
        await expect(
          db.transaction(async (tx) => {
            await tx.query('INSERT INTO journal (id) VALUES ($1)', [12]);
            await tx.batch([{ text: 'INSERT INTO journal (id, note) VALUES ($1, $2)', values: [13, 'a\0b'] }]);
          }),
        ).rejects.toMatchObject({ code: '22021' });
        expect(await ids()).toEqual([1, 2, 3]);
      });

      it('runs atCommit statements after work, in order, and commits them with the rest', async () => {
        const seen = await db.transaction(async (tx) => {
          tx.atCommit({ text: 'INSERT INTO journal (id, note) VALUES ($1, $2)', values: [20, 'at commit'] });
          tx.atCommit({ text: 'UPDATE journal SET note = note || $2 WHERE id = $1', values: [20, ', then updated'] });
          await tx.query('INSERT INTO journal (id, note) VALUES ($1, $2)', [21, 'in work']);
          // Not run yet while work runs.
          return (await tx.query('SELECT id FROM journal WHERE id = $1', [20])).rowCount;
        });
        expect(seen).toBe(0);
        expect((await db.query('SELECT id, note FROM journal WHERE id >= 20 ORDER BY id')).rows).toEqual([
          { id: 20, note: 'at commit, then updated' },
          { id: 21, note: 'in work' },
        ]);
      });

      it('commits atCommit statements of a work that ran nothing else', async () => {
        await db.transaction(async (tx) => tx.atCommit({ text: 'INSERT INTO journal (id) VALUES ($1)', values: [22] }));
        expect(await ids()).toEqual([1, 2, 3, 20, 21, 22]);
      });

      it('drops atCommit statements when work rejects', async () => {
        const thrown = new Error('work failed');
        await expect(
          db.transaction(async (tx) => {
            tx.atCommit({ text: 'INSERT INTO journal (id) VALUES ($1)', values: [23] });
            throw thrown;
          }),
        ).rejects.toBe(thrown);
        expect(await ids()).toEqual([1, 2, 3, 20, 21, 22]);
      });

      it('rolls back everything when an atCommit statement fails, rejects with its SQL error, and the connection goes back clean', async () => {
        for (let i = 0; i < 3; i += 1) {
          await expect(
            db.transaction(async (tx) => {
              await tx.batch([{ text: 'INSERT INTO journal (id) VALUES ($1)', values: [30 + i] }]);
              tx.atCommit({ text: 'INSERT INTO journal (id) VALUES ($1)', values: [1] });
              return 'looks fine';
            }),
          ).rejects.toMatchObject({ code: '23505' });
        }
        expect(await ids()).toEqual([1, 2, 3, 20, 21, 22]);
        await db.transaction((tx) => tx.batch([{ text: 'INSERT INTO journal (id) VALUES ($1)', values: [33] }]));
        expect(await ids()).toEqual([1, 2, 3, 20, 21, 22, 33]);
      });

      it('refuses atCommit once work has resolved, and an empty batch', async () => {
        let late: SqlTransaction | undefined;
        await db.transaction(async (tx) => {
          late = tx;
        });
        expect(() => late!.atCommit({ text: 'SELECT 1' })).toThrow('atCommit() after work has resolved');
        await expect(db.transaction((tx) => tx.batch([]))).rejects.toThrow('batch() needs at least one statement');
      });

      // Defined only for engines with several sessions.
      const itWithSeparateConnections = options.separateConnections ? it : () => undefined;
      itWithSeparateConnections('runs each statement of a batch on its own snapshot: the one after a lock sees what committed while it waited', async () => {
        const [other] = await target.peers!(1);
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const holding = new Promise<void>((resolve) => (locked = resolve));
        const holder = other!.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(42)');
          await tx.query('INSERT INTO journal (id) VALUES ($1)', [40]);
          locked();
          await released;
        });
        await holding;
        const waiter = db.transaction((tx) =>
          tx.batch<{ n: string }>([{ text: 'SELECT pg_advisory_xact_lock($1)', values: [42] }, { text: 'SELECT count(*) AS n FROM journal WHERE id = $1', values: [40] }]),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        release();
        await holder;
        expect((await waiter).rows).toEqual([{ n: '1' }]);
      });
    });

    describe('migrate', () => {
      it('applies the shipped migrations once; a second run applies nothing', async () => {
        const fresh = await target.fresh();
        const first = await migrate(fresh);
        expect(first.map((m) => `${m.version}_${m.name}`)).toContain('0001_foundation');
        const foundation = await readFile(join(MIGRATIONS_DIR, '0001_foundation.sql'));
        expect(first[0]!.checksum).toBe(createHash('sha256').update(foundation).digest('hex'));

        const { rows } = await fresh.query<{ version: string; name: string; checksum: string; applied_at: Date }>(
          'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
        );
        expect(rows.map((row) => row.version)).toEqual(first.map((m) => m.version));
        expect(rows[0]!.applied_at).toBeInstanceOf(Date);
        expect((await fresh.query('SELECT kid FROM signing_keys')).rowCount).toBe(0);

        expect(await migrate(fresh)).toEqual([]);
      });

      it('applies only the files added since the last run, in order', async () => {
        const fresh = await target.fresh();
        const dir = await migrationDir({ '0001_first.sql': 'CREATE TABLE steps (n int);\nINSERT INTO steps VALUES (1);' });
        expect((await migrate(fresh, { dir })).map((m) => m.version)).toEqual(['0001']);
        await writeFile(join(dir, '0003_third.sql'), 'INSERT INTO steps VALUES (3);');
        await writeFile(join(dir, '0002_second.sql'), 'INSERT INTO steps VALUES (2);');
        await writeFile(join(dir, 'README.md'), 'not a migration');
        expect((await migrate(fresh, { dir })).map((m) => `${m.version}_${m.name}`)).toEqual(['0002_second', '0003_third']);
        expect((await fresh.query('SELECT n FROM steps')).rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      });

      it('refuses to run when an applied migration was changed', async () => {
        const fresh = await target.fresh();
        const dir = await migrationDir({ '0001_first.sql': 'CREATE TABLE tampered (n int);' });
        await migrate(fresh, { dir });
        await writeFile(join(dir, '0001_first.sql'), 'CREATE TABLE tampered (n bigint);');
        await writeFile(join(dir, '0002_second.sql'), 'CREATE TABLE never_applied (n int);');
        const error = await migrate(fresh, { dir }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MigrationChecksumError);
        expect(error).toMatchObject({ version: '0001', fileName: '0001_first.sql' });
        expect((await fresh.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'never_applied'")).rowCount).toBe(0);
      });

      it('rolls back a failing migration with its row, and applies it once fixed', async () => {
        const fresh = await target.fresh();
        const dir = await migrationDir({
          '0001_good.sql': 'CREATE TABLE good (n int);',
          '0002_bad.sql': 'CREATE TABLE half_done (n int);\nINSERT INTO missing_table VALUES (1);',
        });
        const error = await migrate(fresh, { dir }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MigrationFailedError);
        expect(error).toMatchObject({ version: '0002', cause: { code: '42P01' } });
        expect((await fresh.query('SELECT version FROM schema_migrations')).rows).toEqual([{ version: '0001' }]);
        expect((await fresh.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'")).rowCount).toBe(0);

        await writeFile(join(dir, '0002_bad.sql'), 'CREATE TABLE half_done (n int);');
        expect((await migrate(fresh, { dir })).map((m) => m.version)).toEqual(['0002']);
      });

      it('rejects a missing folder, or one with a badly named or duplicated migration', async () => {
        const fresh = await target.fresh();
        await expect(migrate(fresh, { dir: join(tmpdir(), `authz-missing-${process.pid}-${Date.now()}`) })).rejects.toBeInstanceOf(MigrationFileError);
        await expect(migrate(fresh, { dir: await migrationDir({ '1_short.sql': 'SELECT 1;' }) })).rejects.toBeInstanceOf(MigrationFileError);
        await expect(migrate(fresh, { dir: await migrationDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' }) })).rejects.toBeInstanceOf(MigrationFileError);
      });

      it('applies each migration once when several runs race on one database', async () => {
        const fresh = await target.fresh();
        const dir = await migrationDir(racingMigrations());
        const runs = await Promise.all([migrate(fresh, { dir }), migrate(fresh, { dir }), migrate(fresh, { dir })]);
        expect(runs.flat().map((m) => m.version).sort()).toEqual(['0001', '0002', '0003']);
        expect((await fresh.query('SELECT n FROM applications ORDER BY n')).rows).toEqual([{ n: 2 }, { n: 3 }]);
      });

      // Defined only for engines with several sessions: PGlite has one, and the test above covers it.
      const itWithSeparateConnections = options.separateConnections ? it : () => undefined;
      itWithSeparateConnections('applies each migration once when replicas on separate connections race', async () => {
        const first = await target.fresh();
        const replicas = [first, ...(await target.peers!(2))];
        const dir = await migrationDir(racingMigrations());
        const runs = await Promise.all(replicas.map((replica) => migrate(replica, { dir })));
        expect(runs.flat().map((m) => m.version).sort()).toEqual(['0001', '0002', '0003']);
        expect((await first.query('SELECT n FROM applications ORDER BY n')).rows).toEqual([{ n: 2 }, { n: 3 }]);
        expect((await first.query('SELECT count(*) AS n FROM schema_migrations')).rows).toEqual([{ n: '3' }]);
      });
    });

    describe('close', () => {
      it('rejects every call afterwards with DatabaseUnavailableError, and is idempotent', async () => {
        const closing = await target.fresh();
        await closing.query('SELECT 1');
        await closing.close();
        await closing.close();
        await expect(closing.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
        await expect(closing.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
      });
    });
  });
}

/** Slow migrations, so that racing runs overlap; a second application of 0002 or 0003 would show as a duplicate row. */
function racingMigrations(): Record<string, string> {
  return {
    '0001_create.sql': 'CREATE TABLE applications (n int PRIMARY KEY);',
    '0002_slow.sql': 'SELECT pg_sleep(0.2);\nINSERT INTO applications VALUES (2);',
    '0003_slow.sql': 'SELECT pg_sleep(0.1);\nINSERT INTO applications VALUES (3);',
  };
}
