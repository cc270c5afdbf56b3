/**
 * The identity service's internal API, POST /internal/v1/authenticate, over the embedded adapters
 * (LDIF directory, in-memory counters, in-process bus): whole bodies for 200, 400, 401 and 503.
 */
import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InfrastructureModule, type MemoryEventBus } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { createHttpApp, loadSettings, PlatformModule } from '@authz/platform';
import { DIRECTORY, type Directory, DirectoryUnavailableError, EVENT_PUBLISHER, type Logger, TTL_STORE, type TtlStore, TtlStoreUnavailableError } from '@authz/ports';
import { IdentityModule } from './identity.module';

const TOKEN = 'internal-token-internal-token-internal-token';
const JSON_TYPE = 'application/json';

type Line = { level: string; obj: object; msg?: string };
const lines: Line[] = [];
const recordingLogger: Logger = {
  debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
  child: () => recordingLogger,
};

const settings = loadSettings('identity', {}, { MODE: 'embedded', IDENTITY_INTERNAL_TOKEN: TOKEN, LOGIN_USERNAME_DELAY_AFTER: '2', LOG_LEVEL: 'silent' });

@Module({})
class TestIdentityAppModule {
  static create(): DynamicModule {
    return {
      module: TestIdentityAppModule,
      imports: [PlatformModule.forRoot(settings, recordingLogger), InfrastructureModule.forRoot(settings, { directory: true, ttl: true, events: true }), IdentityModule.service()],
    };
  }
}

let app: NestFastifyApplication;
let bus: MemoryEventBus;

beforeAll(async () => {
  app = await createHttpApp(TestIdentityAppModule.create(), recordingLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  await app?.close();
  // Nothing of any request body reached a log line.
  const logged = JSON.stringify(lines);
  for (const secret of ['alice-password', 'wrong-password', 'bob-password', TOKEN]) expect(logged).not.toContain(secret);
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/internal/v1/authenticate',
    headers: { 'content-type': JSON_TYPE, authorization: `Bearer ${TOKEN}`, ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

async function answer(payload: unknown, headers: Record<string, string> = {}) {
  const response = await post(payload, headers);
  return { status: response.statusCode, cacheControl: response.headers['cache-control'], body: response.json() as unknown };
}

const invalidRequest = (description: string) => ({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_request', error_description: description } });

describe('POST /internal/v1/authenticate', () => {
  it('200 authenticated: the user and auth_time; the event carries the caller request id', async () => {
    const response = await post({ username: 'alice', password: 'alice-password', client_id: 'web-app', client_ip: '192.0.2.1' }, { 'x-request-id': 'login-42' });
    const body = response.json() as { user: { groups: string[] } };
    body.user.groups.sort();
    expect({ status: response.statusCode, cacheControl: response.headers['cache-control'], body }).toEqual({
      status: 200,
      cacheControl: 'no-store',
      body: {
        outcome: 'authenticated',
        user: {
          subject: 'alice',
          dn: 'uid=alice,ou=people,dc=example,dc=org',
          username: 'alice',
          name: 'Alice Anderson',
          email: 'alice@example.org',
          groups: ['cn=admins,ou=groups,dc=example,dc=org', 'cn=developers,ou=groups,dc=example,dc=org'],
        },
        auth_time: expect.any(Number),
      },
    });
    const last = deserializeEnvelope(bus.readTopic(Topics.identity).at(-1)!.value);
    expect({ type: last.type, correlationid: last.correlationid, data: last.data }).toEqual({
      type: 'oauth.user.authenticated.v1',
      correlationid: 'login-42',
      data: { usernameHash: sha256Hash('alice'), subject: 'alice', clientId: 'web-app', clientIpHash: sha256Hash('192.0.2.1'), authTime: (body as unknown as { auth_time: number }).auth_time },
    });
  });

  it('200 invalid_credentials, the same for a wrong password and an unknown user; then 200 locked with retry_after', async () => {
    expect(await answer({ username: 'bob', password: 'wrong-password', client_id: 'web-app' })).toEqual({ status: 200, cacheControl: 'no-store', body: { outcome: 'invalid_credentials' } });
    expect(await answer({ username: 'nobody', password: 'wrong-password', client_id: 'web-app' })).toEqual({ status: 200, cacheControl: 'no-store', body: { outcome: 'invalid_credentials' } });
    // The second failure of bob starts a 1 s delay (LOGIN_USERNAME_DELAY_AFTER=2).
    expect(await answer({ username: 'bob', password: 'wrong-password', client_id: 'web-app' })).toEqual({ status: 200, cacheControl: 'no-store', body: { outcome: 'invalid_credentials' } });
    expect(await answer({ username: 'bob', password: 'bob-password', client_id: 'web-app' })).toEqual({ status: 200, cacheControl: 'no-store', body: { outcome: 'locked', retry_after: 1 } });
  });

  describe('400 invalid_request for a malformed body (never echoing it)', () => {
    it.each([
      ['a missing username', { password: 'p', client_id: 'c' }, 'username is missing or invalid'],
      ['an empty username', { username: '', password: 'p', client_id: 'c' }, 'username is missing or invalid'],
      ['a username of 257 characters', { username: 'u'.repeat(257), password: 'p', client_id: 'c' }, 'username is missing or invalid'],
      ['a missing password', { username: 'alice', client_id: 'c' }, 'password is missing or invalid'],
      ['a password of 1025 bytes', { username: 'alice', password: 'é'.repeat(512) + 'x', client_id: 'c' }, 'password is missing or invalid'],
      ['a numeric password', { username: 'alice', password: 12345, client_id: 'c' }, 'password is missing or invalid'],
      ['a missing client_id', { username: 'alice', password: 'p' }, 'client_id is missing or invalid'],
      ['a client_ip that is no IP', { username: 'alice', password: 'p', client_id: 'c', client_ip: 'localhost' }, 'client_ip is missing or invalid'],
      ['an unknown member', { username: 'alice', password: 'p', client_id: 'c', scope: 'x' }, 'the request body has unknown members'],
      ['an array', [1, 2], 'the request body must be a JSON object'],
      ['null', 'null', 'the request body must be a JSON object'],
    ])('%s', async (_case, payload, description) => {
      expect(await answer(payload)).toEqual(invalidRequest(description));
    });

    it('a body that is not JSON, or not application/json', async () => {
      expect(await answer('{"username":"alice","password":"alice-password"')).toEqual({
        status: 400,
        cacheControl: 'no-store',
        body: { error: 'invalid_request', error_description: "Body is not valid JSON but content-type is set to 'application/json'" },
      });
      expect(await answer('username=alice&password=alice-password&client_id=c', { 'content-type': 'application/x-www-form-urlencoded' })).toEqual(
        invalidRequest('the request body must be application/json'),
      );
    });

    it('a password of exactly 1024 bytes and a username of 256 characters are within bounds', async () => {
      expect(await answer({ username: 'u'.repeat(256), password: 'é'.repeat(512), client_id: 'c' })).toEqual({ status: 200, cacheControl: 'no-store', body: { outcome: 'invalid_credentials' } });
    });
  });

  describe('401 invalid_token without the shared secret', () => {
    const unauthorized = {
      status: 401,
      cacheControl: 'no-store',
      challenge: 'Bearer realm="identity", error="invalid_token"',
      body: { error: 'invalid_token', error_description: 'a valid internal token is required' },
    };
    it.each([
      ['no Authorization header', { authorization: '' }],
      ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
      ['another scheme', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
      ['a lower-case bearer with no token', { authorization: 'Bearer ' }],
    ])('%s', async (_case, headers) => {
      const response = await post({ username: 'alice', password: 'alice-password', client_id: 'web-app' }, headers);
      expect({ status: response.statusCode, cacheControl: response.headers['cache-control'], challenge: response.headers['www-authenticate'], body: response.json() }).toEqual(unauthorized);
    });
  });

  describe('503 temporarily_unavailable when a dependency is down (never a failed login)', () => {
    const unavailable = { status: 503, retryAfter: '1', body: { error: 'temporarily_unavailable', error_description: 'the identity service is temporarily unavailable, retry later' } };
    const check = async () => {
      const response = await post({ username: 'carol', password: 'carol-password', client_id: 'web-app' });
      return { status: response.statusCode, retryAfter: response.headers['retry-after'], body: response.json() };
    };

    it('the directory', async () => {
      jest.spyOn(app.get<Directory>(DIRECTORY), 'authenticate').mockRejectedValue(new DirectoryUnavailableError('LDAP directory unavailable (user search): ECONNREFUSED'));
      expect(await check()).toEqual(unavailable);
    });

    it('the counters', async () => {
      jest.spyOn(app.get<TtlStore>(TTL_STORE), 'get').mockRejectedValue(new TtlStoreUnavailableError('Redis unavailable: ECONNREFUSED'));
      expect(await check()).toEqual(unavailable);
    });

    it('the event log', async () => {
      bus.setUnavailable(true);
      try {
        expect(await check()).toEqual(unavailable);
      } finally {
        bus.setUnavailable(false);
      }
    });
  });
});
