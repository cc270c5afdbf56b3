export type SqlResult<R> = { rows: R[]; rowCount: number };

/** A statement and the values of its `$n` parameters. */
export type SqlStatement = { readonly text: string; readonly values?: readonly unknown[] };

export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>>;
}

/**
 * What `work` gets inside SqlDatabase.transaction: `query`, and two ways to spend fewer round trips
 * to the server on a hot path (against a server every statement is one, and BEGIN and COMMIT are one each).
 */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Runs `statements` in order, in one round trip (the transaction's first one also carries its
   * BEGIN), and returns the last one's result. Under READ COMMITTED each statement takes its own
   * snapshot: a statement after one that waited for a lock (pg_advisory_xact_lock, FOR UPDATE) sees
   * what committed meanwhile. The first failing statement rejects with its SQL error; the rest do not run.
   *
   * Against a server the values are inlined as escaped literals (one simple-protocol message; the
   * server types them as it would the parameters): meant for a few small statements, not for bulk rows.
   */
  batch<R = Record<string, unknown>>(statements: readonly SqlStatement[]): Promise<SqlResult<R>>;
  /**
   * Queues `statement` to run once `work` has resolved, just before COMMIT and in COMMIT's round trip.
   * Nothing reads its result; its failure rolls the transaction back and rejects `transaction` with its
   * SQL error. For a write whose rows this transaction has locked already, so that only an outage can fail it.
   */
  atCommit(statement: SqlStatement): void;
}

/**
 * PostgreSQL, either a server (pg) or embedded (PGlite, same SQL and migrations).
 * A query that cannot reach the database rejects with DatabaseUnavailableError.
 */
export interface SqlDatabase extends SqlExecutor {
  /** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on rejection). */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
