import pg from 'pg';
import { DatabaseUnavailableError, silentLogger, type Logger, type SqlDatabase, type SqlResult, type SqlStatement, type SqlTransaction } from '@authz/ports';
import { inlineStatements } from './inline-statement';
import { TransactionAbortedError, assertSchemaName, isDatabaseUnavailable, toDatabaseError } from './sql-errors';

export type PgDatabaseOptions = {
  /** postgres://user:password@host:port/database (libpq URL; `?sslmode=…` etc. are honoured by pg). */
  connectionString: string;
  /** Most connections the pool opens (default 10). */
  max?: number;
  /**
   * search_path of every connection: a plain lowercase identifier. The schema must exist (CREATE SCHEMA);
   * tables created by migrations land in it. Default: the server's (usually "$user", public).
   */
  schema?: string;
  /** How long to wait for a connection (new or from a full pool) before DatabaseUnavailableError (default 3000 ms). */
  connectionTimeoutMillis?: number;
  /**
   * Server-side statement_timeout (default 10000 ms; 0 disables). The client also gives up 2 s later
   * (query_timeout), for a server that stopped answering altogether. Either one rejects with DatabaseUnavailableError.
   */
  statementTimeoutMillis?: number;
  /** An idle connection is closed after this long (default 10000 ms). */
  idleTimeoutMillis?: number;
  /** application_name shown in pg_stat_activity (default "authz"). */
  applicationName?: string;
  logger?: Logger;
};

/** Grace the client adds to statement_timeout before it abandons a query itself. */
const CLIENT_TIMEOUT_GRACE_MS = 2000;

/**
 * SqlDatabase over a pg.Pool (a PostgreSQL server).
 * Reaching the server fails with DatabaseUnavailableError (refused, timed out, connection lost, server
 * shutting down, statement_timeout); SQL errors (constraint violations, syntax…) reject unchanged with their SQLSTATE `code`.
 */
export class PgDatabase implements SqlDatabase {
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;

  constructor(options: PgDatabaseOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'pg-database' });
    const statementTimeout = options.statementTimeoutMillis ?? 10_000;
    const startupOptions = options.schema === undefined ? undefined : `-c search_path=${assertSchemaName(options.schema)}`;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 3000,
      idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
      statement_timeout: statementTimeout > 0 ? statementTimeout : false,
      ...(statementTimeout > 0 ? { query_timeout: statementTimeout + CLIENT_TIMEOUT_GRACE_MS } : {}),
      application_name: options.applicationName ?? 'authz',
      keepAlive: true,
      ...(startupOptions === undefined ? {} : { options: startupOptions }),
    });
    // An idle connection that breaks (server restart, network) is dropped by the pool, which then
    // emits 'error'; without a listener that would crash the process.
    this.pool.on('error', (error: Error) => this.logger.warn({ err: describe(error) }, 'idle PostgreSQL connection failed; the pool dropped it'));
  }

  async query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> {
    this.assertOpen();
    try {
      return toSqlResult<R>(await this.pool.query(text, values === undefined ? undefined : [...values]));
    } catch (error) {
      throw toDatabaseError(error);
    }
  }

  /**
   * BEGIN is not sent on its own: it goes with the first statement of `work` (in the same message as a
   * batch(), just before a query()), and atCommit() statements go in COMMIT's message. A `work` that
   * runs no statement at all sends nothing.
   */
  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toDatabaseError(error);
    }
    // A checked-out client has no error listener of the pool's: a connection that breaks between two
    // statements would emit an unhandled 'error' and end the process.
    let connectionError: Error | undefined;
    const onClientError = (error: Error): void => {
      connectionError = error;
      this.logger.warn({ err: describe(error) }, 'PostgreSQL connection failed inside a transaction');
    };
    client.on('error', onClientError);
    // 'idle': nothing sent yet; 'open': BEGIN sent, the transaction must end with COMMIT or ROLLBACK;
    // 'ended': COMMIT answered, or the connection is to be destroyed.
    let state: 'idle' | 'open' | 'ended' = 'idle';
    let working = true;
    const atCommit: SqlStatement[] = [];
    const send = async (text: string, values?: readonly unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> => {
      try {
        return await client.query(text, values === undefined ? undefined : [...values]);
      } catch (error) {
        throw toDatabaseError(error);
      }
    };
    const executor: SqlTransaction = {
      query: async <R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> => {
        if (state === 'idle') {
          state = 'open';
          await send('BEGIN');
        }
        return toSqlResult<R>(await send(text, values));
      },
      batch: async <R = Record<string, unknown>>(statements: readonly SqlStatement[]): Promise<SqlResult<R>> => {
        if (statements.length === 0) throw new TypeError('batch() needs at least one statement');
        const text = inlineStatements(statements);
        const begin = state === 'idle';
        state = 'open';
        return toSqlResult<R>(await send(begin ? `BEGIN;\n${text}` : text));
      },
      atCommit: (statement: SqlStatement): void => {
        if (!working) throw new Error('atCommit() after work has resolved');
        atCommit.push(statement);
      },
    };
    try {
      const result = await work(executor);
      working = false;
      if (state === 'idle' && atCommit.length === 0) return result;
      const text = [...(state === 'idle' ? ['BEGIN'] : []), ...(atCommit.length > 0 ? [inlineStatements(atCommit)] : []), 'COMMIT'].join(';\n');
      state = 'open';
      const answers = await send(text);
      state = 'ended';
      const commit = Array.isArray(answers) ? answers[answers.length - 1] : answers;
      if (commit?.command === 'ROLLBACK') throw new TransactionAbortedError('the transaction was rolled back instead of committed: a statement in it failed');
      return result;
    } catch (error) {
      working = false;
      if (isDatabaseUnavailable(error)) {
        // The connection is gone or stuck (query_timeout): closing it rolls back on the server.
        connectionError ??= error as Error;
      } else if (state === 'open') {
        // Also after a failed COMMIT message: an atCommit() statement that failed leaves the transaction
        // open (aborted); a failed COMMIT has ended it, and ROLLBACK then only warns.
        state = 'ended';
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          connectionError ??= rollbackError as Error;
        }
      }
      throw error;
    } finally {
      client.off('error', onClientError);
      // A connection that failed, or whose state is unknown, is destroyed instead of going back to the pool.
      client.release(connectionError);
    }
  }

  /** Ends the pool once its connections are released. Idempotent; afterwards every call rejects with DatabaseUnavailableError. */
  async close(): Promise<void> {
    this.closing ??= this.pool.end();
    await this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new DatabaseUnavailableError('database unavailable: this PgDatabase is closed');
  }
}

/** pg returns an array of results for a multi-statement text (simple protocol, no parameters): keep the last, like PGlite. */
function toSqlResult<R>(result: pg.QueryResult | pg.QueryResult[]): SqlResult<R> {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  if (last === undefined) return { rows: [], rowCount: 0 };
  return { rows: last.rows as R[], rowCount: last.rowCount ?? 0 };
}

function describe(error: Error): Record<string, unknown> {
  return { message: error.message, code: (error as { code?: unknown }).code, unavailable: isDatabaseUnavailable(error) };
}
