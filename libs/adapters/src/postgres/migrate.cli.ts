/**
 * Applies the migrations to the database of DATABASE_URL (optionally DATABASE_SCHEMA, which must exist):
 *
 *   DATABASE_URL=postgres://… node -r ./tools/aliases.cjs dist/libs/adapters/src/postgres/migrate.cli.js
 *
 * stdout: one JSON line per migration applied ({"version","name","checksum","durationMs"}), nothing when up to date.
 * stderr: JSON log lines. Exit code 0 on success, 1 on failure (safe to run from several replicas at once).
 */
import type { Logger } from '@authz/ports';
import { migrate } from './migrate';
import { PgDatabase } from './pg-database';

function stderrLogger(bindings: Record<string, unknown>): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...bindings, ...obj, ...(msg === undefined ? {} : { msg }) })}\n`);
  };
  return { debug: () => undefined, info: write('info'), warn: write('warn'), error: write('error'), child: (more) => stderrLogger({ ...bindings, ...more }) };
}

async function main(): Promise<number> {
  const logger = stderrLogger({ service: 'migrate' });
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    logger.error({}, 'DATABASE_URL is not set');
    return 1;
  }
  const schema = process.env.DATABASE_SCHEMA || undefined;
  // No statement timeout: a migration may build an index on a large table, and replicas wait for the lock meanwhile.
  const db = new PgDatabase({ connectionString, max: 1, statementTimeoutMillis: 0, ...(schema === undefined ? {} : { schema }), logger, applicationName: 'authz-migrate' });
  try {
    const applied = await migrate(db, { logger });
    for (const migration of applied) process.stdout.write(`${JSON.stringify(migration)}\n`);
    return 0;
  } catch (error) {
    const err = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
    logger.error({ err }, 'migration failed');
    return 1;
  } finally {
    await db.close();
  }
}

void main().then((code) => {
  process.exitCode = code;
});
