import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit, Optional, type Provider } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALL_TOPICS, COMPACTED_TOPICS, Topics, topicOf } from '@authz/contracts';
import {
  broadcastGroupId,
  CLIENT_KEY_SETS,
  CLIENT_REGISTRY,
  CLOCK,
  type Clock,
  CREDENTIAL_VERIFIER,
  DIRECTORY,
  type Directory,
  EVENT_PUBLISHER,
  EVENT_SUBSCRIBER,
  type EventPublisher,
  type EventSubscriber,
  type Logger,
  SIGNING_KEY_STORE,
  SQL_DATABASE,
  type SqlDatabase,
  TTL_STORE,
  AUTHORIZATION_CODE_STORE,
  type TtlStore,
  REFRESH_FAMILY_STORE,
} from '@authz/ports';
import { HealthRegistry, LOGGER, ServiceMetrics, SETTINGS, type Settings } from '@authz/platform';
import { kafkaPublisherObserver, ldapBindObserver, redisCommandObserver, registerConsumerLag, registerLdapGauges, registerPublisherGauges } from './adapter-metrics';
import { EventSourcedClientRegistry } from './clients/event-sourced-client-registry';
import { FileClientRegistry } from './clients/file-client-registry';
import { HttpClientKeySets } from './clients/http-client-key-sets';
import { LdifDirectory } from './directory/ldif-directory';
import { HttpCredentialVerifier } from './identity/http-credential-verifier';
import { createKafka, ensureTopics, KafkaEventPublisher, KafkaEventSubscriber } from './kafka';
import { ldapDirectoryFromSettings } from './ldap/ldap-settings';
import { SqlSigningKeyStore } from './keys/sql-signing-key-store';
import { MemoryEventBus } from './memory/memory-event-bus';
import { MemoryTtlStore } from './memory/memory-ttl-store';
import { migrate, PgDatabase, PgliteDatabase } from './postgres';
import { RedisTtlStore } from './redis';
import { TtlAuthorizationCodeStore } from './codes/ttl-authorization-code-store';
import { PrefixedEventSubscriber } from './topic-prefix';
import { SqlRefreshFamilyStore } from './refresh/sql-refresh-family-store';

/** Which ports a service needs; only those are connected (and checked by /healthz/ready). */
export type InfrastructureNeeds = {
  events?: boolean;
  sql?: boolean;
  ttl?: boolean;
  directory?: boolean;
  clients?: boolean;
  signingKeys?: boolean;
  /** Authorization codes (needs `ttl`): written by authorize, redeemed by token. */
  codes?: boolean;
  /** Refresh token families (SQL): the token service. */
  refreshFamilies?: boolean;
  /**
   * CREDENTIAL_VERIFIER (login page, password grant). Distributed mode: HttpCredentialVerifier, calling
   * the identity service at IDENTITY_URL. Embedded mode: not provided here (adapters import no feature):
   * the suite imports IdentityModule.inProcess() from @authz/identity, which provides it globally.
   * No readiness check: an identity outage fails logins (503), not the whole service.
   */
  credentials?: boolean;
};

const KAFKA_BUS = Symbol.for('authz.KafkaBus');
/** The service's metrics registry; optional so that a module built without PlatformModule still works. */
const METRICS = { token: ServiceMetrics, optional: true } as const;
const MEMORY_BUS = Symbol.for('authz.MemoryBus');

/**
 * Wires each port to its adapter: Kafka, PostgreSQL, Redis and LDAP in the distributed mode; the
 * in-process bus, PGlite (same migrations), the in-memory TTL store and the LDIF directory in the
 * embedded mode. Connects at startup (a missing dependency fails the start loudly), registers the
 * readiness checks, and closes everything on shutdown, the event publisher first so it flushes.
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(settings: Settings, needs: InfrastructureNeeds): DynamicModule {
    const embedded = settings.MODE === 'embedded';
    const providers: Provider[] = [InfrastructureLifecycle];
    const exported: symbol[] = [];
    const add = (provider: Provider & { provide: symbol }) => {
      providers.push(provider);
      exported.push(provider.provide);
    };

    if (needs.events) {
      if (embedded) {
        // A 5 ms delivery linger: the in-process projector (PGlite) writes one batch per few ms under load
        // instead of one transaction per token (bench/: the all-in-one spent ~60% of its CPU there).
        providers.push({ provide: MEMORY_BUS, useFactory: (logger: Logger) => new MemoryEventBus({ source: `urn:authz:${settings.SERVICE}`, logger, deliveryLingerMs: 5 }), inject: [LOGGER] });
        add({ provide: EVENT_PUBLISHER, useExisting: MEMORY_BUS });
        add({ provide: EVENT_SUBSCRIBER, useExisting: MEMORY_BUS });
      } else {
        providers.push({
          provide: KAFKA_BUS,
          inject: [LOGGER, METRICS],
          useFactory: async (logger: Logger, metrics: ServiceMetrics | undefined) => {
            const kafka = createKafka({ brokers: settings.KAFKA_BROKERS, clientId: settings.KAFKA_CLIENT_ID, logger });
            const prefix = settings.KAFKA_TOPIC_PREFIX;
            // The log is the audit trail and what projections are rebuilt from: kept forever unless KAFKA_TOPIC_RETENTION_MS says otherwise.
            await ensureTopics(kafka, { topics: ALL_TOPICS.filter((topic) => !COMPACTED_TOPICS.includes(topic)).map((topic) => `${prefix}${topic}`), partitions: settings.KAFKA_TOPIC_PARTITIONS, replicationFactor: settings.KAFKA_REPLICATION_FACTOR, logger, config: { 'retention.ms': String(settings.KAFKA_TOPIC_RETENTION_MS) } });
            // The last event per key is the state of a compacted topic (the clients): never deleted by age.
            await ensureTopics(kafka, { topics: COMPACTED_TOPICS.map((topic) => `${prefix}${topic}`), partitions: settings.KAFKA_TOPIC_PARTITIONS, replicationFactor: settings.KAFKA_REPLICATION_FACTOR, logger, config: { 'cleanup.policy': 'compact' } });
            const publisher = new KafkaEventPublisher({
              kafka,
              source: `urn:authz:${settings.SERVICE}`,
              lingerMs: settings.KAFKA_LINGER_MS,
              maxBatchSize: settings.KAFKA_MAX_BATCH,
              publishTimeoutMs: settings.KAFKA_PUBLISH_TIMEOUT_MS,
              topicFor: (type) => `${prefix}${topicOf(type)}`,
              logger,
              ...(metrics ? { observer: kafkaPublisherObserver(metrics) } : {}),
            });
            await publisher.connect();
            const subscriber = new KafkaEventSubscriber({ kafka, logger, deadLetterTopic: `${prefix}${Topics.deadLetter}` });
            if (metrics) {
              registerPublisherGauges(metrics, publisher);
              registerConsumerLag(metrics, subscriber);
            }
            return { publisher, subscriber: new PrefixedEventSubscriber(subscriber, prefix) };
          },
        });
        add({ provide: EVENT_PUBLISHER, useFactory: (bus: { publisher: EventPublisher }) => bus.publisher, inject: [KAFKA_BUS] });
        add({ provide: EVENT_SUBSCRIBER, useFactory: (bus: { subscriber: PrefixedEventSubscriber }) => bus.subscriber, inject: [KAFKA_BUS] });
      }
    }
    if (needs.sql || needs.signingKeys || needs.refreshFamilies) {
      add({
        provide: SQL_DATABASE,
        inject: [LOGGER],
        useFactory: async (logger: Logger) => {
          const db: SqlDatabase = embedded
            ? await PgliteDatabase.create({ logger })
            : new PgDatabase({ connectionString: settings.DATABASE_URL, max: settings.DATABASE_POOL_MAX, logger });
          await migrate(db, { logger });
          return db;
        },
      });
    }
    if (needs.signingKeys) add({ provide: SIGNING_KEY_STORE, useFactory: (db: SqlDatabase) => new SqlSigningKeyStore(db), inject: [SQL_DATABASE] });
    if (needs.ttl) {
      add({
        provide: TTL_STORE,
        inject: [LOGGER, CLOCK, METRICS],
        useFactory: (logger: Logger, clock: Clock, metrics: ServiceMetrics | undefined) =>
          embedded
            ? new MemoryTtlStore({ clock })
            : new RedisTtlStore({ url: settings.REDIS_URL, keyPrefix: settings.REDIS_KEY_PREFIX, logger, ...(metrics ? { onCommand: redisCommandObserver(metrics) } : {}) }),
      });
    }
    if (needs.codes) {
      if (!needs.ttl) throw new Error('the codes need the ttl store');
      add({
        provide: AUTHORIZATION_CODE_STORE,
        inject: [TTL_STORE, CLOCK],
        useFactory: (store: TtlStore, clock: Clock) => new TtlAuthorizationCodeStore({ store, clock }),
      });
    }
    if (needs.refreshFamilies) add({ provide: REFRESH_FAMILY_STORE, useFactory: (db: SqlDatabase) => new SqlRefreshFamilyStore(db), inject: [SQL_DATABASE] });
    if (needs.directory) {
      add({
        provide: DIRECTORY,
        inject: [LOGGER, METRICS],
        useFactory: (logger: Logger, metrics: ServiceMetrics | undefined) => {
          if (embedded) return new LdifDirectory({ path: resolve(settings.USERS_LDIF), logger });
          const directory = ldapDirectoryFromSettings(settings, logger, metrics ? { onBind: ldapBindObserver(metrics) } : {});
          if (metrics) registerLdapGauges(metrics, directory);
          return directory;
        },
      });
    }
    if (needs.clients) {
      if (!needs.events) throw new Error('InfrastructureModule: the client registry needs the event log (needs.events)');
      add({
        provide: CLIENT_REGISTRY,
        inject: [EVENT_SUBSCRIBER, LOGGER],
        // Resolves once the clients topic is read up to where it stood: the service listens only then.
        useFactory: async (subscriber: EventSubscriber, logger: Logger) => {
          const registry = new EventSourcedClientRegistry({
            subscriber,
            seeds: FileClientRegistry.parse(readFileSync(resolve(settings.CLIENTS_FILE), 'utf8'), settings.CLIENTS_FILE),
            groupId: broadcastGroupId(`${settings.SERVICE}.clients`, settings.INSTANCE_ID),
            logger,
          });
          await registry.start();
          return registry;
        },
      });
      // private_key_jwt clients that publish their keys at a jwks_uri (RFC 7591).
      add({ provide: CLIENT_KEY_SETS, inject: [LOGGER, CLOCK], useFactory: (logger: Logger, clock: Clock) => new HttpClientKeySets({ logger, clock }) });
    }
    if (needs.credentials && !embedded) {
      add({
        provide: CREDENTIAL_VERIFIER,
        inject: [LOGGER],
        useFactory: (logger: Logger) =>
          new HttpCredentialVerifier({
            baseUrl: settings.IDENTITY_URL,
            timeoutMs: settings.IDENTITY_TIMEOUT_MS,
            ...(settings.IDENTITY_INTERNAL_TOKEN !== undefined ? { internalToken: settings.IDENTITY_INTERNAL_TOKEN } : {}),
            logger,
          }),
      });
    }

    return { module: InfrastructureModule, providers, exports: exported };
  }
}

/** Readiness checks and orderly shutdown of whatever adapters this service has. */
@Injectable()
class InfrastructureLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Optional() @Inject(EVENT_PUBLISHER) private readonly publisher?: EventPublisher,
    @Optional() @Inject(SQL_DATABASE) private readonly db?: SqlDatabase,
    @Optional() @Inject(TTL_STORE) private readonly ttl?: TtlStore,
    @Optional() @Inject(DIRECTORY) private readonly directory?: Directory,
    @Optional() @Inject(CLIENT_REGISTRY) private readonly clients?: unknown,
  ) {}

  onModuleInit(): void {
    const embedded = this.settings.MODE === 'embedded';
    const publisher = this.publisher;
    const db = this.db;
    const ttl = this.ttl;
    const directory = this.directory;
    if (publisher) this.health.register({ name: embedded ? 'event-bus' : 'kafka', check: () => publisher.ping() });
    if (db) this.health.register({ name: embedded ? 'pglite' : 'postgres', check: async () => void (await db.query('SELECT 1')) });
    if (ttl) this.health.register({ name: embedded ? 'ttl-store' : 'redis', check: () => ttl.ping() });
    if (directory) this.health.register({ name: embedded ? 'ldif' : 'ldap', check: () => directory.ping() });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.clients instanceof EventSourcedClientRegistry) await this.clients.stop().catch(() => undefined);
    // The publisher first: it flushes the events that are still accumulating.
    await this.publisher?.close().catch(() => undefined);
    await Promise.all([this.db?.close(), this.ttl?.close(), this.directory?.close()].map((closing) => closing?.catch(() => undefined)));
  }
}
