import { AsyncLocalStorage } from 'node:async_hooks';
import { PGlite, types, type ParserOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { DatabaseUnavailableError, silentLogger, type Logger, type SqlDatabase, type SqlResult, type SqlStatement, type SqlTransaction } from '@authz/ports';
import { TransactionAbortedError, assertSchemaName, toDatabaseError } from './sql-errors';

export type PgliteDatabaseOptions = {
  /** Directory of the database files (created on first use, kept across restarts). Omitted: in memory, gone on close(). */
  dataDir?: string;
  /** search_path of the (single) session: a plain lowercase identifier, created if it does not exist. */
  schema?: string;
  logger?: Logger;
};

/**
 * Result parsing made to match node-postgres (PgDatabase), so code and tests run unchanged on both:
 * int8 (and int8[]) as a string, not a JS number that loses precision past 2^53; bytea as a Buffer.
 * PGlite already returns timestamptz as Date, jsonb/json as parsed values, text[] as string[], numeric as string.
 */
const PG_COMPATIBLE_PARSERS: ParserOptions = {
  [types.INT8]: (value: string) => value,
  [types.BYTEA]: (value: string) => Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex'),
};

const ROLLED_BACK_AT_COMMIT = /rolled back instead of committed/;

/**
 * SqlDatabase over PGlite, PostgreSQL compiled to WASM and run in this process: the all-in-one mode
 * and unit tests, with the same SQL and migrations as PgDatabase.
 *
 * Differences from PgDatabase that remain:
 *  - PGlite is PostgreSQL 18 and the servers are 15: SQL that needs 16+ runs here and fails there; the
 *    pg integration tests are the judge.
 *  - one session: statements and transactions run one after another, never in parallel. Inside
 *    `transaction(work)`, use only `tx`; calling this database's own query()/transaction() from `work` rejects
 *    (it would wait for the transaction forever, where pg would use a second connection).
 *  - parameters are serialized by their SQL type (a JS array bound to `$1::jsonb` becomes JSON here, but
 *    a Postgres array literal in pg, which then fails): pass JSON.stringify(value) for json/jsonb parameters.
 *  - `interval` comes back as text (pg: a PostgresInterval object); `date` and `timestamp` (without time
 *    zone) are read as UTC (pg: in the process's local time zone). Use timestamptz.
 */
export class PgliteDatabase implements SqlDatabase {
  private readonly logger: Logger;
  private readonly transactionScope = new AsyncLocalStorage<{ active: boolean }>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pglite: PGlite,
    private readonly options: PgliteDatabaseOptions,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'pglite-database' });
  }

  /** Starts PGlite (a fresh in-memory database takes one to a few seconds: share one per test file and use clone()). */
  static async create(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
    const started = Date.now();
    const pglite = await PGlite.create({ ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }), parsers: PG_COMPATIBLE_PARSERS });
    return PgliteDatabase.open(pglite, options, started);
  }

  private static async open(pglite: PGlite, options: PgliteDatabaseOptions, started: number): Promise<PgliteDatabase> {
    const database = new PgliteDatabase(pglite, options);
    if (options.schema !== undefined) {
      const schema = assertSchemaName(options.schema);
      await pglite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
    }
    database.logger.debug({ dataDir: options.dataDir ?? 'memory', startMs: Date.now() - started }, 'PGlite started');
    return database;
  }

  /**
   * A new, independent in-memory database holding a copy of this one's data (e.g. migrate once, then one
   * clone per test: measured 0.6 s against 2-5 s for create() plus migrate()).
   */
  async clone(): Promise<PgliteDatabase> {
    this.assertUsable();
    const started = Date.now();
    const image = await this.pglite.dumpDataDir('none');
    const pglite = await PGlite.create({ loadDataDir: image, parsers: PG_COMPATIBLE_PARSERS });
    const { dataDir: _inMemory, ...rest } = this.options;
    return PgliteDatabase.open(pglite, rest, started);
  }

  async query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> {
    this.assertUsable();
    try {
      return await run<R>(this.pglite, text, values);
    } catch (error) {
      throw toDatabaseError(error);
    }
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    this.assertUsable();
    const scope = { active: true };
    // An object, not a `let`: TypeScript does not follow assignments made inside the callback.
    const progress: { stage: 'begin' | 'work' | 'commit' } = { stage: 'begin' };
    try {
      return await this.pglite.transaction(async (tx) => {
        const query = async <R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> => {
          try {
            return await run<R>(tx, text, values);
          } catch (error) {
            throw toDatabaseError(error);
          }
        };
        // In process there are no round trips to save: a batch runs its statements one by one, and the
        // atCommit() ones run after work, inside the transaction.
        const atCommit: SqlStatement[] = [];
        let working = true;
        const executor: SqlTransaction = {
          query,
          batch: async <R = Record<string, unknown>>(statements: readonly SqlStatement[]): Promise<SqlResult<R>> => {
            if (statements.length === 0) throw new TypeError('batch() needs at least one statement');
            let last: SqlResult<R> = { rows: [], rowCount: 0 };
            for (const statement of statements) last = await query<R>(statement.text, statement.values);
            return last;
          },
          atCommit: (statement: SqlStatement): void => {
            if (!working) throw new Error('atCommit() after work has resolved');
            atCommit.push(statement);
          },
        };
        progress.stage = 'work';
        try {
          const result = await this.transactionScope.run(scope, () => work(executor));
          working = false;
          for (const statement of atCommit) await query(statement.text, statement.values);
          progress.stage = 'commit';
          return result;
        } finally {
          working = false;
          scope.active = false;
        }
      });
    } catch (error) {
      // An error of `work` (its tx queries are mapped already) rejects unchanged; BEGIN's and COMMIT's are mapped here.
      if (progress.stage === 'work') throw error;
      if (progress.stage === 'commit' && error instanceof Error && ROLLED_BACK_AT_COMMIT.test(error.message)) {
        throw new TransactionAbortedError('the transaction was rolled back instead of committed: a statement in it failed', { cause: error });
      }
      throw toDatabaseError(error);
    } finally {
      scope.active = false;
    }
  }

  /** Stops PGlite (an in-memory database is gone). Idempotent; afterwards every call rejects with DatabaseUnavailableError. */
  async close(): Promise<void> {
    this.closing ??= this.pglite.closed ? Promise.resolve() : this.pglite.close();
    await this.closing;
  }

  private assertUsable(): void {
    if (this.closing !== undefined) throw new DatabaseUnavailableError('database unavailable: this PgliteDatabase is closed');
    if (this.transactionScope.getStore()?.active) {
      throw new Error('PgliteDatabase: inside transaction(work), query through `tx`; PGlite has a single session, so this call would wait for the transaction forever');
    }
  }
}

// PGlite loads its WASM and Node built-ins with import(). Under jest that needs
// NODE_OPTIONS=--experimental-vm-modules (electric-sql/pglite#224); jest.config.js refuses to start
// without it, so a missing flag is a clear error there rather than a crash here.

/**
 * Without parameters, the simple query protocol (several statements allowed, e.g. a migration file),
 * with the last statement's result; with parameters, one prepared statement. That is pg's rule too.
 */
async function run<R>(target: PGlite | Transaction, text: string, values: readonly unknown[] | undefined): Promise<SqlResult<R>> {
  if (values === undefined || values.length === 0) {
    const results = await target.exec(text);
    return toSqlResult<R>(results[results.length - 1]);
  }
  return toSqlResult<R>(await target.query<R>(text, [...values]));
}

function toSqlResult<R>(result: Results<R> | Results | undefined): SqlResult<R> {
  if (result === undefined) return { rows: [], rowCount: 0 };
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}
