export { PgDatabase, type PgDatabaseOptions } from './pg-database';
export { PgliteDatabase, type PgliteDatabaseOptions } from './pglite-database';
export {
  migrate,
  readMigrations,
  MIGRATIONS_DIR,
  MigrationChecksumError,
  MigrationFailedError,
  MigrationFileError,
  type AppliedMigration,
  type MigrateOptions,
  type MigrationFile,
} from './migrate';
export { TransactionAbortedError, isDatabaseUnavailable } from './sql-errors';
