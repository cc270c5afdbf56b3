import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseUnavailableError, silentLogger, type Logger, type SqlDatabase, type SqlExecutor } from '@authz/ports';

/**
 * The migrations shipped with this lib. Resolved from this module's own folder, so it works from the
 * TypeScript sources (ts-jest) and from the build, provided the build copies `migrations/*.sql` next to
 * the compiled `migrate.js` (tsc copies only .ts output).
 */
export const MIGRATIONS_DIR = join(__dirname, 'migrations');

export type MigrateOptions = {
  /** Folder of `NNNN_name.sql` files (default MIGRATIONS_DIR). */
  dir?: string;
  logger?: Logger;
};

export type MigrationFile = {
  /** The four digits of the file name, e.g. "0001"; the order of application. */
  version: string;
  /** The rest of the file name, e.g. "foundation". */
  name: string;
  fileName: string;
  /** SHA-256 (hex) of the file's bytes. */
  checksum: string;
  sql: string;
};

export type AppliedMigration = { version: string; name: string; checksum: string; durationMs: number };

/** A file name in the migrations folder that is not `NNNN_name.sql`, or two files with one version. */
export class MigrationFileError extends Error {
  override readonly name = 'MigrationFileError';
}

/** An applied migration whose file changed since: migrations are append-only, add a new one instead. */
export class MigrationChecksumError extends Error {
  override readonly name = 'MigrationChecksumError';
  constructor(
    readonly version: string,
    readonly fileName: string,
    readonly appliedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(`migration ${fileName} was changed after it was applied (applied sha256 ${appliedChecksum}, file sha256 ${fileChecksum}); add a new migration instead`);
  }
}

/** A migration's SQL failed; it was rolled back with its schema_migrations row. `cause` is the database's error. */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly version: string,
    readonly fileName: string,
    cause: unknown,
  ) {
    super(`migration ${fileName} failed and was rolled back: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    text PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * One lock per schema (the first of search_path), held to the end of each migration's transaction:
 * replicas that start together take turns, and each one re-reads schema_migrations once it holds the lock.
 */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('authz.schema_migrations'), hashtext(coalesce(current_schema(), '')))`;

/** Reads, orders and checksums the `NNNN_name.sql` files of `dir` (other files are ignored). */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = (await listSqlFiles(dir)).sort();
  const files: MigrationFile[] = [];
  for (const fileName of entries) {
    const match = FILE_NAME.exec(fileName);
    if (!match) throw new MigrationFileError(`${join(dir, fileName)}: a migration is named NNNN_name.sql (four digits, lowercase name)`);
    const bytes = await readFile(join(dir, fileName));
    const version = match[1]!;
    const previous = files[files.length - 1];
    if (previous?.version === version) throw new MigrationFileError(`${previous.fileName} and ${fileName} share version ${version}`);
    files.push({ version, name: match[2]!, fileName, checksum: createHash('sha256').update(bytes).digest('hex'), sql: bytes.toString('utf8') });
  }
  return files;
}

async function listSqlFiles(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new MigrationFileError(`cannot read the migrations folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const sql = entries.filter((entry) => entry.endsWith('.sql'));
  // The shipped folder is never empty: an empty or missing one is a build that did not copy the .sql files.
  if (sql.length === 0 && dir === MIGRATIONS_DIR) {
    throw new MigrationFileError(`no migrations in ${dir}: the build must copy libs/adapters/src/postgres/migrations/*.sql next to migrate.js`);
  }
  return sql;
}

/**
 * Applies the migrations of `dir` that the database has not seen, in order, each in its own transaction
 * with its schema_migrations row. Already-applied files must be unchanged (MigrationChecksumError).
 * Safe to run from several replicas at once: an advisory lock serializes them and each migration is
 * applied exactly once. Returns the migrations this call applied (empty when up to date).
 *
 * A migration runs inside a transaction, so it cannot use statements that refuse one (CREATE INDEX CONCURRENTLY,
 * VACUUM). Its statements, and the wait for the lock, are subject to the database's statement timeout
 * (PgDatabase: 10 s by default); a slow migration belongs in migrate.cli, which runs without one.
 */
export async function migrate(db: SqlDatabase, options: MigrateOptions = {}): Promise<AppliedMigration[]> {
  const logger = (options.logger ?? silentLogger).child({ component: 'migrate' });
  const files = await readMigrations(options.dir ?? MIGRATIONS_DIR);
  const byVersion = new Map(files.map((file) => [file.version, file]));

  const alreadyApplied = await db.transaction(async (tx) => {
    await tx.query(LOCK);
    await tx.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await tx.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version');
    return rows;
  });
  for (const row of alreadyApplied) {
    const file = byVersion.get(row.version);
    if (file === undefined) {
      // Normal for a replica of the previous release during a rolling deploy; the newer schema must stay compatible.
      logger.warn({ version: row.version }, 'the database has a migration this build does not know');
    } else if (file.checksum !== row.checksum) {
      throw new MigrationChecksumError(file.version, file.fileName, row.checksum, file.checksum);
    }
  }

  const appliedVersions = new Set(alreadyApplied.map((row) => row.version));
  const applied: AppliedMigration[] = [];
  for (const file of files) {
    if (appliedVersions.has(file.version)) continue;
    const started = Date.now();
    const didApply = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      // Another replica may have applied it while this one waited for the lock.
      const { rows } = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = $1', [file.version]);
      const existing = rows[0];
      if (existing !== undefined) {
        if (existing.checksum !== file.checksum) throw new MigrationChecksumError(file.version, file.fileName, existing.checksum, file.checksum);
        return false;
      }
      await applyFile(tx, file);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now())', [file.version, file.name, file.checksum]);
      return true;
    });
    if (didApply) {
      const migration = { version: file.version, name: file.name, checksum: file.checksum, durationMs: Date.now() - started };
      logger.info(migration, 'migration applied');
      applied.push(migration);
    }
  }
  logger.info({ applied: applied.length, known: files.length }, applied.length > 0 ? 'migrations applied' : 'migrations up to date');
  return applied;
}

async function applyFile(tx: SqlExecutor, file: MigrationFile): Promise<void> {
  try {
    // No parameters: the simple query protocol, so a file may hold many statements (pg and PGlite alike).
    await tx.query(file.sql);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw error;
    throw new MigrationFailedError(file.version, file.fileName, error);
  }
}
