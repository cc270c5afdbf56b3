import type { Logger } from '@authz/ports';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaLogCreator } from './kafka-log-creator';
import { patchKafkajsEncoder } from './kafkajs-encoder';
import { patchKafkajsRequestQueue } from './kafkajs-request-queue';
import { retryTransientMetadata } from './kafka-retry';

export type CreateKafkaOptions = {
  /** `host:port` of one or more brokers (the bootstrap list). */
  brokers: string[];
  /** Sent to the brokers with every request (their logs and quotas name it). */
  clientId: string;
  logger: Logger;
  /** TCP connect timeout per broker, ms (default 3000). */
  connectionTimeout?: number;
  /** Timeout of one request, ms (default 10000). Fetches add their own wait to it. */
  requestTimeout?: number;
  /** The least severe kafkajs entry that reaches `logger` (default 'warn'; kafkajs is chatty at 'info'). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
};

/**
 * Retries of the client's own requests (metadata, connects, admin calls): about 2 s of backoff in
 * all, so that an unreachable broker fails a call within seconds, not after kafkajs' default ~30 s.
 */
export const KAFKA_CLIENT_RETRY = { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 } as const;

const LOG_LEVELS = { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG } as const;

/** A kafkajs client that logs through our Logger and gives up within seconds on a dead broker. */
export function createKafka(options: CreateKafkaOptions): Kafka {
  if (options.brokers.length === 0) throw new RangeError('createKafka: at least one broker is required');
  // kafkajs 2.2.4 wakes every connection's event loop each millisecond for nothing: see kafkajs-request-queue.ts.
  const patch = patchKafkajsRequestQueue();
  if (patch.startsWith('not patched')) options.logger.warn({ patch }, 'kafkajs request queue fix not applied: each broker connection polls every millisecond');
  // ... and gives each of the seven or more Encoders per event a zero-filled buffer of its own: see kafkajs-encoder.ts.
  const encoderPatch = patchKafkajsEncoder();
  if (encoderPatch.startsWith('not patched')) options.logger.warn({ patch: encoderPatch }, 'kafkajs encoder fix not applied: each encoder allocates its own buffer');
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeout ?? 3000,
    requestTimeout: options.requestTimeout ?? 10_000,
    retry: KAFKA_CLIENT_RETRY,
    logLevel: LOG_LEVELS[options.logLevel ?? 'warn'],
    logCreator: kafkaLogCreator(options.logger),
  });
}

/** Parses `KAFKA_BROKERS`-style lists: `host:port,host:port` (spaces ignored). */
export function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

export type EnsureTopicsOptions = {
  topics: readonly string[];
  /** Partitions of a topic this call creates (existing topics are left as they are). */
  partitions: number;
  replicationFactor: number;
  logger: Logger;
  /** Topic-level configs for created topics, e.g. `{ 'min.insync.replicas': '2' }`. */
  config?: Readonly<Record<string, string>>;
};

/**
 * Creates the topics that do not exist yet (startup; brokers should run with
 * auto.create.topics.enable=false) and waits for their partition leaders. Safe when several replicas
 * start at once: a topic another one created in the meantime counts as there. Returns the topics it created.
 */
export async function ensureTopics(kafka: Kafka, options: EnsureTopicsOptions): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(options.topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return [];
    const configEntries = Object.entries(options.config ?? {}).map(([name, value]) => ({ name, value }));
    // kafkajs resolves false (instead of throwing) when every topic already exists: a creation race is fine.
    // waitForLeaders reads the metadata of the topics just made, which a loaded broker may answer
    // "does not host this topic-partition" for a while: retried (creating an existing topic is a no-op).
    await retryTransientMetadata(() =>
      admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor,
          configEntries,
        })),
      }),
    );
    // Leaders elected is not yet served: until each partition's log is loaded, the broker answers
    // "does not host this topic-partition". Wait for that here, so no consumer starts on a half-made topic.
    for (const topic of missing) await retryTransientMetadata(() => admin.fetchTopicOffsets(topic));
    options.logger.info({ topics: missing, partitions: options.partitions, replicationFactor: options.replicationFactor }, 'kafka topics created');
    return missing;
  } finally {
    await admin.disconnect();
  }
}
