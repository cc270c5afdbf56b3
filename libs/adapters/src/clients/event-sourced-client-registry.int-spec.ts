/**
 * The event-sourced client registry on real Kafka: a client registered through one replica is known
 * to the registering replica at once (read-your-writes), reaches another replica through the topic,
 * and is still there after a restart (the topic is read from its start). The clients topic is created
 * compacted, as the InfrastructureModule creates it.
 */
import { randomUUID } from 'node:crypto';
import { COMPACTED_TOPICS, type EventOf, Topics, topicOf } from '@authz/contracts';
import { type EventPublisher, silentLogger } from '@authz/ports';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { eventually } from '../events/event-bus.contract';
import { createKafka, ensureTopics, KafkaEventPublisher, KafkaEventSubscriber, parseBrokers } from '../kafka';
import { PrefixedEventSubscriber } from '../topic-prefix';
import { EventSourcedClientRegistry } from './event-sourced-client-registry';

jest.setTimeout(90_000);

const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
const prefix = `clients-int-${randomUUID().slice(0, 8)}.`;
const clientsTopic = `${prefix}${Topics.clients}`;
let kafka: Kafka;
let publisher: KafkaEventPublisher;
const registries: EventSourcedClientRegistry[] = [];

function registered(clientId: string, revision: number, name: string): EventOf<'oauth.client.registered.v1'> {
  return {
    type: revision === 1 ? 'oauth.client.registered.v1' : ('oauth.client.updated.v1' as 'oauth.client.registered.v1'),
    subject: clientId,
    data: {
      clientId,
      revision,
      clientIdIssuedAt: 1_767_000_000,
      registrationAccessTokenHash: `hmac-sha256:${'R'.repeat(43)}`,
      client: {
        clientName: name,
        secretHash: `hmac-sha256:${'S'.repeat(43)}`,
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        responseTypes: [],
        scope: ['reports'],
        defaultScope: [],
        audience: [],
        redirectUris: [],
      },
    },
  };
}

async function startReplica(groupId: string): Promise<EventSourcedClientRegistry> {
  const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger: silentLogger, deadLetterTopic: `${prefix}${Topics.deadLetter}`, maxWaitTimeInMs: 100 }), prefix);
  const registry = new EventSourcedClientRegistry({ subscriber, seeds: new Map(), groupId, logger: silentLogger });
  registries.push(registry);
  await registry.start();
  return registry;
}

/** What ClientRegistrationService does: publish (resolves on the ack), then apply to its own registry. */
async function publishThrough(registry: EventSourcedClientRegistry, bus: EventPublisher, event: Parameters<EventPublisher['publish']>[0]): Promise<void> {
  registry.applyAcknowledged(await bus.publish(event));
}

beforeAll(async () => {
  kafka = createKafka({ brokers, clientId: `authz-clients-int-${prefix}`, logger: silentLogger });
  await ensureTopics(kafka, { topics: [`${prefix}${Topics.deadLetter}`], partitions: 1, replicationFactor: 1, logger: silentLogger });
  await ensureTopics(kafka, { topics: COMPACTED_TOPICS.map((topic) => `${prefix}${topic}`), partitions: 3, replicationFactor: 1, logger: silentLogger, config: { 'cleanup.policy': 'compact' } });
  publisher = new KafkaEventPublisher({ kafka, source: 'urn:authz:test', logger: silentLogger, topicFor: (type) => `${prefix}${topicOf(type)}` });
  await publisher.connect();
});

afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.stop()));
  await publisher?.close();
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('EventSourcedClientRegistry on Kafka', () => {
  it('the clients topic is compacted (its last event per client is the state; never deleted by age)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: clientsTopic, configNames: ['cleanup.policy'] }] });
      expect(resources[0]!.configEntries.map(({ configName, configValue }) => ({ configName, configValue }))).toEqual([{ configName: 'cleanup.policy', configValue: 'compact' }]);
    } finally {
      await admin.disconnect();
    }
  });

  it('register on one replica: it knows the client at once, the other one learns it from the log; both follow updates and deletes', async () => {
    const one = await startReplica(`token.clients.broadcast.one-${prefix}`);
    const two = await startReplica(`token.clients.broadcast.two-${prefix}`);

    await publishThrough(one, publisher, registered('billing', 1, 'Billing'));
    // Read-your-writes: no waiting on the registering replica.
    expect((await one.find('billing'))?.clientName).toBe('Billing');
    await eventually(async () => expect((await two.find('billing'))?.clientName).toBe('Billing'));

    await publishThrough(two, publisher, registered('billing', 2, 'Billing v2'));
    expect((await two.find('billing'))?.clientName).toBe('Billing v2');
    await eventually(async () => expect((await one.find('billing'))?.clientName).toBe('Billing v2'));

    await publishThrough(one, publisher, { type: 'oauth.client.deleted.v1', subject: 'billing', data: { clientId: 'billing', revision: 3, deletedAt: 1_767_000_100 } });
    expect(await one.find('billing')).toBeNull();
    await eventually(async () => expect(await two.find('billing')).toBeNull());
    expect(two.isTaken('billing')).toBe(true);
  });

  it('a restarted replica (same group id) has every client as soon as it has started', async () => {
    const groupId = `token.clients.broadcast.restart-${prefix}`;
    const before = await startReplica(groupId);
    await publishThrough(before, publisher, registered('reports', 1, 'Reports'));
    await publishThrough(before, publisher, registered('audit', 1, 'Audit'));
    await before.stop();

    const after = await startReplica(groupId);

    expect(after.ready).toBe(true);
    expect((await after.find('reports'))?.clientName).toBe('Reports');
    expect((await after.find('audit'))?.clientName).toBe('Audit');
    expect(after.lastRevision('billing')).toBe(3);
  });
});
