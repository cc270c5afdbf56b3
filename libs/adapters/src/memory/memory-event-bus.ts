import { createEnvelope, type DomainEvent, type Envelope, type EventType, serializeEnvelope, Topics, topicOf } from '@authz/contracts';
import {
  EventLogUnavailableError,
  type EventPublisher,
  type EventSubscriber,
  type Logger,
  type PublishMeta,
  silentLogger,
  type Subscription,
  type SubscriptionOptions,
} from '@authz/ports';
import { CaughtUpTracker } from '../events/caught-up-tracker';
import { deadLetterHeaders, deliverBatch, type RawMessage } from '../events/deliver-batch';
import { RecentEventIds } from '../events/recent-event-ids';

export type MemoryEventBusOptions = {
  /** CloudEvents `source` of every event published here, e.g. `urn:authz:suite`. */
  source: string;
  logger?: Logger;
  /** Where poison messages and events that keep failing go (default Topics.deadLetter); readable with readTopic. */
  deadLetterTopic?: string;
  /** First backoff between handler retries (ms, default 100; doubles per retry, capped at 5 s). */
  retryBackoffMs?: number;
  /** Most events handed to a handler at once (default 500). */
  maxBatchSize?: number;
  /** Event ids remembered per subscription to skip redeliveries (default 10 000). */
  recentEventIds?: number;
  /**
   * How long a subscription waits, once woken by a new event, before taking its batch (ms, default 0):
   * like a Kafka consumer's fetch wait, it lets events accumulate into one batch, so a handler with a
   * cost per batch (a projector's transaction) pays it once per many events instead of once per event.
   */
  deliveryLingerMs?: number;
  /** The topic of an event type (default: the contracts' topicOf). */
  topicFor?: (type: EventType) => string;
  /** Which handler errors are an outage rather than a bad event (see deliverBatch). */
  isTransient?: (error: unknown) => boolean;
  /**
   * Records kept per topic once every active subscription has consumed them (default 10 000; see
   * "Retention" below): the bus holds at most this many, plus a quarter more between trims, plus what a
   * subscription has yet to consume.
   */
  retainedRecords?: number;
};

/** One record of a topic's log, as a Kafka consumer would see it. */
export type MemoryRecord = {
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Readonly<Record<string, string>>;
  timestamp: Date;
};

type Group = { committed: Map<string, number>; active: MemorySubscription | undefined };

/** A topic's log: the records kept, the first of which has offset `start`. */
type TopicLog = { start: number; records: MemoryRecord[] };

/**
 * The in-process twin of the Kafka event bus (all-in-one mode, fast tests), passing the same
 * contract tests (events/event-bus.contract.ts):
 *
 * - one append-only log per topic, a single partition (0), offsets '0', '1', … ; it stores the
 *   serialized envelopes, so consumers validate bytes exactly as they would from Kafka;
 * - `publish` validates (createEnvelope) and resolves once the event is appended: the bus is the log;
 * - consumer groups with committed positions that survive a subscription (re-subscribing resumes); one
 *   active subscription per group (a process has one consumer per group);
 * - delivery is asynchronous (never inside publish's call stack), in batches, in log order; the
 *   position is committed only after `handle` resolved; retries, then event by event, then the
 *   dead-letter topic, exactly as the Kafka adapter (see deliverBatch); redeliveries skipped by id.
 *
 * Retention. Like a Kafka topic's retention, old records are dropped, so a long-running all-in-one or an
 * embedded token service does not keep every event it ever published (before: about 1 KB of heap per
 * token issued, forever; 25 MB more live heap per benchmark run). A topic keeps its last
 * `retainedRecords` records; older ones go once every ACTIVE subscription to the topic has consumed
 * them, so an in-process consumer that lags never loses an event. Offsets stay absolute (the log
 * start moves, as in Kafka). A group that is not subscribed does not hold records back: if it comes
 * back after its position was dropped, it resumes at the oldest record kept, with a warning, as a Kafka
 * consumer whose offset is out of range resets to the earliest one.
 */
export class MemoryEventBus implements EventPublisher, EventSubscriber {
  private readonly source: string;
  private readonly logger: Logger;
  private readonly deadLetterTopic: string;
  private readonly topicFor: (type: EventType) => string;
  private readonly logs = new Map<string, TopicLog>();
  private readonly retained: number;
  /** How far past `retained` a log grows before it is trimmed: trimming is a copy, done once per this many appends. */
  private readonly trimSlack: number;
  private readonly groups = new Map<string, Group>();
  private readonly subscriptions = new Set<MemorySubscription>();
  private unavailable = false;
  private closed = false;

  constructor(private readonly options: MemoryEventBusOptions) {
    if (!options.source) throw new RangeError('MemoryEventBus: source is required');
    this.source = options.source;
    this.logger = (options.logger ?? silentLogger).child({ component: 'MemoryEventBus' });
    this.deadLetterTopic = options.deadLetterTopic ?? Topics.deadLetter;
    this.topicFor = options.topicFor ?? topicOf;
    this.retained = options.retainedRecords ?? 10_000;
    if (!Number.isSafeInteger(this.retained) || this.retained < 1) throw new RangeError('MemoryEventBus: retainedRecords must be a positive integer');
    this.trimSlack = Math.max(1, Math.floor(this.retained / 4));
  }

  async publish<E extends DomainEvent>(event: E, meta: PublishMeta = {}): Promise<Envelope<E>> {
    const envelope = createEnvelope(event, {
      source: this.source,
      ...(meta.correlationId ? { correlationId: meta.correlationId } : {}),
    });
    this.assertAvailable();
    const headers: Record<string, string> = { 'content-type': 'application/cloudevents+json', ce_type: envelope.type, ce_id: envelope.id };
    if (envelope.correlationid) headers.correlation_id = envelope.correlationid;
    this.append(this.topicFor(envelope.type), envelope.subject, serializeEnvelope(envelope), headers);
    return envelope;
  }

  /** Appends raw bytes to a topic, bypassing validation: how tests put a poison message in the log. */
  async appendRaw(topic: string, key: string | null, value: Buffer, headers: Record<string, string> = {}): Promise<void> {
    this.assertAvailable();
    this.append(topic, key, Buffer.from(value), headers);
  }

  /** A copy of the records a topic keeps (e.g. the dead-letter topic), oldest first. */
  readTopic(topic: string): MemoryRecord[] {
    return (this.logs.get(topic)?.records ?? []).map((record) => ({ ...record, value: Buffer.from(record.value), headers: { ...record.headers } }));
  }

  /** The dead-letter topic's records. */
  deadLetters(): MemoryRecord[] {
    return this.readTopic(this.deadLetterTopic);
  }

  /** Simulates a log outage (tests of callers): publish and ping reject with EventLogUnavailableError. */
  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
  }

  async ping(): Promise<void> {
    this.assertAvailable();
  }

  /** Stops every subscription; later publishes reject. The logs stay readable. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    if (this.closed) throw new EventLogUnavailableError('the event bus is closed');
    if (options.topics.length === 0) throw new RangeError('subscribe: at least one topic is required');
    const group = this.groupOf(options.groupId);
    if (group.active) throw new Error(`consumer group ${options.groupId} already has a subscription in this process`);
    if (options.startFrom) {
      // One partition per topic here: partition 0.
      for (const topic of new Set(options.topics)) {
        const next = await options.startFrom(topic, 0);
        if (next !== null) group.committed.set(topic, Math.min(Number(next), endOf(this.log(topic))));
      }
    }
    const subscription = new MemorySubscription(this, group, options, {
      logger: this.logger.child({ groupId: options.groupId }),
      deadLetter: (origin, message, reason) =>
        this.append(this.deadLetterTopic, message.key, message.value ?? Buffer.alloc(0), {
          ...message.headers,
          ...deadLetterHeaders({ ...origin, offset: message.offset, groupId: options.groupId }, reason),
        }),
      retryBackoffMs: this.options.retryBackoffMs ?? 100,
      maxBatchSize: this.options.maxBatchSize ?? 500,
      recentEventIds: this.options.recentEventIds ?? 10_000,
      deliveryLingerMs: this.options.deliveryLingerMs ?? 0,
      ...(this.options.isTransient ? { isTransient: this.options.isTransient } : {}),
    });
    group.active = subscription;
    this.subscriptions.add(subscription);
    subscription.start(() => {
      group.active = undefined;
      this.subscriptions.delete(subscription);
    });
    return subscription;
  }

  /** @internal the log of a topic (created empty on first use). */
  log(topic: string): TopicLog {
    let log = this.logs.get(topic);
    if (!log) {
      log = { start: 0, records: [] };
      this.logs.set(topic, log);
    }
    return log;
  }

  private append(topic: string, key: string | null, value: Buffer, headers: Record<string, string>): void {
    const log = this.log(topic);
    log.records.push({ offset: String(endOf(log)), key, value, headers, timestamp: new Date() });
    if (log.records.length > this.retained + this.trimSlack) this.trim(topic, log);
    for (const subscription of this.subscriptions) subscription.notify(topic);
  }

  /** Drops the records older than the last `retained` that every active subscription has consumed. */
  private trim(topic: string, log: TopicLog): void {
    let keepFrom = endOf(log) - this.retained;
    for (const subscription of this.subscriptions) keepFrom = Math.min(keepFrom, subscription.positionOf(topic) ?? keepFrom);
    const dropped = keepFrom - log.start;
    // Behind a lagging subscription, wait until a slack's worth can go: a splice per append would copy the log each time.
    if (dropped < this.trimSlack) return;
    log.records.splice(0, dropped);
    log.start = keepFrom;
  }

  private groupOf(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { committed: new Map(), active: undefined };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private assertAvailable(): void {
    if (this.closed) throw new EventLogUnavailableError('the event bus is closed');
    if (this.unavailable) throw new EventLogUnavailableError('the event log is unavailable (simulated)');
  }
}

type SubscriptionSettings = {
  logger: Logger;
  deadLetter: (origin: { topic: string; partition: number }, message: RawMessage, reason: string) => void;
  retryBackoffMs: number;
  maxBatchSize: number;
  recentEventIds: number;
  deliveryLingerMs: number;
  isTransient?: (error: unknown) => boolean;
};

const PARTITION = 0;

class MemorySubscription implements Subscription {
  private readonly topics: string[];
  /** Next offset to deliver per topic (ahead of the group's committed one only while a batch is handled). */
  private readonly positions = new Map<string, number>();
  private readonly tracker: CaughtUpTracker;
  private readonly recent: RecentEventIds;
  private running = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: MemoryEventBus,
    private readonly group: Group,
    private readonly options: SubscriptionOptions,
    private readonly settings: SubscriptionSettings,
  ) {
    this.topics = [...new Set(options.topics)];
    this.recent = new RecentEventIds(settings.recentEventIds);
    const partitions = this.topics.map((topic) => {
      const log = bus.log(topic);
      const end = endOf(log);
      const position = group.committed.get(topic) ?? (options.fromBeginning ? log.start : end);
      this.positions.set(topic, position);
      return { key: topic, position: BigInt(position), target: BigInt(end) };
    });
    this.tracker = new CaughtUpTracker(partitions);
  }

  start(onStopped: () => void): void {
    this.loop = this.run().finally(onStopped);
  }

  /** The next offset this subscription will deliver on `topic` (undefined: it does not read it). */
  positionOf(topic: string): number | undefined {
    return this.positions.get(topic);
  }

  notify(topic: string): void {
    if (this.positions.has(topic)) this.wake?.();
  }

  caughtUp(): Promise<void> {
    return this.tracker.wait();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.tracker.abort(new Error(`subscription ${this.options.groupId} stopped before it caught up`));
  }

  /** Waits deliveryLingerMs (events appended meanwhile join the batch), or less if the subscription stops. */
  private async linger(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.settings.deliveryLingerMs);
      this.wake = () => {
        if (this.running) return;
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    // Never deliver inside subscribe's (or publish's) call stack.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.running) {
      let delivered = false;
      for (const topic of this.topics) {
        if (!this.running) break;
        let position = this.positions.get(topic)!;
        const log = this.bus.log(topic);
        if (position >= endOf(log)) continue;
        if (position < log.start) {
          // Only a group that was away (or a startFrom) can be behind the log start: active subscriptions hold records back.
          this.settings.logger.warn({ topic, position, start: log.start }, 'position no longer kept: resuming at the oldest record kept');
          position = log.start;
        }
        const records = log.records.slice(position - log.start, position - log.start + this.settings.maxBatchSize);
        const outcome = await deliverBatch(
          records.map(({ key, value, headers, offset }) => ({ key, value, headers, offset })),
          {
            topic,
            partition: PARTITION,
            groupId: this.options.groupId,
            handle: this.options.handle,
            maxRetries: this.options.maxRetries ?? 3,
            retryBackoffMs: this.settings.retryBackoffMs,
            recent: this.recent,
            deadLetter: async (message, reason) => this.settings.deadLetter({ topic, partition: PARTITION }, message, reason),
            isRunning: () => this.running,
            heartbeat: async () => undefined,
            logger: this.settings.logger,
            ...(this.settings.isTransient ? { isTransient: this.settings.isTransient } : {}),
          },
        );
        if (outcome === 'interrupted') return;
        const next = position + records.length;
        this.positions.set(topic, next);
        this.group.committed.set(topic, next);
        this.tracker.advance(topic, BigInt(next));
        delivered = true;
      }
      if (!delivered && this.running) {
        // Every topic was checked in this same tick: anything appended from now on calls wake().
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        if (this.settings.deliveryLingerMs > 0 && this.running) await this.linger();
      }
    }
  }
}

/** The offset the next record of `log` gets. */
function endOf(log: TopicLog): number {
  return log.start + log.records.length;
}
