/**
 * The audit trail on real Kafka and PostgreSQL: a scripted log (issuance, rotation, a code replay, a
 * refresh-token reuse, a jti revoked exactly at T, a token expiring exactly at T, a signing key revoked)
 * is published; the revocation service (projector host, audit API) indexes it. "Who could access what at
 * T" computed from the raw log (`npm run audit -- access --source log`) equals the answer from the index
 * (CLI and API) and the exact expected one; the event export from the log equals the index's, page by
 * page; the partition maintenance put live rows in the partitions of their day; a rebuild of the index
 * equals it; two days later the expired partitions go, the valid token stays, and a rebuild equals live.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { createKafka, KafkaEventPublisher, KafkaEventSubscriber, PgDatabase, PrefixedEventSubscriber } from '@authz/adapters';
import { topicOf, type DomainEvent, type Envelope } from '@authz/contracts';
import { silentLogger } from '@authz/ports';
import { accessTokensProjection, maintainPartitions, type PartitionPolicy, rebuildProjection } from '@authz/projections';
import { WORKSPACE_ROOT } from '../provision';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, eventually, kafkaBrokers, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const run = promisify(execFile);
const e2e = e2eRun('e2e-audit');
const AUDIT_TOKEN = 'audit-token-0123456789-abcdefghijklmnop';
const hash = (c: string) => `sha256:${c.repeat(43)}`;
// T: a whole second a little in the past (the events' envelopes are stamped at publication, after it).
const T = Math.floor(Date.now() / 1000) - 60;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

let env: Record<string, string>;
let revocation: RunningService;
let publisher: KafkaEventPublisher;
const published: Envelope[] = [];

const issued = (grantId: string, jti: string, issuedAt: number, expiresAt: number, sub = 'alice', clientId = 'web-app'): DomainEvent => ({
  type: 'oauth.access_token.issued.v1',
  subject: grantId,
  data: { jti, grantId, grantType: 'authorization_code', clientId, sub, scope: 'api:read', audience: ['https://api.example'], issuedAt, expiresAt, tokenHash: hash('t') },
});

/** The scripted log, in publication order. */
function script(): DomainEvent[] {
  return [
    { type: 'oauth.signing_key.activated.v1', subject: 'k1', data: { kid: 'k1', alg: 'ES256', activatedAt: T - 10_000 } },
    { type: 'oauth.signing_key.activated.v1', subject: 'k2', data: { kid: 'k2', alg: 'ES256', activatedAt: T - 5_000 } },
    // g1: a token signed by k1 (revoked before T), one by k2, a refresh family rotated once.
    issued('g1', 'j1', T - 6_000, T + 600),
    issued('g1', 'j2', T - 100, T + 500),
    { type: 'oauth.refresh_token.issued.v1', subject: 'g1', data: { familyId: 'f1', grantId: 'g1', grantType: 'authorization_code', clientId: 'web-app', sub: 'alice', scope: 'api:read offline_access', audience: ['https://api.example'], generation: 0, tokenHash: hash('r'), issuedAt: T - 6_000, expiresAt: T + 86_400, idleExpiresAt: T + 3_600 } },
    { type: 'oauth.refresh_token.rotated.v1', subject: 'g1', data: { familyId: 'f1', grantId: 'g1', clientId: 'web-app', parentTokenHash: hash('r'), generation: 1, tokenHash: hash('s'), rotatedAt: T - 100, idleExpiresAt: T + 3_500 } },
    { type: 'oauth.signing_key.revoked.v1', subject: 'k1', data: { kid: 'k1', revokedAt: T - 200 } },
    // g2: a code redeemed, then replayed: the grant revoked (the event names no user).
    { type: 'oauth.authorization_code.issued.v1', subject: 'g2', data: { grantId: 'g2', clientId: 'web-app', sub: 'alice', scope: 'api:read', redirectUri: 'https://app.example/cb', codeHash: hash('c'), pkceMethod: 'S256', authTime: T - 300, issuedAt: T - 300, expiresAt: T - 240 } },
    { type: 'oauth.authorization_code.redeemed.v1', subject: 'g2', data: { codeHash: hash('c'), grantId: 'g2', clientId: 'web-app', sub: 'alice', redeemedAt: T - 290 } },
    issued('g2', 'j3', T - 290, T + 600),
    { type: 'oauth.grant.revoked.v1', subject: 'g2', data: { grantId: 'g2', clientId: 'web-app', reason: 'code_replay', revokedAt: T - 10, coversUntil: T + 600 } },
    // g3: one token revoked exactly at T, one expiring exactly at T.
    issued('g3', 'j4', T - 50, T + 600),
    issued('g3', 'j5', T - 50, T),
    { type: 'oauth.access_token.revoked.v1', subject: 'g3', data: { jti: 'j4', grantId: 'g3', clientId: 'web-app', sub: 'alice', reason: 'client_request', revokedAt: T, expiresAt: T + 600 } },
    // g4: refresh reuse detected before T, the grant revoked with it (no user named).
    { type: 'oauth.refresh_token.issued.v1', subject: 'g4', data: { familyId: 'f4', grantId: 'g4', grantType: 'authorization_code', clientId: 'web-app', sub: 'alice', scope: 'api:read', audience: ['https://api.example'], generation: 0, tokenHash: hash('u'), issuedAt: T - 1_000, expiresAt: T + 86_400, idleExpiresAt: T + 2_600 } },
    { type: 'oauth.refresh_token.rotated.v1', subject: 'g4', data: { familyId: 'f4', grantId: 'g4', clientId: 'web-app', parentTokenHash: hash('u'), generation: 1, tokenHash: hash('v'), rotatedAt: T - 900, idleExpiresAt: T + 2_700 } },
    { type: 'oauth.refresh_token.reuse_detected.v1', subject: 'g4', data: { familyId: 'f4', grantId: 'g4', clientId: 'web-app', presentedTokenHash: hash('u'), presentedGeneration: 0, currentGeneration: 1, detectedAt: T - 5 } },
    { type: 'oauth.grant.revoked.v1', subject: 'g4', data: { grantId: 'g4', clientId: 'web-app', reason: 'refresh_token_reuse', revokedAt: T - 5, coversUntil: T + 600 } },
    // g5: bob's, same client.
    issued('g5', 'j6', T - 30, T + 600, 'bob'),
  ];
}

const ALICE_AT_T = {
  at: iso(T),
  user: 'alice',
  grants: [
    {
      grant_id: 'g1',
      client_id: 'web-app',
      subject: 'alice',
      access_tokens: [{ jti: 'j2', scope: 'api:read', audience: ['https://api.example'], issued_at: iso(T - 100), expires_at: iso(T + 500), kid: 'k2' }],
      refresh_families: [{ family_id: 'f1', scope: 'api:read offline_access', generation: 1, issued_at: iso(T - 6_000), expires_at: iso(T + 86_400), idle_expires_at: iso(T + 3_500) }],
      pending_code: null,
    },
  ],
};

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', join(WORKSPACE_ROOT, 'tools', 'aliases.cjs'), join(WORKSPACE_ROOT, 'dist', 'apps', 'revocation', 'src', 'audit.cli.js'), ...args], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const lines = (text: string) => text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Envelope);
const api = (path: string, token: string | null = AUDIT_TOKEN) => fetch(`${revocation.url}${path}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  await createRunDatabase(e2e);
  env = serviceEnv(e2e, { ISSUER: 'https://issuer.audit.e2e.test', LOG_LEVEL: 'warn', AUDIT_API_TOKEN: AUDIT_TOKEN, AUDIT_PAGE_SIZE_MAX: '500' });
  // The revocation service creates the topics, migrates, makes today's partitions and runs the projector.
  revocation = await startServiceProcess('revocation', env);
  publisher = new KafkaEventPublisher({
    kafka: createKafka({ brokers: kafkaBrokers(), clientId: 'audit-e2e', logger: silentLogger }),
    source: 'urn:authz:audit-e2e',
    logger: silentLogger,
    topicFor: (type) => `${e2e.prefix}${topicOf(type)}`,
  });
  await publisher.connect();
  for (const event of script()) published.push(await publisher.publish(event));
  await eventually(async () => {
    const rows = await adminQuery<{ n: string }>(`SELECT count(*)::text AS n FROM audit_events WHERE aggregate LIKE 'g%' OR aggregate LIKE 'k%'`, [], e2e.databaseUrl);
    expect(rows).toEqual([{ n: String(published.length) }]);
  }, 60_000);
}, 180_000);

afterAll(async () => {
  await publisher?.close();
  if (revocation) await stopServiceProcess(revocation);
  await cleanupRun(e2e);
}, 60_000);

describe('who could access what at T', () => {
  it('is the same from the raw log, from the index (CLI and API), and exactly the expected grants', async () => {
    const fromLog = JSON.parse(await cli('access', '--user', 'alice', '--at', iso(T), '--source', 'log'));
    const fromIndex = JSON.parse(await cli('access', '--user', 'alice', '--at', iso(T)));
    const response = await api(`/internal/v1/audit/access?user=alice&at=${encodeURIComponent(iso(T))}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(fromLog).toEqual(ALICE_AT_T);
    expect(fromIndex).toEqual(ALICE_AT_T);
    expect(await response.json()).toEqual(ALICE_AT_T);
  }, 120_000);

  it('for a client, and a moment earlier (before the code replay, the reuse, the key revocation), log and index agree', async () => {
    const at = iso(T - 250);
    const fromLog = JSON.parse(await cli('access', '--client', 'web-app', '--at', at, '--source', 'log'));
    const fromIndex = await (await api(`/internal/v1/audit/access?client=web-app&at=${encodeURIComponent(at)}`)).json();
    expect(fromIndex).toEqual(fromLog);
    // g1 (j1 by k1 not yet revoked, the family at generation 0) and g2 (j3 after the redemption) and g4's family; g3 and g5 not issued yet.
    expect((fromIndex as typeof ALICE_AT_T).grants.map((grant) => [grant.grant_id, grant.access_tokens.map((token) => token.jti), grant.refresh_families.map((family) => family.generation)])).toEqual([
      ['g1', ['j1'], [0]],
      ['g2', ['j3'], []],
      ['g4', [], [1]],
    ]);
  }, 120_000);
});

describe('the event export', () => {
  it('by user: the index (API pages of 4, CLI) equals the log, with the revocations that name no user', async () => {
    const fromLog = lines(await cli('events', '--user', 'alice', '--source', 'log'));
    const fromCli = lines(await cli('events', '--user', 'alice'));
    const pages: Envelope[] = [];
    let cursor: string | null = null;
    do {
      const response: Response = await api(`/internal/v1/audit/events?user=alice&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      const page = lines(await response.text());
      expect(page.length).toBeLessThanOrEqual(4);
      pages.push(...page);
      cursor = response.headers.get('x-next-cursor');
    } while (cursor !== null);
    const alices = published.filter((event) => !['g5', 'k1', 'k2'].includes(event.subject)).map((event) => event.id).sort();
    expect(fromLog.map((event) => event.id).sort()).toEqual(alices);
    expect(fromCli).toEqual(fromLog);
    expect(pages).toEqual(fromLog);
    // Exactly the envelopes published: nothing added.
    const byId = new Map(published.map((event) => [event.id, event]));
    for (const event of pages) expect(event).toEqual(byId.get(event.id));
  }, 120_000);

  it('by grant, type and time range, from the index and from the log (seeking by timestamp)', async () => {
    const from = published[0]!.time;
    const args = ['--grant', 'g2', '--type', 'oauth.grant.revoked.v1', '--from', from];
    const fromIndex = lines(await cli('events', ...args));
    expect(fromIndex.map((event) => event.id)).toEqual(published.filter((event) => event.subject === 'g2' && event.type === 'oauth.grant.revoked.v1').map((event) => event.id));
    expect(lines(await cli('events', ...args, '--source', 'log'))).toEqual(fromIndex);
    // Nothing after the last event.
    expect(lines(await cli('events', '--from', new Date(Date.now() + 60_000).toISOString(), '--source', 'log'))).toEqual([]);
  }, 120_000);

  it('answers 401 without the token, 400 for a malformed query', async () => {
    const unauthorized = await api('/internal/v1/audit/events', null);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toBe('Bearer realm="audit", error="invalid_token"');
    expect(await unauthorized.json()).toEqual({ error: 'invalid_token', error_description: 'a valid audit token is required' });
    expect(await (await api('/internal/v1/audit/events', 'x'.repeat(40))).json()).toEqual({ error: 'invalid_token', error_description: 'a valid audit token is required' });
    const cases: Array<[string, string]> = [
      ['/internal/v1/audit/events?from=yesterday', 'from must be an RFC 3339 date-time, e.g. 2026-11-21T12:00:00Z'],
      ['/internal/v1/audit/events?limit=501', 'limit must be an integer from 1 to 500'],
      ['/internal/v1/audit/events?user=a&user=b', 'user must be given once'],
      ['/internal/v1/audit/events?type=oauth.nothing.v1', 'unknown event type: oauth.nothing.v1'],
      ['/internal/v1/audit/events?cursor=Zm9v', 'cursor is invalid'],
      ['/internal/v1/audit/events?secret=1', 'unknown parameter secret'],
      ['/internal/v1/audit/access?at=2026-11-21T12:00:00Z', 'give exactly one of user and client'],
      ['/internal/v1/audit/access?user=alice&client=web-app', 'give exactly one of user and client'],
    ];
    for (const [path, description] of cases) {
      const response = await api(path);
      expect([path, response.status, await response.json()]).toEqual([path, 400, { error: 'invalid_request', error_description: description }]);
    }
  }, 60_000);
});

describe('retention', () => {
  it('the topics are created to be kept forever, live rows sit in partitions made ahead, and a rebuild of the index equals it', async () => {
    const admin = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: `${e2e.prefix}oauth.tokens`, configNames: ['retention.ms'] }] });
      expect(described.resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue])).toEqual([['retention.ms', '-1']]);
    } finally {
      await admin.disconnect();
    }
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    // Every access token in the partition of its expiry's day (made ahead at the service's start), none in the default one.
    const dayOf = (seconds: number) => `access_tokens_p${iso(seconds).slice(0, 10).replace(/-/g, '')}`;
    const expected = [...new Set([T + 600, T + 500, T].map(dayOf))].sort().map((partition) => ({ partition }));
    expect(await adminQuery(`SELECT DISTINCT tableoid::regclass::text AS partition FROM access_tokens ORDER BY 1`, [], e2e.databaseUrl)).toEqual(expected);
    expect(await adminQuery(`SELECT DISTINCT tableoid::regclass::text AS partition FROM audit_events`, [], e2e.databaseUrl)).toEqual([{ partition: `audit_events_p${today.slice(0, 6)}` }]);
    expect((await adminQuery<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'access_tokens'::regclass ORDER BY 1`, [], e2e.databaseUrl)).map((row) => row.name)).toContain(`access_tokens_p${today}`);

    const { stdout } = await run(process.execPath, ['-r', join(WORKSPACE_ROOT, 'tools', 'aliases.cjs'), join(WORKSPACE_ROOT, 'dist', 'apps', 'revocation', 'src', 'rebuild.cli.js'), '--projection=audit_events'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...env },
    });
    const result = JSON.parse(stdout.trim()) as { schema: string; events: number };
    const columns = 'event_id, event_time, type, topic, aggregate, user_subject, client_id, grant_id, envelope::text';
    const live = await adminQuery(`SELECT ${columns} FROM audit_events ORDER BY event_time, event_id`, [], e2e.databaseUrl);
    const rebuilt = await adminQuery(`SELECT ${columns} FROM ${result.schema}.audit_events ORDER BY event_time, event_id`, [], e2e.databaseUrl);
    expect(rebuilt).toEqual(live);
    expect(live.length).toBeGreaterThanOrEqual(published.length);
  }, 120_000);

  it('on PostgreSQL: once its tokens expired past the grace the partition is dropped, nothing valid is lost, a rebuild with the same retention equals live; a pass waits for no one', async () => {
    const db = new PgDatabase({ connectionString: e2e.databaseUrl, max: 3 });
    const kafka = createKafka({ brokers: kafkaBrokers(), clientId: `audit-e2e-rebuild-${e2e.run}`, logger: silentLogger });
    try {
      const policy: PartitionPolicy = { premakeSeconds: 86_400, keepAfterSeconds: () => 86_400 };
      // Two days after the last token expired.
      const later = (T + 600 + 2 * 86_400) * 1000;
      // One token still valid then (carol's, a long lifetime), in the partition made ahead for its day.
      await publisher.publish(issued('g6', 'j7', T, later / 1000 + 3_600, 'carol'));
      await eventually(async () => expect((await db.query(`SELECT jti FROM access_tokens WHERE jti = 'j7'`)).rows).toEqual([{ jti: 'j7' }]), 30_000);
      const validThen = `SELECT jti, tableoid::regclass::text AS partition FROM access_tokens WHERE expires_at > to_timestamp(${later / 1000}) ORDER BY jti`;
      const reports = await maintainPartitions(db, accessTokensProjection.partitioned!, policy, { nowMs: later });
      const dayOf = (seconds: number) => `access_tokens_p${iso(seconds).slice(0, 10).replace(/-/g, '')}`;
      expect(reports![0]!.dropped).toEqual(expect.arrayContaining([...new Set([T + 600, T + 500, T].map(dayOf))]));
      expect((await db.query('SELECT jti FROM access_tokens')).rows).toEqual([{ jti: 'j7' }]);
      expect((await db.query(validThen)).rows).toEqual([{ jti: 'j7', partition: dayOf(later / 1000 + 3_600) }]);

      const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger: silentLogger }), e2e.prefix);
      const rebuilt = await rebuildProjection(accessTokensProjection, { db, subscriber, logger: silentLogger }, { partitions: { policy, nowMs: later } });
      expect(rebuilt.events).toBe(7);
      expect((await db.query(`SELECT * FROM "${rebuilt.schema}".access_tokens ORDER BY jti`)).rows).toEqual((await db.query('SELECT * FROM access_tokens ORDER BY jti')).rows);

      // While one pass holds the lock, another skips (null) instead of waiting.
      const skipped = await db.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('authz.partitions'), hashtext('public'))`);
        return maintainPartitions(db, accessTokensProjection.partitioned!, policy, { nowMs: later });
      });
      expect(skipped).toBeNull();
    } finally {
      await db.close();
    }
  }, 120_000);
});
