import { randomUUID } from 'node:crypto';
import { EventValidationError, type TopicName } from '@authz/contracts';
import { EventLogUnavailableError, type Logger, silentLogger } from '@authz/ports';
import { type Consumer, type Kafka, type KafkaMessage, Partitioners } from 'kafkajs';
import { type DeadLetterRecord, describeEventBusContract, eventually, tokenIssued } from '../events/event-bus.contract';
import { KafkaEventPublisher } from './kafka-event-publisher';
import { KafkaEventSubscriber } from './kafka-event-subscriber';
import { createKafka, ensureTopics, parseBrokers } from './kafka-topics';

// The int project's `testTimeout` in jest.config.js is not applied (a global-only option): set it here.
jest.setTimeout(60_000);

/** AUTHZ_TEST_LOG=1 prints the adapters' and kafkajs' warnings and errors. */
const logger: Logger = process.env.AUTHZ_TEST_LOG
  ? {
      debug: () => undefined,
      info: () => undefined,
      warn: (obj, msg) => process.stderr.write(`WARN ${msg} ${JSON.stringify(obj)}\n`),
      error: (obj, msg) => process.stderr.write(`ERROR ${msg} ${JSON.stringify(obj)}\n`),
      child: () => logger,
    }
  : silentLogger;

const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
const runId = randomUUID().slice(0, 8);
const source = 'urn:authz:test';
let kafka: Kafka;
let topicCounter = 0;
const createdTopics: string[] = [];

beforeAll(() => {
  kafka = createKafka({ brokers, clientId: `authz-event-bus-int-${runId}`, logger });
});

afterAll(async () => {
  if (createdTopics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: createdTopics }).catch(() => undefined);
  await admin.disconnect();
});

async function freshTopics(label: string): Promise<{ topic: string; deadLetterTopic: string }> {
  const topic = `authz-test.${label}.${runId}.${++topicCounter}`;
  const deadLetterTopic = `${topic}.dlq`;
  await ensureTopics(kafka, { topics: [topic, deadLetterTopic], partitions: 3, replicationFactor: 1, logger });
  createdTopics.push(topic, deadLetterTopic);
  return { topic, deadLetterTopic };
}

/** A plain consumer reading a whole topic into memory (the test's view of what is in the log). */
function topicReader(topic: string) {
  const messages: KafkaMessage[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `${topic}.reader.${randomUUID()}`, maxWaitTimeInMs: 100 });
  const ready = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  })();
  return {
    messages: async () => {
      await ready;
      return [...messages];
    },
    close: async () => {
      await ready.catch(() => undefined);
      await consumer.disconnect();
    },
  };
}

function headersOf(message: KafkaMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
}

describeEventBusContract('Kafka', async () => {
  const { topic, deadLetterTopic } = await freshTopics('contract');
  const publisher = new KafkaEventPublisher({ kafka, source, logger, topicFor: () => topic });
  const subscriber = new KafkaEventSubscriber({ kafka, logger, deadLetterTopic, retryBackoffMs: 10, maxWaitTimeInMs: 100, caughtUpPollMs: 250 });
  const rawProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let rawReady: Promise<void> | undefined;
  let deadLetters: ReturnType<typeof topicReader> | undefined;
  await publisher.connect();
  return {
    publisher,
    subscriber,
    topic,
    source,
    appendRaw: async (target, key, value) => {
      rawReady ??= rawProducer.connect();
      await rawReady;
      await rawProducer.send({ topic: target, acks: -1, messages: [{ key, value }] });
    },
    readDeadLetters: async () => {
      deadLetters ??= topicReader(deadLetterTopic);
      return (await deadLetters.messages()).map(
        (message): DeadLetterRecord => ({ key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '', headers: headersOf(message) }),
      );
    },
    sendBatchCalls: () => publisher.metrics().batchesSent,
    cleanup: async () => {
      await publisher.close();
      if (rawReady) await rawProducer.disconnect();
      await deadLetters?.close();
    },
  };
});

describe('KafkaEventPublisher', () => {
  it('writes key = subject, the JSON envelope, and the CloudEvents headers', async () => {
    const { topic } = await freshTopics('wire');
    const publisher = new KafkaEventPublisher({ kafka, source, logger, topicFor: () => topic });
    const reader = topicReader(topic);
    try {
      const envelope = await publisher.publish(tokenIssued('grant-wire', 1), { correlationId: 'corr-wire' });
      const plain = await publisher.publish(tokenIssued('grant-wire', 2));
      let messages: KafkaMessage[] = [];
      await eventually(async () => {
        messages = await reader.messages();
        expect(messages).toHaveLength(2);
      });
      expect(messages.map((message) => message.key?.toString())).toEqual(['grant-wire', 'grant-wire']);
      expect(messages.map((message) => JSON.parse(message.value!.toString()))).toEqual([envelope, plain]);
      expect(headersOf(messages[0]!)).toEqual({
        'content-type': 'application/cloudevents+json',
        ce_type: 'oauth.access_token.issued.v1',
        ce_id: envelope.id,
        correlation_id: 'corr-wire',
      });
      expect(headersOf(messages[1]!)).toEqual({ 'content-type': 'application/cloudevents+json', ce_type: 'oauth.access_token.issued.v1', ce_id: plain.id });
      await publisher.ping();
    } finally {
      await reader.close();
      await publisher.close();
    }
  });

  it('rejects an invalid event before sending anything, and refuses publishes after close', async () => {
    const { topic } = await freshTopics('closed');
    const publisher = new KafkaEventPublisher({ kafka, source, logger, topicFor: () => topic });
    const event = tokenIssued('grant-1', 1);
    await expect(publisher.publish({ ...event, subject: '' })).rejects.toBeInstanceOf(EventValidationError);
    expect(publisher.metrics()).toEqual({ batchesSent: 0, eventsSent: 0, batchesFailed: 0, waiting: 0 });
    await publisher.publish(event);
    await publisher.close();
    await expect(publisher.publish(event)).rejects.toBeInstanceOf(EventLogUnavailableError);
    await expect(publisher.ping()).rejects.toBeInstanceOf(EventLogUnavailableError);
  });

  it('fails within a bounded time when the broker cannot be reached (publish, ping, subscribe)', async () => {
    const dead = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'authz-dead-broker', logger, connectionTimeout: 500 });
    const publisher = new KafkaEventPublisher({ kafka: dead, source, logger, publishTimeoutMs: 1500, pingTimeoutMs: 1000 });
    const started = Date.now();
    const outcomes = await Promise.allSettled([publisher.publish(tokenIssued('grant-1', 1)), publisher.publish(tokenIssued('grant-2', 1))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(EventLogUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);

    const pingStarted = Date.now();
    await expect(publisher.ping()).rejects.toBeInstanceOf(EventLogUnavailableError);
    expect(Date.now() - pingStarted).toBeLessThan(2000);
    await publisher.close();

    const subscriber = new KafkaEventSubscriber({ kafka: dead, logger });
    const subscribeStarted = Date.now();
    await expect(
      subscriber.subscribe({ groupId: 'never', topics: ['oauth.tokens'], fromBeginning: true, handle: async () => undefined }),
    ).rejects.toBeInstanceOf(EventLogUnavailableError);
    expect(Date.now() - subscribeStarted).toBeLessThan(10_000);
  });

  it('publishes 20,000 events from 200 concurrent publishers in few batches', async () => {
    const { topic } = await freshTopics('throughput');
    const publisher = new KafkaEventPublisher({ kafka, source, logger, topicFor: () => topic });
    await publisher.connect();
    const workers = 200;
    const perWorker = 100;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        for (let i = 0; i < perWorker; i++) await publisher.publish(tokenIssued(`grant-${worker}`, i));
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { batchesSent, eventsSent } = publisher.metrics();
    await publisher.close();
    const total = workers * perWorker;
    expect(eventsSent).toBe(total);
    expect(batchesSent).toBeLessThan(total / 20);
    process.stderr.write(
      `[throughput] ${total} events, ${workers} concurrent publishers: ${seconds.toFixed(2)} s, ${Math.round(total / seconds)} events/s, ` +
        `${batchesSent} sendBatch calls (${(total / batchesSent).toFixed(1)} events per batch)\n`,
    );
  });
});

describe('ensureTopics', () => {
  it('creates the missing topics only, and tolerates replicas creating them at the same time', async () => {
    const topics = [`authz-test.ensure.${runId}.a`, `authz-test.ensure.${runId}.b`];
    createdTopics.push(...topics);
    const results = await Promise.all([
      ensureTopics(kafka, { topics, partitions: 2, replicationFactor: 1, logger }),
      ensureTopics(kafka, { topics, partitions: 2, replicationFactor: 1, logger }),
    ]);
    expect(results.flat().length).toBeGreaterThanOrEqual(2);
    expect(await ensureTopics(kafka, { topics, partitions: 2, replicationFactor: 1, logger })).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    await admin.disconnect();
    expect(metadata.map((topic) => [topic.name, topic.partitions.length]).sort()).toEqual(topics.map((topic) => [topic, 2]));
  });
});

describe('KafkaEventSubscriber', () => {
  it('sees partitions that another member of the group handled as caught up', async () => {
    const { topic, deadLetterTopic } = await freshTopics('shared-group');
    const publisher = new KafkaEventPublisher({ kafka, source, logger, topicFor: () => topic });
    await Promise.all(Array.from({ length: 30 }, (_, i) => publisher.publish(tokenIssued(`grant-${i % 6}`, i))));
    await publisher.close();
    const subscriber = new KafkaEventSubscriber({ kafka, logger, deadLetterTopic, maxWaitTimeInMs: 100, caughtUpPollMs: 250 });
    const groupId = `shared.${randomUUID()}`;
    const handled: string[] = [];
    const options = {
      groupId,
      topics: [topic as TopicName],
      fromBeginning: true,
      handle: async (batch: readonly { envelope: { id: string } }[]) => void handled.push(...batch.map((event) => event.envelope.id)),
    };
    const [one, two] = await Promise.all([subscriber.subscribe(options), subscriber.subscribe(options)]);
    try {
      await Promise.all([one.caughtUp(), two.caughtUp()]);
      expect(new Set(handled).size).toBe(30);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});
