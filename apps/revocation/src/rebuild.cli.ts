/**
 * `npm run projections:rebuild [-- --swap] [--projection=<name>]`: replays the log from offset 0 into
 * fresh copies of each projection's tables (a new schema per projection) and prints one JSON line per
 * projection. With --swap the rebuilt tables replace the live ones; stop the projector (the revocation
 * service) first.
 */
import 'reflect-metadata';
import { createKafka, KafkaEventSubscriber, migrate, PgDatabase, PrefixedEventSubscriber } from '@authz/adapters';
import { Topics } from '@authz/contracts';
import { createLogger, loadSettings } from '@authz/platform';
import { partitionPolicy, REBUILDABLE_PROJECTIONS, rebuildProjection } from '@authz/projections';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const swap = args.includes('--swap');
  const only = args.find((arg) => arg.startsWith('--projection='))?.split('=')[1];
  const settings = loadSettings('revocation');
  const logger = createLogger({ service: 'projections-rebuild', instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL });
  const db = new PgDatabase({ connectionString: settings.DATABASE_URL, logger });
  const kafka = createKafka({ brokers: settings.KAFKA_BROKERS, clientId: `${settings.KAFKA_CLIENT_ID}-rebuild`, logger });
  const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger, deadLetterTopic: `${settings.KAFKA_TOPIC_PREFIX}${Topics.deadLetter}` }), settings.KAFKA_TOPIC_PREFIX);
  try {
    await migrate(db, { logger });
    const selected = REBUILDABLE_PROJECTIONS.filter((projection) => !only || projection.name === only);
    if (selected.length === 0) throw new Error(`no projection named ${only}`);
    for (const projection of selected) {
      // The live partition maintenance's retention applies to the rebuild too, so both hold the same rows.
      const result = await rebuildProjection(projection, { db, subscriber, logger }, { swap, partitions: { policy: partitionPolicy(settings), nowMs: Date.now() } });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`projections:rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
