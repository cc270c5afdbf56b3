import { Topics } from '@authz/contracts';
import { DatabaseUnavailableError, EventLogUnavailableError, type ConsumedEvent } from '@authz/ports';
import { describeEventBusContract, eventually, tokenIssued } from '../events/event-bus.contract';
import { MemoryEventBus } from './memory-event-bus';

let counter = 0;

describeEventBusContract('MemoryEventBus', async () => {
  const topic = `test.events.${++counter}`;
  const deadLetterTopic = `${topic}.dlq`;
  const source = 'urn:authz:test';
  const bus = new MemoryEventBus({ source, deadLetterTopic, retryBackoffMs: 1, topicFor: () => topic });
  return {
    publisher: bus,
    subscriber: bus,
    topic,
    source,
    appendRaw: (target, key, value) => bus.appendRaw(target, key, value),
    readDeadLetters: async () => bus.deadLetters().map(({ key, value, headers }) => ({ key, value: value.toString('utf8'), headers: { ...headers } })),
    cleanup: () => bus.close(),
  };
});

// The embedded mode's setting (infrastructure.module.ts): the same contract with a delivery linger.
describeEventBusContract('MemoryEventBus with a 5 ms delivery linger', async () => {
  const topic = `test.events.${++counter}`;
  const deadLetterTopic = `${topic}.dlq`;
  const source = 'urn:authz:test';
  const bus = new MemoryEventBus({ source, deadLetterTopic, retryBackoffMs: 1, topicFor: () => topic, deliveryLingerMs: 5 });
  return {
    publisher: bus,
    subscriber: bus,
    topic,
    source,
    appendRaw: (target, key, value) => bus.appendRaw(target, key, value),
    readDeadLetters: async () => bus.deadLetters().map(({ key, value, headers }) => ({ key, value: value.toString('utf8'), headers: { ...headers } })),
    cleanup: () => bus.close(),
  };
});

describe('MemoryEventBus', () => {
  const source = 'urn:authz:test';

  it('with a delivery linger, hands the events published meanwhile over in one batch', async () => {
    const bus = new MemoryEventBus({ source, deliveryLingerMs: 500 });
    const batches: string[][] = [];
    const subscription = await bus.subscribe({ groupId: 'g', topics: [Topics.tokens], fromBeginning: true, handle: async (batch) => void batches.push(batch.map((event) => event.offset)) });
    await subscription.caughtUp();
    // The subscription has started and waits for events.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([1, 2, 3].map((n) => bus.publish(tokenIssued(`grant-${n}`, n))));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await bus.publish(tokenIssued('grant-4', 4));
    await eventually(() => expect(batches).toEqual([['0', '1', '2', '3']]));
    await bus.close();
  });

  it('stops at once while it lingers', async () => {
    const bus = new MemoryEventBus({ source, deliveryLingerMs: 60_000 });
    const subscription = await bus.subscribe({ groupId: 'g', topics: [Topics.tokens], fromBeginning: true, handle: async () => undefined });
    await subscription.caughtUp();
    await bus.publish(tokenIssued('grant-1', 1));
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    await subscription.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await bus.close();
  });

  it('routes events to their contract topic by default and keeps the serialized envelope with its headers', async () => {
    const bus = new MemoryEventBus({ source });
    const envelope = await bus.publish(tokenIssued('grant-1', 1), { correlationId: 'corr-1' });
    expect(bus.readTopic(Topics.tokens)).toEqual([
      {
        offset: '0',
        key: 'grant-1',
        value: Buffer.from(JSON.stringify(envelope)),
        headers: { 'content-type': 'application/cloudevents+json', ce_type: envelope.type, ce_id: envelope.id, correlation_id: 'corr-1' },
        timestamp: expect.any(Date),
      },
    ]);
    await bus.close();
  });

  it('never delivers inside the call stack of publish or subscribe', async () => {
    const bus = new MemoryEventBus({ source });
    const handled: ConsumedEvent[] = [];
    await bus.publish(tokenIssued('grant-1', 1));
    const subscription = await bus.subscribe({ groupId: 'g', topics: [Topics.tokens], fromBeginning: true, handle: async (batch) => void handled.push(...batch) });
    expect(handled).toHaveLength(0);
    await subscription.caughtUp();
    expect(handled).toHaveLength(1);
    const publishing = bus.publish(tokenIssued('grant-1', 2));
    expect(handled).toHaveLength(1);
    await publishing;
    await eventually(() => expect(handled).toHaveLength(2));
    await bus.close();
  });

  it('allows one subscription per group at a time', async () => {
    const bus = new MemoryEventBus({ source });
    const options = { groupId: 'g', topics: [Topics.tokens], fromBeginning: true, handle: async () => undefined };
    const first = await bus.subscribe(options);
    await expect(bus.subscribe(options)).rejects.toThrow('consumer group g already has a subscription in this process');
    await first.stop();
    const second = await bus.subscribe(options);
    await second.stop();
  });

  it('retries a handler that reports an unavailable service until it answers, without dead-lettering', async () => {
    const bus = new MemoryEventBus({ source, retryBackoffMs: 1 });
    let failures = 0;
    const handled: string[] = [];
    const envelope = await bus.publish(tokenIssued('grant-1', 1));
    const subscription = await bus.subscribe({
      groupId: 'projection',
      topics: [Topics.tokens],
      fromBeginning: true,
      maxRetries: 1,
      handle: async (batch) => {
        if (failures < 6) {
          failures += 1;
          throw new DatabaseUnavailableError('connection refused');
        }
        handled.push(...batch.map((event) => event.envelope.id));
      },
    });
    await subscription.caughtUp();
    expect(failures).toBe(6);
    expect(handled).toEqual([envelope.id]);
    expect(bus.deadLetters()).toEqual([]);
    await bus.close();
  });

  it('simulates an outage: publish and ping reject with EventLogUnavailableError, nothing is appended', async () => {
    const bus = new MemoryEventBus({ source });
    bus.setUnavailable(true);
    await expect(bus.publish(tokenIssued('grant-1', 1))).rejects.toBeInstanceOf(EventLogUnavailableError);
    await expect(bus.ping()).rejects.toBeInstanceOf(EventLogUnavailableError);
    expect(bus.readTopic(Topics.tokens)).toEqual([]);
    bus.setUnavailable(false);
    await bus.ping();
    await bus.close();
    await expect(bus.publish(tokenIssued('grant-1', 1))).rejects.toBeInstanceOf(EventLogUnavailableError);
  });

  it('rejects caughtUp when the subscription stops before catching up', async () => {
    const bus = new MemoryEventBus({ source });
    await bus.publish(tokenIssued('grant-1', 1));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let handedOver!: () => void;
    const started = new Promise<void>((resolve) => (handedOver = resolve));
    const subscription = await bus.subscribe({
      groupId: 'g',
      topics: [Topics.tokens],
      fromBeginning: true,
      handle: async () => {
        handedOver();
        await gate;
        throw new Error('interrupted');
      },
    });
    const caughtUp = subscription.caughtUp();
    await started;
    const stopping = subscription.stop();
    release();
    await stopping;
    await expect(caughtUp).rejects.toThrow('subscription g stopped before it caught up');
    expect(bus.deadLetters()).toEqual([]);
  });

  describe('retention', () => {
    const offsetsOf = (bus: MemoryEventBus): string[] => bus.readTopic(Topics.tokens).map((record) => record.offset);
    const publishN = async (bus: MemoryEventBus, from: number, to: number): Promise<void> => {
      for (let n = from; n <= to; n += 1) await bus.publish(tokenIssued(`grant-${n}`, n));
    };

    it('keeps the last retainedRecords records of a topic no one reads, trimming once a quarter more have come', async () => {
      const bus = new MemoryEventBus({ source, retainedRecords: 4 });
      await publishN(bus, 0, 4);
      expect(offsetsOf(bus)).toEqual(['0', '1', '2', '3', '4']);
      await publishN(bus, 5, 5);
      expect(offsetsOf(bus)).toEqual(['2', '3', '4', '5']);
      await publishN(bus, 6, 9);
      expect(offsetsOf(bus)).toEqual(['6', '7', '8', '9']);
      // Offsets stay absolute: the next record is 10, whatever was dropped.
      await publishN(bus, 10, 10);
      expect(offsetsOf(bus)).toEqual(['6', '7', '8', '9', '10']);
      await bus.close();
    });

    it('never drops a record an active subscription has not consumed, and drops it once consumed', async () => {
      const bus = new MemoryEventBus({ source, retainedRecords: 4 });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: string[] = [];
      const subscription = await bus.subscribe({
        groupId: 'slow',
        topics: [Topics.tokens],
        fromBeginning: true,
        handle: async (batch) => {
          await gate;
          handled.push(...batch.map((event) => event.offset));
        },
      });
      await publishN(bus, 0, 19);
      // The handler holds its first batch: nothing it has yet to consume was dropped.
      expect(offsetsOf(bus)).toEqual(Array.from({ length: 20 }, (_, n) => String(n)));
      release();
      await eventually(() => expect(handled).toEqual(Array.from({ length: 20 }, (_, n) => String(n))));
      await publishN(bus, 20, 20);
      expect(offsetsOf(bus)).toEqual(['17', '18', '19', '20']);
      await eventually(() => expect(handled).toHaveLength(21));
      await subscription.stop();
      await bus.close();
    });

    it('starts a new group reading from the beginning at the oldest record kept', async () => {
      const bus = new MemoryEventBus({ source, retainedRecords: 4 });
      await publishN(bus, 0, 9);
      const handled: string[] = [];
      const subscription = await bus.subscribe({ groupId: 'late', topics: [Topics.tokens], fromBeginning: true, handle: async (batch) => void handled.push(...batch.map((event) => event.offset)) });
      await subscription.caughtUp();
      expect(handled).toEqual(['6', '7', '8', '9']);
      await subscription.stop();
      await bus.close();
    });

    it('resumes a group that was away past its position at the oldest record kept, skipping nothing kept', async () => {
      const bus = new MemoryEventBus({ source, retainedRecords: 4 });
      const handled: string[] = [];
      const options = { groupId: 'away', topics: [Topics.tokens], fromBeginning: true, handle: async (batch: ConsumedEvent[]) => void handled.push(...batch.map((event) => event.offset)) };
      await publishN(bus, 0, 1);
      const first = await bus.subscribe(options);
      await first.caughtUp();
      await first.stop();
      // While the group is away, it holds nothing back.
      await publishN(bus, 2, 11);
      expect(offsetsOf(bus)).toEqual(['8', '9', '10', '11']);
      const second = await bus.subscribe(options);
      await second.caughtUp();
      expect(handled).toEqual(['0', '1', '8', '9', '10', '11']);
      await second.stop();
      await bus.close();
    });

    it('starts at the oldest record kept when startFrom names one that was dropped', async () => {
      const bus = new MemoryEventBus({ source, retainedRecords: 4 });
      await publishN(bus, 0, 9);
      const handled: string[] = [];
      const subscription = await bus.subscribe({ groupId: 'from', topics: [Topics.tokens], fromBeginning: false, startFrom: async () => '2', handle: async (batch) => void handled.push(...batch.map((event) => event.offset)) });
      await subscription.caughtUp();
      expect(handled).toEqual(['6', '7', '8', '9']);
      await subscription.stop();
      await bus.close();
    });

    it('refuses a retainedRecords that is not a positive integer', () => {
      for (const retainedRecords of [0, -1, 1.5, Number.NaN]) expect(() => new MemoryEventBus({ source, retainedRecords })).toThrow('MemoryEventBus: retainedRecords must be a positive integer');
    });
  });
});
