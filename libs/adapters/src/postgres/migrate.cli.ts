/**
 * `npm run migrate`: applies the SQL migrations to DATABASE_URL (the same database and schema the
 * services use; they also migrate at startup, under the same advisory lock).
 *
 * stdout: one JSON line per migration applied ({"version","name","checksum","durationMs"}), nothing when up to date.
 * stderr: JSON log lines. Exit code 0 on success, 1 on failure (safe to run from several replicas at once).
 */
import pino from 'pino';
import { createLogger, loadSettings } from '@authz/platform';
import { migrate } from './migrate';
import { PgDatabase } from './pg-database';

async function main(): Promise<number> {
  const settings = loadSettings('revocation');
  const logger = createLogger({ service: 'migrate', instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL, destination: pino.destination(2) });
  // No statement timeout: a migration may build an index on a large table, and replicas wait for the lock meanwhile.
  const db = new PgDatabase({ connectionString: settings.DATABASE_URL, max: 1, statementTimeoutMillis: 0, logger, applicationName: 'authz-migrate' });
  try {
    const applied = await migrate(db, { logger });
    for (const migration of applied) process.stdout.write(`${JSON.stringify(migration)}\n`);
    return 0;
  } catch (error) {
    logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) } }, 'migration failed');
    return 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
