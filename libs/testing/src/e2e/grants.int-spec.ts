/**
 * The grants against the distributed services on real Kafka, PostgreSQL, Redis and slapd: two token
 * service processes (REFRESH_GRACE_SECONDS 0 and 10, sharing the database, the topics and the code
 * store, like two differently configured replicas) and the identity service (password grant). The
 * protocol table is the one the all-in-one suite passes (grants-protocol.ts); events are read back
 * from the Kafka topic. Then what only the real services can show: an LDAP outage during a password
 * grant is a 503, not an invalid_grant.
 */
import { randomBytes } from 'node:crypto';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { createKafka, KafkaEventSubscriber, PgDatabase, PrefixedEventSubscriber, RedisTtlStore, SqlRefreshFamilyStore, TtlAuthorizationCodeStore } from '@authz/adapters';
import { deserializeEnvelope, type DomainEvent, type Envelope } from '@authz/contracts';
import { evolveRefreshFamily, type RefreshFamilyState, sha256Hash } from '@authz/oauth';
import { silentLogger, systemClock } from '@authz/ports';
import { rebuildProjection, refreshFamiliesProjection } from '@authz/projections';
import { basic, describeGrantsProtocol, formBody, type GrantsEndpoint, LEGACY_APP } from './grants-protocol';
import { cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, LdapProxy, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'https://issuer.grants.e2e.test';
const e2e = e2eRun('e2e-grants');
const { run, prefix, redisPrefix, databaseUrl } = e2e;
const INTERNAL_TOKEN = randomBytes(32).toString('base64url');

const proxy = new LdapProxy();
const services: RunningService[] = [];
const received: Envelope[] = [];
let token: RunningService;
let tokenWithGrace: RunningService;
let consumer: Consumer;
let codeStoreConnection: RedisTtlStore;

function endpoint(service: () => RunningService, codes: () => TtlAuthorizationCodeStore): GrantsEndpoint {
  return {
    async token(body, authorization) {
      const response = await fetch(`${service().url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
        body: formBody(body),
      });
      return { status: response.status, cacheControl: response.headers.get('cache-control') ?? undefined, pragma: response.headers.get('pragma') ?? undefined, body: (await response.json()) as Record<string, unknown> };
    },
    seedCode: (code, grant) => codes().save(sha256Hash(code), grant),
    async events(grantId, count) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const events = received.filter((event) => event.subject === grantId);
        if (events.length >= count || Date.now() > deadline) return events;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

beforeAll(async () => {
  await createRunDatabase(e2e);
  await proxy.start();
  const env = serviceEnv(e2e, {
    ISSUER,
    LOG_LEVEL: 'warn',
    LDAP_URL: `ldap://127.0.0.1:${proxy.port}`,
    LDAP_BASE_DN: 'ou=people,dc=example,dc=org',
    LDAP_CONNECT_TIMEOUT_MS: '1000',
    LDAP_TIMEOUT_MS: '2000',
    IDENTITY_INTERNAL_TOKEN: INTERNAL_TOKEN,
  });
  const identity = await startServiceProcess('identity', env);
  services.push(identity);
  // One token service first: it creates the topics, migrates and publishes the signing key.
  token = await startServiceProcess('token', { ...env, IDENTITY_URL: identity.url });
  services.push(token);
  tokenWithGrace = await startServiceProcess('token', { ...env, IDENTITY_URL: identity.url, REFRESH_GRACE_SECONDS: '10' });
  services.push(tokenWithGrace);

  codeStoreConnection = new RedisTtlStore({ url: process.env.REDIS_URL!, keyPrefix: redisPrefix });
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: `${prefix}grants-test` });
  await consumer.connect();
  await consumer.subscribe({ topics: [`${prefix}oauth.tokens`, `${prefix}oauth.revocations`], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void received.push(deserializeEnvelope(message.value)) });
}, 180_000);

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await codeStoreConnection?.close().catch(() => undefined);
  await Promise.all(services.map(stopServiceProcess));
  await proxy.stop();
  await cleanupRun(e2e);
}, 60_000);

const codes = () => new TtlAuthorizationCodeStore({ store: codeStoreConnection, clock: systemClock });

describeGrantsProtocol('the distributed token service (Kafka, PostgreSQL, Redis, slapd)', () => ({
  issuer: ISSUER,
  standard: endpoint(() => token, codes),
  grace: endpoint(() => tokenWithGrace, codes),
}));

describe('password grant during an LDAP outage', () => {
  it('answers 503 temporarily_unavailable (never invalid_grant), and serves again once the directory is back', async () => {
    const password = endpoint(() => token, codes);
    await proxy.stop();
    try {
      const response = await fetch(`${token.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(LEGACY_APP) },
        body: formBody({ grant_type: 'password', username: 'carol', password: 'carol-password' }),
      });
      expect({ status: response.status, retryAfter: response.headers.get('retry-after'), cacheControl: response.headers.get('cache-control'), body: await response.json() }).toEqual({
        status: 503,
        retryAfter: '1',
        cacheControl: 'no-store',
        body: { error: 'temporarily_unavailable', error_description: 'the identity service is unavailable, retry later' },
      });
    } finally {
      await proxy.start();
    }
    expect((await password.token({ grant_type: 'password', username: 'carol', password: 'carol-password' }, basic(LEGACY_APP))).status).toBe(200);
  });
});

describe('refresh families are what the log says', () => {
  it('folding a family’s events from Kafka (evolveRefreshFamily) gives exactly its PostgreSQL row', async () => {
    const standard = endpoint(() => token, codes);
    const answer = await standard.token({ grant_type: 'password', username: 'bob', password: 'bob-password' }, basic(LEGACY_APP));
    const first = answer.body.refresh_token as string;
    const second = (await standard.token({ grant_type: 'refresh_token', refresh_token: first }, basic(LEGACY_APP))).body.refresh_token as string;
    await standard.token({ grant_type: 'refresh_token', refresh_token: second }, basic(LEGACY_APP));
    await standard.token({ grant_type: 'refresh_token', refresh_token: first }, basic(LEGACY_APP)); // reuse: revoked

    const db = new PgDatabase({ connectionString: databaseUrl, max: 1 });
    try {
      const row = await new SqlRefreshFamilyStore(db).exchange(sha256Hash(first), async (found) => found?.family ?? null);
      const grantId = row!.grantId;
      // issued, (access, rotated) × 2, reuse_detected, revoked; plus the access tokens.
      const events = await standard.events(grantId, 9);
      const folded = events.map((event) => ({ type: event.type, subject: event.subject, data: event.data }) as DomainEvent).reduce<RefreshFamilyState | null>(evolveRefreshFamily, null);
      expect(folded).toStrictEqual(row);
      expect(row).toMatchObject({ generation: 2, revokedAt: expect.any(Number), subject: 'bob', clientId: 'legacy-app' });
    } finally {
      await db.close();
    }
  });
});

describe('refresh families rebuilt from the log', () => {
  it('a rebuild from offset 0 gives the live families, tokens and revoked grants (all but the grace window)', async () => {
    const db = new PgDatabase({ connectionString: databaseUrl, max: 2 });
    const kafka = createKafka({ brokers: kafkaBrokers(), clientId: `e2e-grants-rebuild-${run}`, logger: silentLogger });
    try {
      const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger: silentLogger }), prefix);
      const result = await rebuildProjection(refreshFamiliesProjection, { db, subscriber, logger: silentLogger });
      const families = `family_id, grant_id, client_id, subject, scope, audience, auth_time, generation, current_token_hash, created_at, expires_at, idle_expires_at, revoked_at`;
      const tables = [
        [`SELECT ${families} FROM %s.refresh_families ORDER BY family_id`, 'refresh_families'],
        ['SELECT * FROM %s.refresh_tokens ORDER BY token_hash', 'refresh_tokens'],
        ['SELECT * FROM %s.revoked_grants ORDER BY grant_id', 'revoked_grants'],
      ] as const;
      for (const [query, table] of tables) {
        const live = await db.query(query.replace('%s', 'public'));
        const rebuilt = await db.query(query.replace('%s', `"${result.schema}"`));
        expect({ table, rows: rebuilt.rows }).toEqual({ table, rows: live.rows });
        expect(live.rows.length).toBeGreaterThan(2);
      }
    } finally {
      await db.close();
    }
  });
});
