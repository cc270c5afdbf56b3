import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaConfig } from 'kafkajs';
import { applyRevocation, parseRevocationMessage, type RevocationParseOptions } from './revocation-events';
import { RevocationSet } from './revocation-set';

/** Where a verifier learns revocations. */
export interface RevocationSource {
  /** Whether the source is caught up and fresh at `nowMs`, so that `isRevoked` can be trusted. */
  isAvailable(nowMs: number): boolean;
  isRevoked(claims: { jti: string; grant_id?: string | undefined }): boolean;
  close(): Promise<void>;
}

export type FeedLogger = { info(fields: object, message: string): void; warn(fields: object, message: string): void; error(fields: object, message: string): void };
const silent: FeedLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export type RevocationFeedOptions = RevocationParseOptions & { now?: () => number; logger?: FeedLogger };

/**
 * The revocations applied so far, from envelopes handed to `apply` (by the Kafka feed, or by a test or
 * another transport). Always available: use KafkaRevocationFeed for one that knows when it is behind.
 */
export class RevocationFeed implements RevocationSource {
  readonly set = new RevocationSet();
  protected readonly now: () => number;
  protected readonly logger: FeedLogger;
  /** Messages applied and ignored (poison, unknown types, already expired), for health and tests. */
  readonly counts = { applied: 0, ignored: 0 };

  constructor(protected readonly options: RevocationFeedOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silent;
  }

  /** Applies one message value (the envelope's bytes). Never throws; answers whether it revoked something. */
  apply(value: Buffer | string | null | undefined): boolean {
    const parsed = parseRevocationMessage(value, this.options);
    if ('ignored' in parsed) {
      this.counts.ignored += 1;
      if (parsed.ignored !== 'not a revocation event') this.logger.warn({ reason: parsed.ignored }, 'revocation message ignored');
      return false;
    }
    const applied = applyRevocation(this.set, parsed.event, Math.floor(this.now() / 1000));
    this.counts[applied ? 'applied' : 'ignored'] += 1;
    return applied;
  }

  isAvailable(_nowMs: number): boolean {
    return true;
  }

  isRevoked(claims: { jti: string; grant_id?: string | undefined }): boolean {
    return this.set.isRevoked(claims);
  }

  /** Forgets revocations whose tokens have all expired. */
  sweep(): number {
    return this.set.sweep(Math.floor(this.now() / 1000));
  }

  async close(): Promise<void> {}
}

export type KafkaRevocationFeedOptions = RevocationFeedOptions & {
  /** Bootstrap brokers (`host:port`). */
  brokers: string[];
  /** The topic, without prefix. Default `oauth.revocations`. */
  topic?: string;
  /** The deployment's KAFKA_TOPIC_PREFIX, prefixed to the topic and to the consumer group. */
  topicPrefix?: string;
  /** The consumer group: one per process (every guard reads every revocation). Default `<prefix>resource-server.<random>`. */
  groupId?: string;
  clientId?: string;
  /** Extra kafkajs settings (ssl, sasl, connectionTimeout…). */
  kafka?: Partial<KafkaConfig>;
  /**
   * The feed counts as stale (and the verifier fails closed, or falls back to introspection) when the
   * consumer has not completed a fetch for this long, ms. Default 10000. A fetch returns at least
   * every `maxWaitTimeInMs` even when there is nothing new, so this bounds how late a revocation can be
   * applied without anyone noticing.
   */
  stalenessMs?: number;
  /** Long-poll wait of a fetch, ms. Default 500. */
  maxWaitTimeInMs?: number;
  /** How often expired revocations are forgotten, ms. Default 60000. */
  sweepIntervalMs?: number;
  /** Delay between two attempts to start (topic missing, brokers down), ms. Default 2000. */
  retryDelayMs?: number;
};

type PartitionProgress = { position: bigint; target: bigint };

/**
 * Follows the revocation topic with a consumer group of its own (a broadcast: every process sees every
 * revocation) and keeps the live revocations in a RevocationSet.
 *
 * Start position: not the beginning of the topic but the first offset whose timestamp is at or after
 * now − (longest accepted token lifetime + clock skew + 60 s) (Kafka's ListOffsets by timestamp). A
 * token still acceptable now was issued after that instant, and so was every revocation that can
 * concern it (the lifetime bound is enforced by the verifier: a token with `exp − iat` above it is
 * refused). Startup therefore reads at most one token lifetime of revocations, however old the topic.
 * The positions are committed as the group's offsets before it joins, so a consumer that kafkajs
 * restarts after a crash resumes from there (or from its later commits), never from the end.
 *
 * Ready: only once every partition has been read up to the high watermark taken at start (and one fetch
 * has completed); until then `isAvailable` is false. Afterwards it is false again whenever no fetch has
 * completed for `stalenessMs` (brokers unreachable, consumer crashed or rebalancing).
 */
export class KafkaRevocationFeed extends RevocationFeed {
  readonly topic: string;
  readonly groupId: string;
  private readonly kafkaOptions: KafkaRevocationFeedOptions;
  private kafka: Kafka | undefined;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private progress = new Map<number, PartitionProgress>();
  private caughtUp = false;
  private resyncing = false;
  /** When the current catch-up began (start, or the last resync), ms. */
  private catchUpFrom = 0;
  private lastFetchAt = 0;
  private closed = false;
  private starting: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly readyWaiters: Array<() => void> = [];
  /** When the feed became ready (ms), and the start of its first attempt: the catch-up time. */
  readonly timings = { startedAt: 0, readyAt: 0 };

  constructor(options: KafkaRevocationFeedOptions) {
    super(options);
    this.kafkaOptions = options;
    const prefix = options.topicPrefix ?? '';
    this.topic = `${prefix}${options.topic ?? 'oauth.revocations'}`;
    this.groupId = options.groupId ?? `${prefix}resource-server.${randomBytes(6).toString('hex')}`;
  }

  /** Starts following the topic in the background (retrying until it can); `whenReady` tells when it has caught up. */
  start(): this {
    if (!this.starting && !this.closed) {
      this.timings.startedAt = this.now();
      this.catchUpFrom = this.timings.startedAt;
      this.starting = this.startLoop();
      this.sweeper = setInterval(() => this.sweep(), this.kafkaOptions.sweepIntervalMs ?? 60_000);
      this.sweeper.unref();
    }
    return this;
  }

  /** Resolves once the feed has caught up with the topic as it was at start. */
  whenReady(): Promise<void> {
    if (this.caughtUp && this.lastFetchAt > 0) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  override isAvailable(nowMs: number): boolean {
    return this.caughtUp && this.lastFetchAt > 0 && nowMs - this.lastFetchAt <= this.stalenessMs;
  }

  /** For health endpoints and logs. */
  status(nowMs = this.now()): { available: boolean; caughtUp: boolean; lastFetchMsAgo: number | null; revocations: { grants: number; tokens: number } } {
    return {
      available: this.isAvailable(nowMs),
      caughtUp: this.caughtUp,
      lastFetchMsAgo: this.lastFetchAt === 0 ? null : nowMs - this.lastFetchAt,
      revocations: this.set.size,
    };
  }

  override async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await this.starting?.catch(() => undefined);
    await this.teardown();
    // The group is this process's alone: its committed offsets would linger in the cluster for
    // offsets.retention.minutes after every restart. Best effort (a crashed process leaves them).
    if (this.kafka) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([this.groupId]);
      } catch {
        // the broker is unreachable or the group is gone: nothing to do
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  private async startLoop(): Promise<void> {
    while (!this.closed) {
      try {
        await this.startOnce();
        return;
      } catch (error) {
        this.logger.warn({ topic: this.topic, err: error instanceof Error ? error.message : String(error) }, 'revocation feed could not start: retrying');
        await this.teardown();
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, this.kafkaOptions.retryDelayMs ?? 2000).unref());
      }
    }
  }

  private async startOnce(): Promise<void> {
    // kafkajs is an optional dependency: loaded only by a verifier that follows Kafka.
    const { Kafka: KafkaClient, logLevel } = await import('kafkajs');
    const kafka = new KafkaClient({
      brokers: this.kafkaOptions.brokers,
      clientId: this.kafkaOptions.clientId ?? 'resource-server',
      logLevel: logLevel.NOTHING,
      ...this.kafkaOptions.kafka,
    });
    this.kafka = kafka;
    const admin = kafka.admin();
    this.admin = admin;
    await admin.connect();
    const lookbackSeconds = this.options.maxTokenLifetimeSeconds + this.options.clockSkewSeconds + 60;
    const starts = await admin.fetchTopicOffsetsByTimestamp(this.topic, this.now() - lookbackSeconds * 1000);
    await admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions: starts.map(({ partition, offset }) => ({ partition, offset })) });
    const highs = await admin.fetchTopicOffsets(this.topic);
    const progress = new Map<number, PartitionProgress>();
    for (const { partition, high } of highs) {
      const start = starts.find((entry) => entry.partition === partition)?.offset ?? high;
      progress.set(partition, { position: BigInt(start), target: BigInt(high) });
    }
    this.progress = progress;
    await admin.disconnect();
    this.admin = undefined;

    const consumer = kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: this.kafkaOptions.maxWaitTimeInMs ?? 500,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => {
      const now = this.now();
      // Back after a silence longer than the staleness bound: revocations may have been published
      // meanwhile, so the feed is not trusted again before it has read up to the current end.
      if (this.lastFetchAt > 0 && now - this.lastFetchAt > this.stalenessMs) this.resync('the feed was stale');
      this.lastFetchAt = now;
      this.checkCaughtUp();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error?.message, restart: payload.restart }, 'revocation consumer crashed');
      // kafkajs restarts it (from the committed offsets) unless the error is not retriable: then this feed starts over.
      if (!payload.restart && !this.closed) void this.restart();
      else this.resync('the consumer restarted');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({ autoCommit: true, autoCommitInterval: 5000, eachBatchAutoResolve: true, eachBatch: (payload) => this.eachBatch(payload) });
    this.checkCaughtUp();
  }

  private async restart(): Promise<void> {
    this.caughtUp = false;
    this.catchUpFrom = this.now();
    await this.teardown();
    this.starting = this.startLoop();
  }

  private get stalenessMs(): number {
    return this.kafkaOptions.stalenessMs ?? 10_000;
  }

  /** Not caught up any more until every partition is read up to its high watermark as it is now. */
  private resync(reason: string): void {
    if (this.closed || !this.kafka || this.resyncing) return;
    this.caughtUp = false;
    this.resyncing = true;
    this.catchUpFrom = this.now();
    this.logger.warn({ topic: this.topic, reason }, 'revocation feed catching up again');
    const admin = this.kafka.admin();
    void (async () => {
      try {
        await admin.connect();
        for (const { partition, high } of await admin.fetchTopicOffsets(this.topic)) {
          const progress = this.progress.get(partition);
          if (progress) progress.target = BigInt(high);
          else this.progress.set(partition, { position: 0n, target: BigInt(high) });
        }
        this.resyncing = false;
        this.checkCaughtUp();
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'revocation feed could not read the high watermarks: retrying');
        this.resyncing = false;
        setTimeout(() => this.resync(reason), this.kafkaOptions.retryDelayMs ?? 2000).unref();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    })();
  }

  private async eachBatch({ batch }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) this.apply(message.value);
    const last = batch.messages.at(-1);
    const progress = this.progress.get(batch.partition);
    if (last && progress) {
      const next = BigInt(last.offset) + 1n;
      if (next > progress.position) progress.position = next;
    }
    this.checkCaughtUp();
  }

  private checkCaughtUp(): void {
    if (this.caughtUp || this.resyncing || this.lastFetchAt === 0 || this.progress.size === 0) return;
    for (const { position, target } of this.progress.values()) if (position < target) return;
    this.caughtUp = true;
    const now = this.now();
    if (this.timings.readyAt === 0) this.timings.readyAt = now;
    this.logger.info({ topic: this.topic, catchUpMs: now - this.catchUpFrom, revocations: this.set.size }, 'revocation feed caught up');
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private async teardown(): Promise<void> {
    const consumer = this.consumer;
    const admin = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    await Promise.allSettled([consumer?.disconnect(), admin?.disconnect()]);
  }
}
