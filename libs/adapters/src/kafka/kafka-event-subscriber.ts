import { Topics } from '@authz/contracts';
import {
  EventLogUnavailableError,
  type EventSubscriber,
  type Logger,
  type Subscription,
  type SubscriptionOptions,
} from '@authz/ports';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { extractContext, tracer, tracingEnabled } from '@authz/platform';
import { type Admin, type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import { KeyPartitioner } from './key-partitioner';
import { CaughtUpTracker } from '../events/caught-up-tracker';
import { deadLetterHeaders, deliverBatch, describeError, type RawMessage } from '../events/deliver-batch';
import { RecentEventIds } from '../events/recent-event-ids';
import { retryTransientMetadata } from './kafka-retry';

export type KafkaEventSubscriberOptions = {
  /** The client (see createKafka). */
  kafka: Kafka;
  logger: Logger;
  /** Where poison messages and events that keep failing go (default Topics.deadLetter). It must exist. */
  deadLetterTopic?: string;
  /** First backoff between handler retries (ms, default 100; doubles per retry, capped at 5 s). */
  retryBackoffMs?: number;
  /** Event ids remembered per subscription to skip redeliveries (default 10 000). */
  recentEventIds?: number;
  /** Consumer group session timeout (ms, default 10 000): how soon the group notices a dead member. */
  sessionTimeoutMs?: number;
  /**
   * How long the group waits for members to rejoin during a rebalance (ms, default 30 000). A member
   * rejoins between batches, so this bounds the time one batch (with its retries) may take.
   */
  rebalanceTimeoutMs?: number;
  /** Consumer heartbeat interval (ms, default 1000). */
  heartbeatIntervalMs?: number;
  /** How long a fetch waits on the broker for new messages when there are none (ms, default 500). */
  maxWaitTimeInMs?: number;
  /** How often caughtUp() re-reads the group's committed offsets while it waits (ms, default 1000). */
  caughtUpPollMs?: number;
  /** Which handler errors are an outage rather than a bad event (see deliverBatch). */
  isTransient?: (error: unknown) => boolean;
};

const CONSUMER_RETRY = { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } as const;
const DEAD_LETTER_RETRY = { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 } as const;

/**
 * EventSubscriber on Kafka consumer groups (kafkajs). Each subscription is one consumer:
 *
 * - eachBatch, autoCommit off, no auto-resolve: a partition's batch is validated, deduplicated and
 *   handed to `handle` (retries, then event by event, then dead letters: see deliverBatch); only then is
 *   its offset resolved and committed explicitly (last + 1). A stop during the work commits nothing.
 * - `subscribe` resolves once the consumer has joined its group and made its first fetch, so where a
 *   new group starts (`fromBeginning` false: the log end) is settled: an event published afterwards is
 *   delivered.
 * - `caughtUp()` compares the group's position with each partition's high watermark read at subscribe
 *   time (our own commits, plus the group's committed offsets re-read while waiting, which covers
 *   partitions that another replica of the group owns).
 * - Dead letters keep the original key, value and headers, plus `dlq_reason`, `dlq_topic`,
 *   `dlq_partition`, `dlq_offset`, `dlq_group`.
 */
export class KafkaEventSubscriber implements EventSubscriber {
  private readonly running = new Set<KafkaSubscription>();

  constructor(private readonly options: KafkaEventSubscriberOptions) {}

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    if (options.topics.length === 0) throw new RangeError('subscribe: at least one topic is required');
    const subscription = new KafkaSubscription(this.options, options, () => this.running.delete(subscription));
    try {
      await subscription.start();
    } catch (error) {
      await subscription.stop().catch(() => undefined);
      if (error instanceof EventLogUnavailableError) throw error;
      throw new EventLogUnavailableError(`could not subscribe group ${options.groupId}: ${describeError(error)}`, { cause: error });
    }
    this.running.add(subscription);
    return subscription;
  }

  /**
   * Consumer lag of every running subscription (the /metrics scrape): per topic-partition, the high
   * watermark minus the group's committed offset (the next event it will process; consumers commit
   * after their work). Two admin requests per subscription.
   */
  async lag(): Promise<ConsumerLag[]> {
    const reports = await Promise.all([...this.running].map((subscription) => subscription.lag().catch(() => [])));
    return reports.flat();
  }
}

export type ConsumerLag = {
  /** The consumer group, a broadcast group without its instance id (`token.revocations.broadcast`): bounded across restarts. */
  group: string;
  topic: string;
  partition: number;
  /** Events in the partition not processed by the group yet. */
  lag: number;
};

class KafkaSubscription implements Subscription {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly groupId: string;
  private readonly topics: string[];
  private readonly deadLetterTopic: string;
  private readonly recent: RecentEventIds;
  private readonly admin: Admin;
  private readonly consumer: Consumer;
  private deadLetterProducer: Promise<Producer> | undefined;
  private tracker: CaughtUpTracker | undefined;
  private running = false;
  private polling = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly settings: KafkaEventSubscriberOptions,
    private readonly options: SubscriptionOptions,
    private readonly onStop: () => void = () => undefined,
  ) {
    this.kafka = settings.kafka;
    this.groupId = options.groupId;
    this.topics = [...new Set(options.topics)];
    this.logger = settings.logger.child({ component: 'KafkaEventSubscriber', groupId: options.groupId });
    this.deadLetterTopic = settings.deadLetterTopic ?? Topics.deadLetter;
    this.recent = new RecentEventIds(settings.recentEventIds ?? 10_000);
    this.admin = this.kafka.admin();
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: settings.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: settings.rebalanceTimeoutMs ?? 30_000,
      heartbeatInterval: settings.heartbeatIntervalMs ?? 1000,
      maxWaitTimeInMs: settings.maxWaitTimeInMs ?? 500,
      allowAutoTopicCreation: false,
      retry: CONSUMER_RETRY,
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.admin.connect();
    await this.applyStartFrom();
    this.tracker = await this.captureTargets();

    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      const level = payload.restart ? 'warn' : 'error';
      this.logger[level]({ error: describeError(payload.error), restart: payload.restart }, 'kafka consumer crashed');
    });
    // Listening before run(), so that neither the first fetch nor a crash while joining is missed.
    let fetched!: () => void;
    let crashed!: (error: Error) => void;
    const firstFetch = new Promise<void>((resolve, reject) => {
      fetched = resolve;
      crashed = reject;
    });
    firstFetch.catch(() => undefined); // not awaited when connect() fails
    const removeFetch = this.consumer.on(this.consumer.events.FETCH, () => fetched());
    const removeCrash = this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) crashed(payload.error);
    });
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: this.topics, fromBeginning: this.options.fromBeginning });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      // run() resolves once the group is joined (if kafkajs gave up joining, the crash rejects); the
      // first fetch settles where a new group starts. Bounded: a member with no partition may not fetch.
      await resolvesWithin(firstFetch, 2 * (this.settings.maxWaitTimeInMs ?? 500) + 2000);
    } finally {
      removeFetch();
      removeCrash();
    }
    this.logger.debug({ topics: this.topics, fromBeginning: this.options.fromBeginning, lagging: this.tracker.lagging() }, 'subscribed');
  }

  caughtUp(): Promise<void> {
    const tracker = this.tracker;
    if (!tracker) return Promise.reject(new Error('the subscription has not started'));
    if (!tracker.caughtUp && !this.polling && this.running) void this.pollGroupOffsets(tracker);
    return tracker.wait();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      this.onStop();
      // disconnect() waits for the batch in progress (which sees isRunning() false and commits nothing it did not finish).
      await this.consumer.disconnect().catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'consumer did not disconnect cleanly'));
      const producer = this.deadLetterProducer;
      this.deadLetterProducer = undefined;
      await Promise.allSettled([producer?.then((p) => p.disconnect()), this.admin.disconnect()]);
      this.tracker?.abort(new Error(`subscription ${this.groupId} stopped before it caught up`));
    })();
    return this.stopping;
  }

  async lag(): Promise<ConsumerLag[]> {
    const committed = new Map<string, bigint>();
    for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId: this.groupId, topics: this.topics })) {
      for (const { partition, offset } of partitions) committed.set(`${topic}:${partition}`, BigInt(offset));
    }
    const group = this.groupId.replace(/\.broadcast\..*$/, '.broadcast');
    const out: ConsumerLag[] = [];
    for (const topic of this.topics) {
      for (const { partition, high, low } of await this.admin.fetchTopicOffsets(topic)) {
        const position = committed.get(`${topic}:${partition}`) ?? -1n;
        const next = position > BigInt(low) ? position : BigInt(low);
        out.push({ group, topic, partition, lag: Math.max(0, Number(BigInt(high) - next)) });
      }
    }
    return out;
  }

  /**
   * SubscriptionOptions.startFrom: commits the consumer's own positions as the group's offsets before
   * joining. Only while the group has no running member (kafkajs' setOffsets requires it; a running
   * member reads the same store, so its positions are already the right ones).
   */
  private async applyStartFrom(): Promise<void> {
    const startFrom = this.options.startFrom;
    if (!startFrom) return;
    const { groups } = await this.admin.describeGroups([this.groupId]);
    const state = groups[0]?.state ?? 'Dead';
    if (state !== 'Empty' && state !== 'Dead') {
      this.logger.info({ state }, 'group has running members: keeping its committed offsets');
      return;
    }
    for (const topic of this.topics) {
      const partitions: Array<{ partition: number; offset: string }> = [];
      for (const { partition, low, high } of await retryTransientMetadata(() => this.admin.fetchTopicOffsets(topic))) {
        const next = await startFrom(topic, partition);
        if (next === null) continue;
        // Clamp into the log's range: below the low watermark means "from the earliest event kept".
        const clamped = BigInt(next) < BigInt(low) ? low : BigInt(next) > BigInt(high) ? high : next;
        partitions.push({ partition, offset: clamped });
      }
      if (partitions.length > 0) await this.admin.setOffsets({ groupId: this.groupId, topic, partitions });
    }
  }

  /** High watermarks now, and where the group will start on each partition. */
  private async captureTargets(): Promise<CaughtUpTracker> {
    const committed = new Map<string, bigint>();
    for (const { topic, partitions } of await retryTransientMetadata(() => this.admin.fetchOffsets({ groupId: this.groupId, topics: this.topics }))) {
      for (const { partition, offset } of partitions) committed.set(`${topic}:${partition}`, BigInt(offset));
    }
    const partitions: Array<{ key: string; position: bigint; target: bigint }> = [];
    for (const topic of this.topics) {
      for (const { partition, high, low } of await retryTransientMetadata(() => this.admin.fetchTopicOffsets(topic))) {
        const key = `${topic}:${partition}`;
        const target = BigInt(high);
        const earliest = BigInt(low);
        const position = committed.get(key) ?? -1n;
        // No (or an out-of-range) committed offset: the consumer starts where fromBeginning says.
        const start = position >= earliest && position <= target ? position : this.options.fromBeginning ? earliest : target;
        partitions.push({ key, position: start, target });
      }
    }
    return new CaughtUpTracker(partitions);
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    const last = messages.at(-1);
    if (!last) return;
    const originals = new Map<string, KafkaMessage>(messages.map((message) => [message.offset, message]));
    // Tracing on: a CONSUMER span per message, child of the producer's span carried in its headers
    // (a message without a traceparent starts a trace of its own).
    const spans = tracingEnabled() ? messages.map((message) => this.consumerSpan(topic, partition, message)) : undefined;
    const outcome = await deliverBatch(messages.map(toRawMessage), {
      topic,
      partition,
      groupId: this.groupId,
      handle: this.options.handle,
      maxRetries: this.options.maxRetries ?? 3,
      retryBackoffMs: this.settings.retryBackoffMs ?? 100,
      recent: this.recent,
      deadLetter: (message, reason) => this.deadLetter(topic, partition, originals.get(message.offset)!, reason),
      isRunning: () => this.running && isRunning() && !isStale(),
      heartbeat,
      logger: this.logger,
      ...(this.settings.isTransient ? { isTransient: this.settings.isTransient } : {}),
    });
    if (spans) {
      for (const span of spans) {
        if (outcome === 'interrupted') span.setStatus({ code: SpanStatusCode.ERROR, message: 'interrupted' });
        span.end();
      }
    }
    if (outcome === 'interrupted') return;
    resolveOffset(last.offset);
    const next = BigInt(last.offset) + 1n;
    await this.consumer.commitOffsets([{ topic, partition, offset: next.toString() }]);
    this.tracker?.advance(`${topic}:${partition}`, next);
    await heartbeat();
  }

  private consumerSpan(topic: string, partition: number, message: KafkaMessage): Span {
    return tracer().startSpan(
      `${topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.consumer.group.name': this.groupId,
        },
      },
      extractContext(message.headers as Record<string, Buffer | string | undefined> | undefined),
    );
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string): Promise<void> {
    const producer = await this.connectedDeadLetterProducer();
    const headers: IHeaders = {
      ...message.headers,
      ...deadLetterHeaders({ topic, partition, offset: message.offset, groupId: this.groupId }, reason),
    };
    await producer.send({ topic: this.deadLetterTopic, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  }

  private connectedDeadLetterProducer(): Promise<Producer> {
    if (!this.deadLetterProducer) {
      const producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: KeyPartitioner,
        retry: DEAD_LETTER_RETRY,
      });
      const ready = producer.connect().then(() => producer);
      this.deadLetterProducer = ready;
      ready.catch(() => {
        if (this.deadLetterProducer === ready) this.deadLetterProducer = undefined;
      });
    }
    return this.deadLetterProducer;
  }

  /** While someone waits for caughtUp(): re-reads the group's committed offsets (other replicas' progress counts). */
  private async pollGroupOffsets(tracker: CaughtUpTracker): Promise<void> {
    this.polling = true;
    const pollMs = this.settings.caughtUpPollMs ?? 1000;
    try {
      while (this.running && !tracker.caughtUp) {
        await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
        if (!this.running || tracker.caughtUp) break;
        try {
          for (const { topic, partitions } of await retryTransientMetadata(() => this.admin.fetchOffsets({ groupId: this.groupId, topics: this.topics }))) {
            for (const { partition, offset } of partitions) tracker.advance(`${topic}:${partition}`, BigInt(offset));
          }
        } catch (error) {
          this.logger.debug({ error: describeError(error) }, 'could not read the group offsets');
        }
      }
    } finally {
      this.polling = false;
    }
  }
}

/** Waits for `promise` (and its rejection), but no longer than `ms`. */
async function resolvesWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function toRawMessage(message: KafkaMessage): RawMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return { key: message.key ? message.key.toString('utf8') : null, value: message.value, headers, offset: message.offset };
}
