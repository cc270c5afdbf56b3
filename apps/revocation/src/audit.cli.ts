/**
 * `npm run audit -- events|access [options]`: the audit trail (README "Audit"). Reads the audit index
 * in PostgreSQL (DATABASE_URL) or, with `--source log`, the Kafka log itself (KAFKA_BROKERS,
 * KAFKA_TOPIC_PREFIX), with the revocation service's settings. JSON lines or one JSON document on
 * stdout; logs on stderr. Nothing it prints is secret: the events hold ids and hashes only.
 */
import 'reflect-metadata';
import { createKafka, KafkaLogReader, PgDatabase } from '@authz/adapters';
import { runAuditCommand, type LogSource } from '@authz/audit';
import { createLogger, loadSettings } from '@authz/platform';

async function main(): Promise<number> {
  const settings = loadSettings('revocation', process.env, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const logger = createLogger({ service: 'audit-cli', instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL, destination: process.stderr });
  const closers: Array<() => Promise<void>> = [];
  try {
    return await runAuditCommand(
      process.argv.slice(2),
      {
        pageSize: settings.AUDIT_PAGE_SIZE_MAX,
        nowMs: () => Date.now(),
        index: async () => {
          const db = new PgDatabase({ connectionString: settings.DATABASE_URL, logger });
          closers.push(() => db.close());
          return db;
        },
        log: async (): Promise<LogSource> => {
          const kafka = createKafka({ brokers: settings.KAFKA_BROKERS, clientId: `${settings.KAFKA_CLIENT_ID}-audit`, logger });
          return new KafkaLogReader({ kafka, logger, prefix: settings.KAFKA_TOPIC_PREFIX });
        },
      },
      { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
    );
  } finally {
    for (const close of closers) await close();
  }
}

// exitCode, not exit(): stdout may still be flushing into a pipe.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`audit failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
