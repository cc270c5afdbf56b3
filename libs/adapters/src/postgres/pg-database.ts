import pg from 'pg';
import { DatabaseUnavailableError, silentLogger, type Logger, type SqlDatabase, type SqlExecutor, type SqlResult } from '@authz/ports';
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

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
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
    const executor: SqlExecutor = {
      query: async <R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>> => {
        try {
          return toSqlResult<R>(await client.query(text, values === undefined ? undefined : [...values]));
        } catch (error) {
          throw toDatabaseError(error);
        }
      },
    };
    let finished = false;
    try {
      await runControl(client, 'BEGIN');
      const result = await work(executor);
      finished = true;
      const commit = await runControl(client, 'COMMIT');
      if (commit.command === 'ROLLBACK') throw new TransactionAbortedError('the transaction was rolled back instead of committed: a statement in it failed');
      return result;
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // The connection is gone or stuck (query_timeout): closing it rolls back on the server.
        connectionError ??= error as Error;
      } else if (!finished) {
        finished = true;
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

async function runControl(client: pg.PoolClient, statement: 'BEGIN' | 'COMMIT'): Promise<pg.QueryResult> {
  try {
    return await client.query(statement);
  } catch (error) {
    throw toDatabaseError(error);
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
