import { createEnvelope, type DomainEvent, type Envelope, type EventType, serializeEnvelope, topicOf } from '@authz/contracts';
import { type EventPublisher, EventLogUnavailableError, type Logger, type PublishMeta } from '@authz/ports';
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { injectContext, tracer, tracingEnabled } from '@authz/platform';
import { type Admin, type IHeaders, type Kafka, type Message, type Producer, type ProducerConfig } from 'kafkajs';
import { AccumulatorClosedError, AccumulatorTimeoutError, EventAccumulator } from './event-accumulator';
import { KeyPartitioner } from './key-partitioner';

export type KafkaEventPublisherOptions = {
  /** The client (see createKafka). */
  kafka: Kafka;
  /** CloudEvents `source` of every event published here, e.g. `urn:authz:token`. */
  source: string;
  logger: Logger;
  /** How long the first waiting event waits for others before its batch is sent (ms, default 2). */
  lingerMs?: number;
  /** Most events per sendBatch (default 500). */
  maxBatchSize?: number;
  /**
   * Bound on a publish, from the call to its acknowledgement (ms, default 5000): after it the promise
   * rejects with EventLogUnavailableError. Also the broker-side ack timeout of each batch.
   */
  publishTimeoutMs?: number;
  /** Timeout of ping() (ms, default 2000). */
  pingTimeoutMs?: number;
  /** The topic of an event type (default: the contracts' topicOf). Tests route to a topic of their own. */
  topicFor?: (type: EventType) => string;
  /** Metrics hooks (README "Metrics"); called synchronously, must not throw. */
  observer?: KafkaPublisherObserver;
};

export type KafkaPublisherObserver = {
  /** One publish settled: from the call to its acknowledgement (ok) or failure, seconds. */
  published(seconds: number, ok: boolean): void;
  /** One sendBatch settled: its events and how long the broker took, seconds. */
  batch(size: number, seconds: number, ok: boolean): void;
};

export type KafkaEventPublisherMetrics = {
  /** sendBatch calls that the broker acknowledged. */
  batchesSent: number;
  /** Events in those batches. */
  eventsSent: number;
  /** sendBatch calls that failed or timed out (each one replaced the producer). */
  batchesFailed: number;
  /** Events waiting for the next batch. */
  waiting: number;
};

type OutgoingEvent = { topic: string; message: Message };

/**
 * Retries inside one sendBatch: about 1.5 s of backoff. kafkajs retries an idempotent producer forever
 * by default, which would let one batch hang for good on a dead broker; bounded, a batch fails, its
 * callers get EventLogUnavailableError, and the producer is replaced.
 */
const PRODUCER_RETRY = { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 } as const;

/**
 * EventPublisher on Kafka: every event is wrapped in a validated envelope (a bad payload rejects with
 * EventValidationError and nothing is sent), keyed by its subject (one aggregate's events stay in
 * order on one partition), and written by an idempotent producer with acks=-1.
 *
 * Events are batched here (kafkajs has no linger): they wait up to `lingerMs` (or until
 * `maxBatchSize` wait) and go out in ONE sendBatch, one batch in flight at a time — with
 * maxInFlightRequests=1 that keeps the order of publish calls in the log. `publish` resolves with the
 * envelope once its batch is acknowledged; it rejects with EventLogUnavailableError when the batch
 * fails or `publishTimeoutMs` passes, whichever comes first (the event may then still have been
 * written: the caller must treat it as not acknowledged, and consumers are idempotent).
 *
 * After a failed batch the producer is discarded and a new one (new producer id) used for the next
 * batch: an idempotent producer whose batch the broker wrote but did not acknowledge would otherwise
 * send the next batch with sequence numbers the broker has seen, and it could be dropped as a duplicate.
 *
 * Message: key = subject, value = the JSON envelope (CloudEvents structured mode), headers
 * `content-type`, `ce_type`, `ce_id`, `correlation_id` (when given).
 */
export class KafkaEventPublisher implements EventPublisher {
  private readonly kafka: Kafka;
  private readonly source: string;
  private readonly logger: Logger;
  private readonly publishTimeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly topicFor: (type: EventType) => string;
  private readonly accumulator: EventAccumulator<OutgoingEvent>;
  /** The producer in use, once its connect() was started; replaced after a failed batch. */
  private producer: { producer: Producer; ready: Promise<Producer> } | undefined;
  private admin: { admin: Admin; ready: Promise<void> } | undefined;
  private closed = false;
  private readonly counters = { batchesSent: 0, eventsSent: 0, batchesFailed: 0 };
  private readonly observer: KafkaPublisherObserver | undefined;

  constructor(options: KafkaEventPublisherOptions) {
    if (!options.source) throw new RangeError('KafkaEventPublisher: source is required');
    this.kafka = options.kafka;
    this.source = options.source;
    this.logger = options.logger.child({ component: 'KafkaEventPublisher' });
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2000;
    this.topicFor = options.topicFor ?? topicOf;
    this.observer = options.observer;
    this.accumulator = new EventAccumulator<OutgoingEvent>({
      send: (events) => this.sendBatch(events),
      lingerMs: options.lingerMs ?? 2,
      maxBatchSize: options.maxBatchSize ?? 500,
      timeoutMs: this.publishTimeoutMs,
    });
  }

  async publish<E extends DomainEvent>(event: E, meta: PublishMeta = {}): Promise<Envelope<E>> {
    const envelope = createEnvelope(event, {
      source: this.source,
      ...(meta.correlationId ? { correlationId: meta.correlationId } : {}),
    });
    if (this.closed) throw new EventLogUnavailableError('the event publisher is closed');
    const headers: IHeaders = { 'content-type': 'application/cloudevents+json', ce_type: envelope.type, ce_id: envelope.id };
    if (envelope.correlationid) headers.correlation_id = envelope.correlationid;
    const topic = this.topicFor(envelope.type);
    // Tracing on: a PRODUCER span, child of the request's, whose context travels in the message's
    // W3C headers (traceparent) to every consumer.
    const span = tracingEnabled() ? this.producerSpan(topic, envelope, headers) : undefined;
    const outgoing: OutgoingEvent = {
      topic,
      message: { key: envelope.subject, value: serializeEnvelope(envelope), headers },
    };
    const started = performance.now();
    try {
      await this.accumulator.add(outgoing);
    } catch (error) {
      this.observer?.published((performance.now() - started) / 1000, false);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      span?.end();
      throw this.unavailable(error);
    }
    this.observer?.published((performance.now() - started) / 1000, true);
    span?.end();
    return envelope;
  }

  private producerSpan(topic: string, envelope: Envelope, headers: IHeaders): Span {
    const span = tracer().startSpan(`${topic} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'publish', 'messaging.destination.name': topic, 'messaging.message.id': envelope.id, 'cloudevents.event_type': envelope.type },
    });
    injectContext(trace.setSpan(context.active(), span), headers);
    return span;
  }

  /** Connects the producer now instead of on the first publish (fails with EventLogUnavailableError). */
  async connect(): Promise<void> {
    try {
      await this.connectedProducer();
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /** Readiness: one metadata round trip to the cluster within `pingTimeoutMs`. */
  async ping(): Promise<void> {
    if (this.closed) throw new EventLogUnavailableError('the event publisher is closed');
    try {
      await withTimeout(
        (async () => {
          const admin = this.connectedAdmin();
          await admin.ready;
          await admin.admin.describeCluster();
        })(),
        this.pingTimeoutMs,
        `no answer from the cluster within ${this.pingTimeoutMs} ms`,
      );
    } catch (error) {
      // A half-dead admin connection is not reused: the next ping connects afresh.
      this.discardAdmin();
      throw this.unavailable(error);
    }
  }

  /** Sends what is waiting (bounded by publishTimeoutMs), then disconnects. Later publishes reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.race([this.accumulator.close(), sleep(this.publishTimeoutMs)]);
    const producer = this.producer?.producer;
    this.producer = undefined;
    await Promise.allSettled([producer?.disconnect(), this.admin?.admin.disconnect()]);
    this.admin = undefined;
  }

  metrics(): KafkaEventPublisherMetrics {
    return { ...this.counters, waiting: this.accumulator.waiting };
  }

  private async sendBatch(events: readonly OutgoingEvent[]): Promise<void> {
    const producer = await withTimeout(this.connectedProducer(), this.publishTimeoutMs, `no connection to the cluster within ${this.publishTimeoutMs} ms`).catch(
      (error: unknown) => {
        this.counters.batchesFailed += 1;
        if (this.producer) this.discardProducer(this.producer.producer);
        throw error;
      },
    );
    const started = performance.now();
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of events) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    try {
      await withTimeout(
        producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: -1,
          timeout: this.publishTimeoutMs,
        }),
        this.publishTimeoutMs,
        `sendBatch not acknowledged within ${this.publishTimeoutMs} ms`,
      );
    } catch (error) {
      this.counters.batchesFailed += 1;
      this.observer?.batch(events.length, (performance.now() - started) / 1000, false);
      this.logger.error({ events: events.length, topics: [...byTopic.keys()], error: String(error) }, 'event batch not acknowledged: replacing the producer');
      this.discardProducer(producer);
      throw error;
    }
    this.counters.batchesSent += 1;
    this.counters.eventsSent += events.length;
    this.observer?.batch(events.length, (performance.now() - started) / 1000, true);
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const config: ProducerConfig = {
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // The same partition per key as kafkajs' DefaultPartitioner and the Java client, cheaper (key-partitioner.ts).
        createPartitioner: KeyPartitioner,
        retry: PRODUCER_RETRY,
      };
      const producer = this.kafka.producer(config);
      const ready = producer.connect().then(() => producer);
      const current = { producer, ready };
      this.producer = current;
      ready.catch((error: unknown) => {
        this.logger.warn({ error: String(error) }, 'kafka producer could not connect');
        if (this.producer === current) this.producer = undefined;
        producer.disconnect().catch(() => undefined);
      });
    }
    return this.producer.ready;
  }

  private discardProducer(producer: Producer): void {
    if (this.producer?.producer === producer) this.producer = undefined;
    producer.disconnect().catch((error: unknown) => this.logger.debug({ error: String(error) }, 'discarded producer did not disconnect cleanly'));
  }

  private connectedAdmin(): { admin: Admin; ready: Promise<void> } {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = { admin, ready: admin.connect() };
    }
    return this.admin;
  }

  private discardAdmin(): void {
    const admin = this.admin?.admin;
    this.admin = undefined;
    admin?.disconnect().catch(() => undefined);
  }

  private unavailable(error: unknown): EventLogUnavailableError {
    if (error instanceof EventLogUnavailableError) return error;
    const detail =
      error instanceof AccumulatorTimeoutError
        ? `event not acknowledged within ${this.publishTimeoutMs} ms`
        : error instanceof AccumulatorClosedError
          ? 'the event publisher is closed'
          : `event log unavailable: ${error instanceof Error ? error.message : String(error)}`;
    return new EventLogUnavailableError(detail, { cause: error });
  }
}

/** Settles like `promise`, or rejects with `message` after `ms`; the loser's outcome is ignored. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
