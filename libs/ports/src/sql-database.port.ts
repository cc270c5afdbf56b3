export type SqlResult<R> = { rows: R[]; rowCount: number };

export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<SqlResult<R>>;
}

/**
 * PostgreSQL, either a server (pg) or embedded (PGlite, same SQL and migrations).
 * A query that cannot reach the database rejects with DatabaseUnavailableError.
 */
export interface SqlDatabase extends SqlExecutor {
  /** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on rejection). */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
