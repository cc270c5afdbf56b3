/**
 * The shared set-up of the end-to-end specs (*.int-spec.ts) against the real services: one run's own
 * database, Kafka topic prefix and Redis key prefix (other runs use the same services at the same
 * time), the environment every service process gets, the clean-up, polling helpers, a Kafka topic
 * reader and a stoppable TCP proxy to slapd.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/** One run's names: `<label>-<run>.` topics, `<label>-<run>:` Redis keys, database `<label>_<run>`. */
export type E2eRun = {
  run: string;
  prefix: string;
  redisPrefix: string;
  database: string;
  /** DATABASE_URL (the server's administrative database). */
  adminUrl: string;
  /** The run's own database on the same server. */
  databaseUrl: string;
};

export function e2eRun(label: string): E2eRun {
  const run = randomBytes(4).toString('hex');
  const database = `${label.replace(/-/g, '_')}_${run}`;
  const adminUrl = process.env.DATABASE_URL!;
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return { run, prefix: `${label}-${run}.`, redisPrefix: `${label}-${run}:`, database, adminUrl, databaseUrl: url.toString() };
}

/**
 * What every service process of a run gets: the distributed mode, the run's topic prefix, Redis key
 * prefix and database, a fresh key-encryption key and session key; `extra` adds to or overrides it.
 */
export function serviceEnv(e2e: E2eRun, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MODE: 'distributed',
    KAFKA_TOPIC_PREFIX: e2e.prefix,
    REDIS_KEY_PREFIX: e2e.redisPrefix,
    DATABASE_URL: e2e.databaseUrl,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    // The login session's key, the same for the authorize service (seals) and the revocation service's
    // dashboard (opens); required by both for a non-loopback ISSUER.
    SESSION_KEYS: randomBytes(32).toString('base64url'),
    ...extra,
  };
}

/** One query on its own connection (the administrative database unless `url` says otherwise). */
export async function adminQuery<R = Record<string, unknown>>(sql: string, values: unknown[] = [], url = process.env.DATABASE_URL!): Promise<R[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as R[];
  } finally {
    await client.end();
  }
}

export async function createRunDatabase(e2e: E2eRun): Promise<void> {
  await adminQuery(`CREATE DATABASE ${e2e.database}`, [], e2e.adminUrl);
}

export function kafkaBrokers(): string[] {
  return process.env.KAFKA_BROKERS!.split(',');
}

/** Drops what a run created: its database (if `database`), its Redis keys (if `redisKeys`) and its topics (if `kafkaTopics`); not what lived on a server of the test's own. */
export async function cleanupRun(e2e: E2eRun, options: { database?: boolean; kafkaTopics?: boolean; redisKeys?: boolean } = {}): Promise<void> {
  if (options.database !== false) await adminQuery(`DROP DATABASE IF EXISTS ${e2e.database} WITH (FORCE)`, [], e2e.adminUrl);
  if (options.redisKeys !== false) await deleteRedisKeys(e2e);
  if (options.kafkaTopics === false) return;
  const admin = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(e2e.prefix));
    await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

async function deleteRedisKeys(e2e: E2eRun): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    const keys = await redis.keys(`${e2e.redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/** Runs `assertion` until it passes; after `timeoutMs`, its last failure is thrown. */
export async function eventually(assertion: () => Promise<void>, timeoutMs = 30_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Probes until `accept` says yes or `timeoutMs` have passed; answers the last value either way. */
export async function pollUntil<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export type TopicMessage = { key: string | undefined; value: string; headers: Record<string, string> };

/**
 * Messages of a topic from offset 0 (all partitions, each key in its order), with a throw-away consumer
 * group: the first `count`, or every message up to the high watermarks when `count` is not given.
 * `brokers`: another cluster than KAFKA_BROKERS (a broker of a test's own).
 */
export async function readTopic(topic: string, options: { clientId: string; count?: number; timeoutMs?: number; brokers?: string[] }): Promise<TopicMessage[]> {
  const kafka = new Kafka({ brokers: options.brokers ?? kafkaBrokers(), clientId: options.clientId, logLevel: logLevel.NOTHING });
  let count = options.count;
  if (count === undefined) {
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    count = ends.reduce((sum, partition) => sum + Number(partition.high), 0);
  }
  const wanted = count;
  const messages: TopicMessage[] = [];
  const consumer = kafka.consumer({ groupId: `${options.clientId}-${randomBytes(3).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${messages.length} of ${wanted} messages on ${topic}`)), options.timeoutMs ?? 30_000);
      if (wanted === 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).flatMap(([name, value]) => (value === undefined ? [] : [[name, value.toString()]])));
          messages.push({ key: message.key?.toString(), value: message.value!.toString(), headers });
          if (messages.length >= wanted) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** A TCP proxy to slapd (LDAP_URL) that a test can stop (connections cut, port closed) and start again on the same port; the shared slapd is never touched. */
export class LdapProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    const target = new URL(process.env.LDAP_URL!);
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port || 389), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          client.destroy();
          upstream.destroy();
          this.sockets.delete(socket);
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
