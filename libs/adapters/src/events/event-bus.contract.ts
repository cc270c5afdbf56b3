import { createHash, randomUUID } from 'node:crypto';
import { type DomainEvent, type Envelope, type EventOf, EventValidationError, type TopicName } from '@authz/contracts';
import type { ConsumedEvent, EventPublisher, EventSubscriber, Subscription, SubscriptionOptions } from '@authz/ports';

/** A dead-lettered message as the contract inspects it (value decoded as UTF-8). */
export type DeadLetterRecord = { key: string | null; value: string; headers: Record<string, string> };

/** What an adapter pair provides to the contract, fresh for every test. */
export type EventBusFixture = {
  publisher: EventPublisher;
  subscriber: EventSubscriber;
  /** A topic of this test alone: the publisher routes every event type there. */
  topic: string;
  /** The CloudEvents source the publisher stamps on envelopes. */
  source: string;
  /** Appends raw bytes to a topic, bypassing validation (poison messages). */
  appendRaw(topic: string, key: string | null, value: Buffer): Promise<void>;
  /** Everything dead-lettered so far (may lag: the contract polls). */
  readDeadLetters(): Promise<DeadLetterRecord[]>;
  /** How many batches the publisher sent so far, when it batches (Kafka). */
  sendBatchCalls?: () => number;
  /** Releases what the fixture opened (subscriptions are stopped by the contract first). */
  cleanup(): Promise<void>;
};

type TokenIssued = EventOf<'oauth.access_token.issued.v1'>;

/** A valid access-token-issued event for `subject` (the grant id); `n` makes it unique. */
export function tokenIssued(subject: string, n: number): TokenIssued {
  return {
    type: 'oauth.access_token.issued.v1',
    subject,
    data: {
      jti: `jti-${subject}-${n}`,
      grantId: subject,
      grantType: 'client_credentials',
      clientId: 'client-a',
      sub: 'client-a',
      scope: 'read write',
      audience: ['https://api.example.test'],
      issuedAt: 1_700_000_000 + n,
      expiresAt: 1_700_000_300 + n,
      tokenHash: `sha256:${createHash('sha256').update(`${subject}/${n}`).digest('base64url')}`,
    },
  };
}

/** Polls `assertion` until it passes (or rethrows its last failure after `timeoutMs`). */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 20_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** A handler that records what it handled (only batches it accepted). */
function collector() {
  const events: ConsumedEvent[] = [];
  return {
    events,
    handle: async (batch: readonly ConsumedEvent[]) => void events.push(...batch),
    envelopes: () => events.map((event) => event.envelope),
    ids: () => events.map((event) => event.envelope.id),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const idsOf = (envelopes: readonly Envelope[]) => envelopes.map((envelope) => envelope.id);
const sorted = (values: readonly string[]) => [...values].sort();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OFFSET = /^\d+$/;

/**
 * The behaviour every EventPublisher + EventSubscriber pair must show, run against the Kafka adapters
 * (kafka/kafka-event-bus.int-spec.ts) and the in-memory twin (memory/memory-event-bus.spec.ts).
 */
export function describeEventBusContract(name: string, factory: () => Promise<EventBusFixture>): void {
  describe(`${name} (event bus contract)`, () => {
    let fx: EventBusFixture;
    let subscriptions: Subscription[];

    beforeEach(async () => {
      fx = await factory();
      subscriptions = [];
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await fx.cleanup();
    });

    const group = (label: string) => `contract.${label}.${randomUUID()}`;
    const publish = <E extends DomainEvent>(event: E, correlationId?: string) =>
      fx.publisher.publish(event, correlationId ? { correlationId } : {});
    const subscribe = async (options: Omit<SubscriptionOptions, 'topics'>) => {
      const subscription = await fx.subscriber.subscribe({ ...options, topics: [fx.topic as TopicName] });
      subscriptions.push(subscription);
      return subscription;
    };

    it('publish resolves with the validated envelope', async () => {
      const event = tokenIssued('grant-1', 1);
      const envelope = await publish(event, 'corr-1');
      expect(envelope).toEqual({
        specversion: '1.0',
        id: expect.stringMatching(UUID),
        source: fx.source,
        type: 'oauth.access_token.issued.v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        subject: 'grant-1',
        datacontenttype: 'application/json',
        correlationid: 'corr-1',
        data: event.data,
      });
      const plain = await publish(tokenIssued('grant-1', 2));
      expect(plain).not.toHaveProperty('correlationid');
      expect(plain.id).not.toBe(envelope.id);
    });

    it('refuses an invalid event on produce, and never delivers it', async () => {
      const valid = tokenIssued('grant-bad', 1);
      const badPayload = { ...valid, data: { ...valid.data, tokenHash: 'the-token-itself' } };
      await expect(publish(badPayload)).rejects.toBeInstanceOf(EventValidationError);
      const extraField = { ...valid, data: { ...valid.data, accessToken: 'eyJ...' } } as unknown as DomainEvent;
      await expect(publish(extraField)).rejects.toBeInstanceOf(EventValidationError);
      const unknownType = { type: 'oauth.unknown.v1', subject: 'grant-bad', data: {} } as unknown as DomainEvent;
      await expect(publish(unknownType)).rejects.toBeInstanceOf(EventValidationError);
      const good = await publish(tokenIssued('grant-good', 2));

      const handled = collector();
      const subscription = await subscribe({ groupId: group('invalid'), fromBeginning: true, handle: handled.handle });
      await subscription.caughtUp();
      expect(handled.envelopes()).toEqual([good]);
    });

    it('delivers every event with its exact envelope, in publish order per subject', async () => {
      const subjects = ['grant-a', 'grant-b', 'grant-c', 'grant-d'];
      const published = await Promise.all(range(40).map((i) => publish(tokenIssued(subjects[i % subjects.length]!, i), `corr-${i}`)));
      const handled = collector();
      const subscription = await subscribe({ groupId: group('order'), fromBeginning: true, handle: handled.handle });
      await subscription.caughtUp();

      expect(handled.events).toHaveLength(40);
      for (const subject of subjects) {
        expect(handled.envelopes().filter((envelope) => envelope.subject === subject)).toEqual(published.filter((envelope) => envelope.subject === subject));
      }
      const first = handled.events.find((event) => event.envelope.id === published[0]!.id);
      expect(first).toEqual({ envelope: published[0], topic: fx.topic, partition: expect.any(Number), offset: expect.stringMatching(OFFSET) });
      // Offsets grow within a partition, in delivery order.
      const byPartition = new Map<number, bigint[]>();
      for (const event of handled.events) byPartition.set(event.partition, [...(byPartition.get(event.partition) ?? []), BigInt(event.offset)]);
      for (const offsets of byPartition.values()) expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('gives every group every event (broadcast), each exactly once within a group', async () => {
      const before = await Promise.all(range(20).map((i) => publish(tokenIssued(`grant-${i % 5}`, i))));
      const [a, b] = [collector(), collector()];
      const [subA, subB] = await Promise.all([
        subscribe({ groupId: group('broadcast-a'), fromBeginning: true, handle: a.handle }),
        subscribe({ groupId: group('broadcast-b'), fromBeginning: true, handle: b.handle }),
      ]);
      await Promise.all([subA.caughtUp(), subB.caughtUp()]);
      const after = await Promise.all(range(5).map((i) => publish(tokenIssued(`grant-${i}`, 100 + i))));
      const all = sorted(idsOf([...before, ...after]));
      await eventually(() => {
        expect(sorted(a.ids())).toEqual(all);
        expect(sorted(b.ids())).toEqual(all);
      });
    });

    it('resumes a group after its committed position; a batch whose handling did not finish is delivered again', async () => {
      const groupId = group('resume');
      const first = await Promise.all(range(2).map((i) => publish(tokenIssued('grant-r', i))));
      const one = collector();
      const s1 = await subscribe({ groupId, fromBeginning: true, handle: one.handle });
      await s1.caughtUp();
      await s1.stop();
      expect(one.envelopes()).toEqual(first);

      // Handled and committed: not delivered again. The next ones are handed over but their handling
      // is cut short by stop(): nothing of theirs may be committed (nor dead-lettered).
      const second = await Promise.all(range(3).map((i) => publish(tokenIssued('grant-r', 10 + i))));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const handedOver = new Promise<void>((resolve) => (started = resolve));
      const seen: Envelope[] = [];
      const s2 = await subscribe({
        groupId,
        fromBeginning: true,
        maxRetries: 5,
        handle: async (batch) => {
          seen.push(...batch.map((event) => event.envelope));
          started();
          await gate;
          throw new Error('the process is shutting down');
        },
      });
      await handedOver;
      const stopping = s2.stop();
      release();
      await stopping;
      expect(seen.length).toBeGreaterThan(0);
      expect(idsOf(seen).every((id) => idsOf(second).includes(id))).toBe(true);

      const three = collector();
      const s3 = await subscribe({ groupId, fromBeginning: false, handle: three.handle });
      await s3.caughtUp();
      expect(three.envelopes()).toEqual(second);
      const third = await publish(tokenIssued('grant-r', 20));
      await eventually(() => expect(three.envelopes()).toEqual([...second, third]));
    });

    it("startFrom: the consumer's own store overrides the group's committed position when the group is idle", async () => {
      const groupId = group('start-from');
      const events = await Promise.all(range(5).map((i) => publish(tokenIssued('grant-s', i))));
      const first = collector();
      const s1 = await subscribe({ groupId, fromBeginning: true, handle: first.handle });
      await s1.caughtUp();
      await s1.stop();
      expect(first.envelopes()).toEqual(events);

      // The store stands before the third event (a database restored from a backup, say): delivered again from there.
      const third = first.events[2]!;
      const asked: Array<[string, number]> = [];
      const again = collector();
      const s2 = await subscribe({
        groupId,
        fromBeginning: true,
        handle: again.handle,
        startFrom: async (topic, partition) => {
          asked.push([topic, partition]);
          return topic === third.topic && partition === third.partition ? third.offset : null;
        },
      });
      await s2.caughtUp();
      await s2.stop();
      expect(again.envelopes()).toEqual(events.slice(2));
      expect(asked).toContainEqual([third.topic, third.partition]);

      // null keeps the group's committed position: nothing is delivered again.
      const none = collector();
      const s3 = await subscribe({ groupId, fromBeginning: true, handle: none.handle, startFrom: async () => null });
      await s3.caughtUp();
      expect(none.events).toEqual([]);
    });

    it('dead-letters a poison message with the reason, and later events still flow', async () => {
      const handled = collector();
      await subscribe({ groupId: group('poison'), fromBeginning: true, handle: handled.handle });
      await fx.appendRaw(fx.topic, 'poison-1', Buffer.from('not json at all'));
      await fx.appendRaw(fx.topic, 'poison-2', Buffer.from(JSON.stringify({ specversion: '1.0', hello: 'world' })));
      const good = await publish(tokenIssued('grant-after-poison', 1));

      await eventually(() => expect(handled.envelopes()).toEqual([good]));
      let dead: DeadLetterRecord[] = [];
      await eventually(async () => {
        dead = await fx.readDeadLetters();
        expect(dead).toHaveLength(2);
      });
      dead.sort((x, y) => String(x.key).localeCompare(String(y.key)));
      const origin = { dlq_topic: fx.topic, dlq_partition: expect.stringMatching(OFFSET), dlq_offset: expect.stringMatching(OFFSET) };
      expect(dead[0]).toEqual({
        key: 'poison-1',
        value: 'not json at all',
        headers: expect.objectContaining({ ...origin, dlq_reason: 'EventValidationError: message is not JSON' }),
      });
      expect(dead[1]).toEqual({
        key: 'poison-2',
        value: JSON.stringify({ specversion: '1.0', hello: 'world' }),
        headers: expect.objectContaining({ ...origin, dlq_reason: expect.stringMatching(/^EventValidationError: invalid envelope: /) }),
      });
    });

    it('dead-letters only the event its handler keeps failing on; the others are handled in order', async () => {
      const published: Envelope[] = [];
      for (const i of range(6)) published.push(await publish(tokenIssued('grant-f', i)));
      const bad = published[3]!;
      const handled: Envelope[] = [];
      const subscription = await subscribe({
        groupId: group('failing'),
        fromBeginning: true,
        maxRetries: 2,
        handle: async (batch) => {
          if (batch.some((event) => event.envelope.id === bad.id)) throw new Error(`cannot project ${bad.id}`);
          handled.push(...batch.map((event) => event.envelope));
        },
      });
      await subscription.caughtUp();
      expect(handled).toEqual(published.filter((envelope) => envelope !== bad));

      let dead: DeadLetterRecord[] = [];
      await eventually(async () => {
        dead = await fx.readDeadLetters();
        expect(dead).toHaveLength(1);
      });
      expect(JSON.parse(dead[0]!.value)).toEqual(bad);
      expect(dead[0]).toEqual({
        key: 'grant-f',
        value: expect.any(String),
        headers: expect.objectContaining({
          ce_id: bad.id,
          ce_type: bad.type,
          dlq_reason: `handler failed after 3 attempts: Error: cannot project ${bad.id}`,
          dlq_topic: fx.topic,
          dlq_partition: expect.stringMatching(OFFSET),
          dlq_offset: expect.stringMatching(OFFSET),
        }),
      });

      const later = await publish(tokenIssued('grant-f', 99));
      await eventually(() => expect(handled.at(-1)).toEqual(later));
    });

    it('starts a new group at the beginning (fromBeginning: true) or at the end (false)', async () => {
      const before = await Promise.all(range(3).map((i) => publish(tokenIssued(`grant-${i}`, i))));
      const [early, late] = [collector(), collector()];
      const [sEarly, sLate] = await Promise.all([
        subscribe({ groupId: group('from-beginning'), fromBeginning: true, handle: early.handle }),
        subscribe({ groupId: group('from-end'), fromBeginning: false, handle: late.handle }),
      ]);
      await sLate.caughtUp(); // nothing that existed before is for this group
      await sEarly.caughtUp();
      expect(sorted(early.ids())).toEqual(sorted(idsOf(before)));
      const after = await Promise.all(range(2).map((i) => publish(tokenIssued(`grant-${i}`, 10 + i))));
      await eventually(() => {
        expect(sorted(early.ids())).toEqual(sorted(idsOf([...before, ...after])));
        expect(sorted(late.ids())).toEqual(sorted(idsOf(after)));
      });
    });

    it('caughtUp resolves at once on an empty topic, and after the events present at subscribe time were handled', async () => {
      const idle = await subscribe({ groupId: group('empty'), fromBeginning: true, handle: async () => undefined });
      await idle.caughtUp();

      const published = await Promise.all(range(30).map((i) => publish(tokenIssued(`grant-${i % 3}`, i))));
      const handled: string[] = [];
      const slow = await subscribe({
        groupId: group('catch-up'),
        fromBeginning: true,
        handle: async (batch) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          handled.push(...batch.map((event) => event.envelope.id));
        },
      });
      await slow.caughtUp();
      expect(sorted(handled)).toEqual(sorted(idsOf(published)));
    });

    it('takes 2,000 concurrent publishes: all resolve, all arrive, in order per subject', async () => {
      const published = await Promise.all(range(2000).map((i) => publish(tokenIssued(`grant-${i % 50}`, i))));
      expect(new Set(idsOf(published)).size).toBe(2000);
      if (fx.sendBatchCalls) expect(fx.sendBatchCalls()).toBeLessThanOrEqual(2000 / 50);

      const handled = collector();
      const subscription = await subscribe({ groupId: group('bulk'), fromBeginning: true, handle: handled.handle });
      await subscription.caughtUp();
      expect(handled.events).toHaveLength(2000);
      expect(sorted(handled.ids())).toEqual(sorted(idsOf(published)));
      for (const subject of ['grant-0', 'grant-7', 'grant-49']) {
        expect(idsOf(handled.envelopes().filter((envelope) => envelope.subject === subject))).toEqual(
          idsOf(published.filter((envelope) => envelope.subject === subject)),
        );
      }
    });
  });
}
