/**
 * GET /internal/v1/audit/events and /access over the embedded adapters (PGlite, same migrations): the
 * token, 404 when unset, whole bodies, pages and cursors. (On Kafka and PostgreSQL, against the raw log:
 * libs/testing/src/e2e/audit.int-spec.ts.)
 */
import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InfrastructureModule } from '@authz/adapters';
import { createEnvelope, type DomainEvent, type Envelope } from '@authz/contracts';
import { createHttpApp, loadSettings, PlatformModule } from '@authz/platform';
import { silentLogger, SQL_DATABASE, type SqlDatabase } from '@authz/ports';
import { auditEventsProjection, Projector } from '@authz/projections';
import { AuditModule } from './audit.module';

const TOKEN = 'audit-token-audit-token-audit-token-0123';
const hash = (c: string) => `sha256:${c.repeat(43)}`;
const T = 1_800_000_000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const envelope = (id: string, event: DomainEvent, atSeconds: number): Envelope => createEnvelope(event, { source: 'urn:test', id, time: new Date(atSeconds * 1000) });

const LOG: Envelope[] = [
  envelope('e1', { type: 'oauth.signing_key.activated.v1', subject: 'k1', data: { kid: 'k1', alg: 'ES256', activatedAt: T - 1000 } }, T - 1000),
  envelope('e2', { type: 'oauth.access_token.issued.v1', subject: 'g1', data: { jti: 'j1', grantId: 'g1', grantType: 'authorization_code', clientId: 'web-app', sub: 'alice', scope: 'api:read', audience: ['https://api'], issuedAt: T - 100, expiresAt: T + 500, tokenHash: hash('t') } }, T - 100),
  envelope('e3', { type: 'oauth.access_token.issued.v1', subject: 'g2', data: { jti: 'j2', grantId: 'g2', grantType: 'authorization_code', clientId: 'web-app', sub: 'alice', scope: 'api:read', audience: ['https://api'], issuedAt: T - 90, expiresAt: T + 500, tokenHash: hash('u') } }, T - 90),
  envelope('e4', { type: 'oauth.grant.revoked.v1', subject: 'g2', data: { grantId: 'g2', clientId: 'web-app', reason: 'code_replay', revokedAt: T - 10 } }, T - 10),
  envelope('e5', { type: 'oauth.access_token.issued.v1', subject: 'g3', data: { jti: 'j3', grantId: 'g3', grantType: 'authorization_code', clientId: 'web-app', sub: 'bob', scope: 'api:read', audience: ['https://api'], issuedAt: T - 5, expiresAt: T + 500, tokenHash: hash('v') } }, T - 5),
];

@Module({})
class TestModule {
  static create(overrides: Record<string, string>): DynamicModule {
    const settings = loadSettings('revocation', {}, { MODE: 'embedded', LOG_LEVEL: 'silent', AUDIT_PAGE_SIZE_MAX: '3', ...overrides });
    return { module: TestModule, imports: [PlatformModule.forRoot(settings, silentLogger), InfrastructureModule.forRoot(settings, { sql: true }), AuditModule] };
  }
}

async function start(overrides: Record<string, string>): Promise<NestFastifyApplication> {
  const app = await createHttpApp(TestModule.create(overrides), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

let app: NestFastifyApplication;
beforeAll(async () => {
  app = await start({ AUDIT_API_TOKEN: TOKEN });
  await new Projector(auditEventsProjection, app.get<SqlDatabase>(SQL_DATABASE), silentLogger).applyBatch(LOG.map((event, n) => ({ envelope: event, topic: 'oauth.tokens', partition: 0, offset: String(n) })));
}, 60_000);
afterAll(async () => app?.close());

const get = (url: string, token: string | null = TOKEN) => app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
const lines = (body: string) => body.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Envelope);

describe('GET /internal/v1/audit/events', () => {
  it('answers JSON lines of the envelopes, a page at a time (AUDIT_PAGE_SIZE_MAX), the next page named by x-next-cursor', async () => {
    const first = await get('/internal/v1/audit/events?user=alice');
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(first.headers['cache-control']).toBe('no-store');
    // e4 names no user: the index took alice from g2's issuance.
    expect(lines(first.body)).toEqual([LOG[1], LOG[2], LOG[3]]);
    expect(first.headers['x-next-cursor']).toBeUndefined();
    const paged = await get('/internal/v1/audit/events?client=web-app&limit=2');
    expect(lines(paged.body)).toEqual([LOG[1], LOG[2]]);
    const next = await get(`/internal/v1/audit/events?client=web-app&limit=2&cursor=${paged.headers['x-next-cursor']}`);
    expect(lines(next.body)).toEqual([LOG[3], LOG[4]]);
    expect(next.headers['x-next-cursor']).toBeUndefined();
    expect(lines((await get(`/internal/v1/audit/events?type=oauth.grant.revoked.v1&type=oauth.signing_key.activated.v1&from=${iso(T - 1000)}&to=${iso(T - 10)}`)).body)).toEqual([LOG[0]]);
    expect(lines((await get('/internal/v1/audit/events?grant=g-none')).body)).toEqual([]);
  });

  it('refuses a missing or wrong token (401) and malformed queries (400)', async () => {
    const missing = await get('/internal/v1/audit/events', null);
    expect([missing.statusCode, missing.headers['www-authenticate'], missing.json()]).toEqual([401, 'Bearer realm="audit", error="invalid_token"', { error: 'invalid_token', error_description: 'a valid audit token is required' }]);
    expect((await get('/internal/v1/audit/events', `${TOKEN}x`)).statusCode).toBe(401);
    for (const [query, description] of [
      ['limit=4', 'limit must be an integer from 1 to 3'],
      ['limit=0', 'limit must be an integer from 1 to 3'],
      ['limit=1e1', 'limit must be an integer from 1 to 3'],
      ['from=2026-13-01', 'from must be an RFC 3339 date-time, e.g. 2026-11-21T12:00:00Z'],
      ['from=2026-11-21T12:00:00Z&to=2026-11-21T11:00:00Z', 'to must be after from'],
      ['client=a&client=b', 'client must be given once'],
      ['cursor=%5B%5D', 'cursor is invalid'],
      ['user=', 'user must be 1-256 printable characters'],
      [`user=${'a'.repeat(257)}`, 'user must be 1-256 printable characters'],
      ['from=0000-01-01T00:00:00Z', 'from is not a valid date-time'],
      ['to=2026-02-30T00:00:00Z', 'to is not a valid date-time'],
      [`cursor=${Buffer.from(JSON.stringify(['1', 'e1'])).toString('base64url')}`, 'cursor is invalid'],
      [`cursor=${Buffer.from(JSON.stringify(['2026-11-21T00:00:00.000Z', ''])).toString('base64url')}`, 'cursor is invalid'],
      ['user%5B%5D=alice', 'unknown parameter user[]'],
    ]) {
      const response = await get(`/internal/v1/audit/events?${query}`);
      expect([query, response.statusCode, response.json()]).toEqual([query, 400, { error: 'invalid_request', error_description: description }]);
    }
  });
});

describe('GET /internal/v1/audit/access', () => {
  it('answers who could access what at T, for a user or a client', async () => {
    const alice = await get(`/internal/v1/audit/access?user=alice&at=${iso(T)}`);
    expect(alice.statusCode).toBe(200);
    expect(alice.json()).toEqual({
      at: iso(T),
      user: 'alice',
      grants: [{ grant_id: 'g1', client_id: 'web-app', subject: 'alice', access_tokens: [{ jti: 'j1', scope: 'api:read', audience: ['https://api'], issued_at: iso(T - 100), expires_at: iso(T + 500), kid: 'k1' }], refresh_families: [], pending_code: null }],
    });
    expect((await get(`/internal/v1/audit/access?client=web-app&at=${iso(T - 50)}`)).json().grants.map((grant: { grant_id: string }) => grant.grant_id)).toEqual(['g1', 'g2']);
  });
});

describe('without AUDIT_API_TOKEN', () => {
  it('both paths answer 404, as if they did not exist', async () => {
    const bare = await start({});
    try {
      for (const url of ['/internal/v1/audit/events', '/internal/v1/audit/access?user=alice']) {
        const response = await bare.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
        expect(response.statusCode).toBe(404);
      }
    } finally {
      await bare.close();
    }
  }, 60_000);
});
