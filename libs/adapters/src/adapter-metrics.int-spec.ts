/**
 * The adapters' series (README "Metrics") on the real Kafka, Redis and slapd: publish latency and batch
 * sizes, consumer lag while a batch is held and after it is committed, LDAP pools, breaker and binds,
 * Redis commands. Read through the exposition, as Prometheus would.
 */
import { randomUUID } from 'node:crypto';
import { ServiceMetrics } from '@authz/platform';
import { silentLogger } from '@authz/ports';
import { kafkaPublisherObserver, ldapBindObserver, redisCommandObserver, registerConsumerLag, registerLdapGauges, registerPublisherGauges } from './adapter-metrics';
import { tokenIssued } from './events/event-bus.contract';
import { createKafka, ensureTopics, KafkaEventPublisher, KafkaEventSubscriber, parseBrokers } from './kafka';
import { LdapDirectory } from './ldap/ldap-directory';
import { RedisTtlStore } from './redis';

jest.setTimeout(60_000);

const runId = randomUUID().slice(0, 8);

/** The sample lines of `name` (exactly that series, any labels). */
async function samples(metrics: ServiceMetrics, name: string): Promise<string[]> {
  const text = (await metrics.exposition()).body;
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

async function eventually(assertion: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('adapter metrics', () => {
  it('Kafka: publish latency, batch sizes, waiting events; consumer lag while a batch is held, 0 once committed', async () => {
    const metrics = new ServiceMetrics('token', { defaultMetrics: false });
    const kafka = createKafka({ brokers: parseBrokers(process.env.KAFKA_BROKERS!), clientId: `metrics-${runId}`, logger: silentLogger });
    const topic = `authz-test.metrics.${runId}`;
    await ensureTopics(kafka, { topics: [topic, `${topic}.dlq`], partitions: 1, replicationFactor: 1, logger: silentLogger });
    const publisher = new KafkaEventPublisher({ kafka, source: 'urn:authz:test', logger: silentLogger, topicFor: () => topic, lingerMs: 20, observer: kafkaPublisherObserver(metrics) });
    const subscriber = new KafkaEventSubscriber({ kafka, logger: silentLogger, deadLetterTopic: `${topic}.dlq`, maxWaitTimeInMs: 100 });
    registerPublisherGauges(metrics, publisher);
    registerConsumerLag(metrics, subscriber);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const subscription = await subscriber.subscribe({ groupId: `metrics-${runId}.broadcast.pod-1`, topics: [topic], fromBeginning: true, handle: () => held });
    try {
      await Promise.all([1, 2, 3].map((n) => publisher.publish(tokenIssued('grant-1', n))));

      expect(await samples(metrics, 'authz_kafka_publish_duration_seconds_count')).toEqual(['authz_kafka_publish_duration_seconds_count{service="token",outcome="acked"} 3']);
      expect(await samples(metrics, 'authz_kafka_publish_batch_size_sum')).toEqual(['authz_kafka_publish_batch_size_sum{service="token",outcome="acked"} 3']);
      expect(await samples(metrics, 'authz_kafka_publish_batch_size_count')).toEqual(['authz_kafka_publish_batch_size_count{service="token",outcome="acked"} 1']);
      expect(await samples(metrics, 'authz_kafka_publish_waiting_events')).toEqual(['authz_kafka_publish_waiting_events{service="token"} 0']);
      expect(await samples(metrics, 'authz_kafka_publish_failures_total')).toEqual(['authz_kafka_publish_failures_total{service="token"} 0']);
      // The batch is held by the handler: nothing committed, three events behind.
      expect(await samples(metrics, 'authz_kafka_consumer_lag')).toEqual([`authz_kafka_consumer_lag{group="metrics-${runId}.broadcast",topic="${topic}",partition="0",service="token"} 3`]);
      release();
      await eventually(async () =>
        expect(await samples(metrics, 'authz_kafka_consumer_lag')).toEqual([`authz_kafka_consumer_lag{group="metrics-${runId}.broadcast",topic="${topic}",partition="0",service="token"} 0`]),
      );
      await subscription.stop();
      // A stopped subscription is no longer reported.
      expect(await samples(metrics, 'authz_kafka_consumer_lag')).toEqual([]);
    } finally {
      release();
      await subscription.stop();
      await publisher.close();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('LDAP: pool connections by state, breaker state, bind latency by outcome', async () => {
    const metrics = new ServiceMetrics('identity', { defaultMetrics: false });
    const url = process.env.LDAP_URL!;
    const baseDn = process.env.LDAP_BASE_DN ?? 'dc=example,dc=org';
    const directory = new LdapDirectory({ url, bindDn: process.env.LDAP_BIND_DN!, bindPassword: process.env.LDAP_BIND_PASSWORD!, baseDn: `ou=people,${baseDn}`, onBind: ldapBindObserver(metrics) });
    registerLdapGauges(metrics, directory);
    try {
      expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
      expect(await directory.authenticate('alice', 'wrong-password')).toMatchObject({ outcome: 'invalid_credentials' });

      expect((await samples(metrics, 'authz_ldap_bind_duration_seconds_count')).sort()).toEqual([
        `authz_ldap_bind_duration_seconds_count{service="identity",server="${url}",outcome="refused"} 1`,
        `authz_ldap_bind_duration_seconds_count{service="identity",server="${url}",outcome="success"} 1`,
      ]);
      expect((await samples(metrics, 'authz_ldap_pool_connections')).sort()).toEqual([
        `authz_ldap_pool_connections{server="${url}",pool="bind",state="idle",service="identity"} 1`,
        `authz_ldap_pool_connections{server="${url}",pool="bind",state="in_use",service="identity"} 0`,
        `authz_ldap_pool_connections{server="${url}",pool="search",state="idle",service="identity"} 1`,
        `authz_ldap_pool_connections{server="${url}",pool="search",state="in_use",service="identity"} 0`,
      ]);
      expect((await samples(metrics, 'authz_ldap_breaker_state')).sort()).toEqual([
        `authz_ldap_breaker_state{server="${url}",state="closed",service="identity"} 1`,
        `authz_ldap_breaker_state{server="${url}",state="half_open",service="identity"} 0`,
        `authz_ldap_breaker_state{server="${url}",state="open",service="identity"} 0`,
      ]);
    } finally {
      await directory.close();
    }
  });

  it('Redis: command latency by command and outcome', async () => {
    const metrics = new ServiceMetrics('authorize', { defaultMetrics: false });
    const store = new RedisTtlStore({ url: process.env.REDIS_URL!, keyPrefix: `metrics-${runId}:`, logger: silentLogger, onCommand: redisCommandObserver(metrics) });
    try {
      await store.set('a', '1', 10_000);
      expect(await store.get('a')).toBe('1');
      expect(await store.take('a')).toBe('1');
      await store.set('n', 'not-a-number', 10_000);
      await expect(store.increment('n', 10_000)).rejects.toThrow();
      await store.delete('n');

      expect((await samples(metrics, 'authz_redis_command_duration_seconds_count')).sort()).toEqual([
        'authz_redis_command_duration_seconds_count{service="authorize",command="del",outcome="ok"} 1',
        'authz_redis_command_duration_seconds_count{service="authorize",command="get",outcome="ok"} 1',
        'authz_redis_command_duration_seconds_count{service="authorize",command="getdel",outcome="ok"} 1',
        'authz_redis_command_duration_seconds_count{service="authorize",command="incr_script",outcome="error"} 1',
        'authz_redis_command_duration_seconds_count{service="authorize",command="set",outcome="ok"} 2',
      ]);
    } finally {
      await store.close();
    }
  });
});
