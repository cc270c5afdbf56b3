import { FAST_BUCKETS, BATCH_SIZE_BUCKETS, LATENCY_BUCKETS, scrubString, type ServiceMetrics } from '@authz/platform';
import type { KafkaEventPublisher, KafkaPublisherObserver } from './kafka/kafka-event-publisher';
import type { KafkaEventSubscriber } from './kafka/kafka-event-subscriber';
import type { LdapDirectory } from './ldap/ldap-directory';

/**
 * The adapters' series (README "Metrics"), registered on the service's registry. Each function returns
 * the hook the adapter calls (a few label children made once), or registers a gauge read at scrape time.
 */

export function kafkaPublisherObserver(metrics: ServiceMetrics): KafkaPublisherObserver {
  const published = metrics.histogram({
    name: 'authz_kafka_publish_duration_seconds',
    help: 'Kafka publishes from the call (the event enters the accumulator) to the acknowledgement (outcome=acked) or the failure (outcome=failed), seconds.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
  });
  const failures = metrics.counter({ name: 'authz_kafka_publish_failures_total', help: 'Events whose publish failed (not acknowledged: the request answered 503).' });
  const batchSize = metrics.histogram({ name: 'authz_kafka_publish_batch_size', help: 'Events per sendBatch (one batch in flight; they grow under load).', labelNames: ['outcome'], buckets: BATCH_SIZE_BUCKETS });
  const batchDuration = metrics.histogram({ name: 'authz_kafka_publish_batch_duration_seconds', help: 'sendBatch round trips to the brokers (acks=all), seconds.', labelNames: ['outcome'], buckets: LATENCY_BUCKETS });
  const acked = published.labels('acked');
  const failed = published.labels('failed');
  const sizes = { true: batchSize.labels('acked'), false: batchSize.labels('failed') };
  const durations = { true: batchDuration.labels('acked'), false: batchDuration.labels('failed') };
  return {
    published(seconds, ok) {
      if (ok) acked.observe(seconds);
      else {
        failed.observe(seconds);
        failures.inc();
      }
    },
    batch(size, seconds, ok) {
      sizes[`${ok}`].observe(size);
      durations[`${ok}`].observe(seconds);
    },
  };
}

export function registerPublisherGauges(metrics: ServiceMetrics, publisher: KafkaEventPublisher): void {
  metrics.gauge({
    name: 'authz_kafka_publish_waiting_events',
    help: 'Events waiting in the publisher for the next batch.',
    collect: (gauge) => gauge.set(publisher.metrics().waiting),
  });
}

export function registerConsumerLag(metrics: ServiceMetrics, subscriber: KafkaEventSubscriber): void {
  metrics.gauge({
    name: 'authz_kafka_consumer_lag',
    help: 'Events not yet processed by a consumer group, per topic-partition: high watermark minus the committed offset (consumers commit after their work). Broadcast groups (one per replica) are named without their instance id.',
    labelNames: ['group', 'topic', 'partition'],
    collect: async (gauge) => {
      for (const { group, topic, partition, lag } of await subscriber.lag()) gauge.set({ group, topic, partition: String(partition) }, lag);
    },
  });
}

export function ldapBindObserver(metrics: ServiceMetrics): (server: string, seconds: number, outcome: 'success' | 'refused' | 'error') => void {
  const binds = metrics.histogram({
    name: 'authz_ldap_bind_duration_seconds',
    help: 'LDAP user binds (the password check) per server and outcome (success, refused: wrong or refused credentials, error: infrastructure), seconds.',
    labelNames: ['server', 'outcome'],
    buckets: FAST_BUCKETS,
  });
  return (server, seconds, outcome) => binds.observe({ server: scrubString(server), outcome }, seconds);
}

export function registerLdapGauges(metrics: ServiceMetrics, directory: LdapDirectory): void {
  metrics.gauge({
    name: 'authz_ldap_pool_connections',
    help: 'Open LDAP connections per server, pool (search: service account; bind: user binds) and state (in_use, idle).',
    labelNames: ['server', 'pool', 'state'],
    collect: (gauge) => {
      for (const server of directory.status()) {
        const url = scrubString(server.url);
        gauge.set({ server: url, pool: 'search', state: 'in_use' }, server.searchConnections - server.searchIdle);
        gauge.set({ server: url, pool: 'search', state: 'idle' }, server.searchIdle);
        gauge.set({ server: url, pool: 'bind', state: 'in_use' }, server.bindConnections - server.bindIdle);
        gauge.set({ server: url, pool: 'bind', state: 'idle' }, server.bindIdle);
      }
    },
  });
  metrics.gauge({
    name: 'authz_ldap_breaker_state',
    help: 'Circuit breaker of each LDAP server: 1 for its current state (closed, open, half_open), 0 for the others.',
    labelNames: ['server', 'state'],
    collect: (gauge) => {
      for (const server of directory.status()) {
        for (const state of ['closed', 'open', 'half_open'] as const) gauge.set({ server: scrubString(server.url), state }, server.breaker === state ? 1 : 0);
      }
    },
  });
}

export function redisCommandObserver(metrics: ServiceMetrics): (command: string, seconds: number, ok: boolean) => void {
  const commands = metrics.histogram({
    name: 'authz_redis_command_duration_seconds',
    help: 'Redis commands of the TTL store per command (get, set, set_nx, set_get, getdel, incr_script, delete_if_equals, claim_script, del, ping) and outcome (ok, error), seconds.',
    labelNames: ['command', 'outcome'],
    buckets: FAST_BUCKETS,
  });
  const children = new Map<string, { observe(value: number): void }>();
  return (command, seconds, ok) => {
    const key = ok ? command : `${command}!`;
    let child = children.get(key);
    if (!child) children.set(key, (child = commands.labels(command, ok ? 'ok' : 'error')));
    child.observe(seconds);
  };
}
