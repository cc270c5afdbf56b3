import { DatabaseUnavailableError } from '@authz/ports';

/**
 * COMMIT answered ROLLBACK: a statement inside the transaction failed and `work` caught that error
 * instead of letting it propagate, so nothing was written. pg reports this silently; PGlite throws.
 * Both adapters reject with this error instead.
 */
export class TransactionAbortedError extends Error {
  override readonly name = 'TransactionAbortedError';
  /** SQLSTATE in_failed_sql_transaction, so callers that switch on `code` can see it. */
  readonly code = '25P02';
}

/** Socket errors that mean the server cannot be reached (or went away). */
const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 53300 (too many connections),
 * 57P01-57P03 (admin/crash shutdown, cannot connect now), 57014 (query canceled: the statement_timeout
 * expired, i.e. the database did not answer in time).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '53300' || code === '57P01' || code === '57P02' || code === '57P03' || code === '57014';
}

/** Messages of node-postgres (pg, pg-pool) and PGlite for a lost or unusable connection. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // pg: server closed the socket; pg-pool: connection timeout
  /^timeout exceeded when trying to connect/, // pg-pool: connectionTimeoutMillis waiting for a client
  /^Query read timeout/, // pg: query_timeout
  /is not queryable$/, // pg: a client whose connection failed or was closed
  /^Cannot use a pool after calling end on the pool/, // pg-pool: after close()
  /^PGlite is closed/, // PGlite: after close()
];

/** True when `error` means the database cannot be reached (as opposed to an error in the SQL). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_ERRNO.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)))) return true;
  // A crashed WASM instance (PGlite) cannot answer any more either.
  if (name === 'RuntimeError' || name === 'ExitStatus') return true;
  // AggregateError of a dual-stack connect (localhost -> ::1 and 127.0.0.1), all refused.
  if (error instanceof AggregateError && error.errors.length > 0 && error.errors.every(isDatabaseUnavailable)) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Maps an error of the driver to the port's contract: unavailable → DatabaseUnavailableError (the
 * original as `cause`), everything else (constraint violations, syntax errors, errors thrown by the
 * caller's own code) unchanged, with its `code`.
 */
export function toDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isDatabaseUnavailable(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new DatabaseUnavailableError(`database unavailable: ${detail}`, { cause: error });
}

/** A schema name used in search_path: a plain lowercase identifier, so it needs no quoting. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new RangeError(`schema must be a lowercase SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters), got ${JSON.stringify(schema)}`);
  }
  return schema;
}
