import { IdentityUnavailableError } from './credential-verifier.port';
import { DirectoryUnavailableError } from './directory.port';
import { EventLogUnavailableError } from './event-publisher.port';
import { DatabaseUnavailableError } from './sql-database.port';
import { TtlStoreUnavailableError } from './ttl-store.port';

const UNAVAILABLE = [EventLogUnavailableError, DatabaseUnavailableError, TtlStoreUnavailableError, DirectoryUnavailableError, IdentityUnavailableError];

/** A dependency behind a port is down (answered 503 temporarily_unavailable, never a refusal or a 500). */
export function isDependencyUnavailable(error: unknown): boolean {
  return UNAVAILABLE.some((type) => error instanceof type);
}
