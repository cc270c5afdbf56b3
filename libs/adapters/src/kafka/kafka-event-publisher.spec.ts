import { EventValidationError } from '@authz/contracts';
import { EventLogUnavailableError, silentLogger } from '@authz/ports';
import type { Kafka, ProducerBatch, ProducerConfig } from 'kafkajs';
import { tokenIssued } from '../events/event-bus.contract';
import { KafkaEventPublisher } from './kafka-event-publisher';
import { KeyPartitioner } from './key-partitioner';

type SendBatchCall = { producer: number; batch: ProducerBatch; resolve: () => void; reject: (error: Error) => void };

/** Just enough of a kafkajs client: producers whose sendBatch calls the test settles. */
function fakeKafka(options: { failConnect?: boolean } = {}) {
  const calls: SendBatchCall[] = [];
  const configs: ProducerConfig[] = [];
  const disconnected: number[] = [];
  const kafka = {
    producer: (config: ProducerConfig) => {
      const id = configs.push(config);
      return {
        connect: async () => {
          if (options.failConnect) throw new Error('connect ECONNREFUSED');
        },
        disconnect: async () => void disconnected.push(id),
        sendBatch: (batch: ProducerBatch) =>
          new Promise((resolve, reject) => calls.push({ producer: id, batch, resolve: () => resolve([]), reject })),
      };
    },
    admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, describeCluster: () => new Promise(() => undefined) }),
  };
  return { kafka: kafka as unknown as Kafka, calls, configs, disconnected };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!condition()) throw new Error('condition not met');
}

describe('KafkaEventPublisher (with a fake kafkajs)', () => {
  const source = 'urn:authz:token';

  it('configures an idempotent producer, one request in flight, the key partitioner', async () => {
    const { kafka, configs, calls } = fakeKafka();
    const publisher = new KafkaEventPublisher({ kafka, source, logger: silentLogger });
    await publisher.connect();
    expect(configs).toEqual([expect.objectContaining({ idempotent: true, maxInFlightRequests: 1, createPartitioner: KeyPartitioner })]);
    expect(calls).toHaveLength(0);
    await publisher.close();
  });

  it('sends one batch per linger with acks=-1, grouped by topic in publish order; each publish resolves with its envelope', async () => {
    const { kafka, calls } = fakeKafka();
    const publisher = new KafkaEventPublisher({
      kafka,
      source,
      logger: silentLogger,
      lingerMs: 5,
      topicFor: (type) => (type === 'oauth.access_token.issued.v1' ? 'tokens' : 'keys'),
    });
    const publishing = [publisher.publish(tokenIssued('grant-1', 1), { correlationId: 'c-1' }), publisher.publish(tokenIssued('grant-2', 2))];
    await until(() => calls.length === 1);
    const { batch } = calls[0]!;
    expect(batch.acks).toBe(-1);
    expect(batch.timeout).toBe(5000);
    expect(batch.topicMessages).toHaveLength(1);
    expect(batch.topicMessages![0]!.topic).toBe('tokens');
    expect(batch.topicMessages![0]!.messages.map((message) => message.key)).toEqual(['grant-1', 'grant-2']);
    calls[0]!.resolve();
    const [first, second] = await Promise.all(publishing);
    expect(batch.topicMessages![0]!.messages[0]).toEqual({
      key: 'grant-1',
      value: Buffer.from(JSON.stringify(first)),
      headers: { 'content-type': 'application/cloudevents+json', ce_type: 'oauth.access_token.issued.v1', ce_id: first!.id, correlation_id: 'c-1' },
    });
    expect(second!.subject).toBe('grant-2');
    expect(publisher.metrics()).toEqual({ batchesSent: 1, eventsSent: 2, batchesFailed: 0, waiting: 0 });
    await publisher.close();
  });

  it('refuses an invalid event without sending anything', async () => {
    const { kafka, calls } = fakeKafka();
    const publisher = new KafkaEventPublisher({ kafka, source, logger: silentLogger });
    const event = tokenIssued('grant-1', 1);
    await expect(publisher.publish({ ...event, data: { ...event.data, audience: [] } })).rejects.toBeInstanceOf(EventValidationError);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toHaveLength(0);
    await publisher.close();
  });

  it('rejects the callers of a failed batch with EventLogUnavailableError and uses a new producer for the next batch', async () => {
    const { kafka, calls, configs, disconnected } = fakeKafka();
    const publisher = new KafkaEventPublisher({ kafka, source, logger: silentLogger, lingerMs: 0 });
    const failed = publisher.publish(tokenIssued('grant-1', 1));
    await until(() => calls.length === 1);
    calls[0]!.reject(new Error('NOT_ENOUGH_REPLICAS'));
    const error = await failed.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(EventLogUnavailableError);
    expect((error as Error).message).toBe('event log unavailable: NOT_ENOUGH_REPLICAS');
    await until(() => disconnected.length === 1);

    const next = publisher.publish(tokenIssued('grant-1', 2));
    await until(() => calls.length === 2);
    expect(calls[1]!.producer).toBe(2); // a fresh producer (new producer id, fresh sequence numbers)
    expect(configs).toHaveLength(2);
    calls[1]!.resolve();
    await expect(next).resolves.toMatchObject({ subject: 'grant-1' });
    expect(publisher.metrics()).toMatchObject({ batchesSent: 1, batchesFailed: 1 });
    await publisher.close();
  });

  it('rejects within publishTimeoutMs when the broker never answers, and recovers afterwards', async () => {
    const { kafka, calls } = fakeKafka();
    const publisher = new KafkaEventPublisher({ kafka, source, logger: silentLogger, lingerMs: 0, publishTimeoutMs: 100 });
    const started = Date.now();
    const error = await publisher.publish(tokenIssued('grant-1', 1)).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(EventLogUnavailableError);
    expect((error as Error).message).toBe('event not acknowledged within 100 ms');
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() => publisher.metrics().batchesFailed === 1); // the hung sendBatch was given up: the next batch can go

    const next = publisher.publish(tokenIssued('grant-1', 2));
    await until(() => calls.length === 2);
    calls[1]!.resolve();
    await expect(next).resolves.toMatchObject({ subject: 'grant-1' });
    await publisher.close();
  });

  it('rejects with EventLogUnavailableError when it cannot connect, and when ping gets no answer', async () => {
    const { kafka } = fakeKafka({ failConnect: true });
    const publisher = new KafkaEventPublisher({ kafka, source, logger: silentLogger, pingTimeoutMs: 50 });
    await expect(publisher.publish(tokenIssued('grant-1', 1))).rejects.toBeInstanceOf(EventLogUnavailableError);
    await expect(publisher.connect()).rejects.toBeInstanceOf(EventLogUnavailableError);
    const error = await publisher.ping().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(EventLogUnavailableError);
    expect((error as Error).message).toBe('event log unavailable: no answer from the cluster within 50 ms');
    await publisher.close();
  });
});
