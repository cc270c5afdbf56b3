/**
 * `npm run keys -- <command>`: the signing keys of a distributed deployment (PostgreSQL + Kafka, the
 * token service's settings: DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, KEY_ENCRYPTION_KEY, …).
 *
 *   list          one JSON line per key: kid, alg, status and its lifecycle times
 *   rotate        publishes a new key now; it signs one JWKS_MAX_AGE later (nothing if one is pending)
 *   revoke <kid>  emergency: the key is revoked at once (introspection answers its tokens inactive, it
 *                 leaves the JWK Set); if it was in use, a replacement signs at once (the pending key,
 *                 else a new one). The events are acknowledged by Kafka before the command returns.
 *
 * Prints the outcome as one JSON line; exits 1 with the reason on stderr.
 */
import 'reflect-metadata';
import { createKafka, ensureTopics, KafkaEventPublisher, migrate, PgDatabase, SqlSigningKeyStore } from '@authz/adapters';
import { ALL_TOPICS, topicOf } from '@authz/contracts';
import { createLogger, loadSettings } from '@authz/platform';
import { systemClock, type StoredSigningKey } from '@authz/ports';
import { DEVELOPMENT_KEY_ENCRYPTION_KEY, KeyEncryption, rotationPolicyOf, SigningKeyRotation } from '@authz/token';

const USAGE = 'usage: npm run keys -- list | rotate | revoke <kid>';

function describe(key: StoredSigningKey): Record<string, unknown> {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    createdAt: iso(key.createdAt),
    publishedAt: iso(key.publishedAt),
    activatesAt: iso(key.activatesAt),
    retiredAt: iso(key.retiredAt),
    unpublishAt: iso(key.unpublishAt),
    revokedAt: iso(key.revokedAt),
    announced: key.announced,
  };
}

async function main(): Promise<void> {
  const [command, kid, ...rest] = process.argv.slice(2);
  if (!command || !['list', 'rotate', 'revoke'].includes(command) || (command === 'revoke' ? !kid || rest.length > 0 : kid !== undefined)) throw new Error(USAGE);
  const settings = loadSettings('token');
  if (settings.MODE !== 'distributed') throw new Error('the keys command manages a distributed deployment (MODE=distributed): the embedded suite keeps its keys in its own process');
  const logger = createLogger({ service: 'keys-cli', instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL === 'info' ? 'warn' : settings.LOG_LEVEL });
  const db = new PgDatabase({ connectionString: settings.DATABASE_URL, logger });
  const store = new SqlSigningKeyStore(db);
  let publisher: KafkaEventPublisher | undefined;
  try {
    await migrate(db, { logger });
    if (command === 'list') {
      for (const key of await store.listAll()) process.stdout.write(`${JSON.stringify(describe(key))}\n`);
      return;
    }
    const kafka = createKafka({ brokers: settings.KAFKA_BROKERS, clientId: `${settings.KAFKA_CLIENT_ID}-keys`, logger });
    const prefix = settings.KAFKA_TOPIC_PREFIX;
    await ensureTopics(kafka, { topics: ALL_TOPICS.map((topic) => `${prefix}${topic}`), partitions: settings.KAFKA_TOPIC_PARTITIONS, replicationFactor: settings.KAFKA_REPLICATION_FACTOR, logger });
    publisher = new KafkaEventPublisher({
      kafka,
      source: 'urn:authz:token',
      lingerMs: 0,
      publishTimeoutMs: settings.KAFKA_PUBLISH_TIMEOUT_MS,
      topicFor: (type) => `${prefix}${topicOf(type)}`,
      logger,
    });
    await publisher.connect();
    const encryption = new KeyEncryption(settings.KEY_ENCRYPTION_KEY ?? DEVELOPMENT_KEY_ENCRYPTION_KEY);
    const rotation = new SigningKeyRotation(store, encryption, publisher, systemClock, rotationPolicyOf(settings), logger);
    const outcome = command === 'rotate' ? await rotation.rotateNow() : await rotation.revoke(kid!);
    process.stdout.write(`${JSON.stringify({ command, ...outcome })}\n`);
  } finally {
    await publisher?.close();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`keys: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
