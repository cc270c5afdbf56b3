/**
 * GET /internal/v1/ldap/diagnose over the embedded adapters (the LDIF directory): admin token, whole bodies.
 * (Against slapd with nested groups and failover: libs/adapters/src/ldap/ldap-enterprise.int-spec.ts.)
 */
import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InfrastructureModule } from '@authz/adapters';
import { createHttpApp, loadSettings, PlatformModule } from '@authz/platform';
import { DIRECTORY, type Directory, DirectoryUnavailableError, silentLogger } from '@authz/ports';
import { IdentityModule } from './identity.module';

const ADMIN_TOKEN = 'diagnostics-token-diagnostics-token-0123';
const INTERNAL_TOKEN = 'internal-token-internal-token-internal-token';
const DEVELOPERS = 'cn=developers,ou=groups,dc=example,dc=org';
const ADMINS = 'cn=admins,ou=groups,dc=example,dc=org';
const POLICY = JSON.stringify({
  rules: [
    { clients: ['*'], groups: ['*'], scopes: ['openid'] },
    { clients: ['web-app'], groups: [ADMINS], scopes: ['admin'] },
  ],
});

@Module({})
class TestModule {
  static create(overrides: Record<string, string>): DynamicModule {
    const settings = loadSettings('identity', {}, { MODE: 'embedded', IDENTITY_INTERNAL_TOKEN: INTERNAL_TOKEN, LOG_LEVEL: 'silent', ...overrides });
    return {
      module: TestModule,
      imports: [PlatformModule.forRoot(settings, silentLogger), InfrastructureModule.forRoot(settings, { directory: true, ttl: true, events: true }), IdentityModule.service()],
    };
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
  app = await start({ LDAP_DIAGNOSTICS_TOKEN: ADMIN_TOKEN, SCOPE_POLICY: POLICY });
});
afterAll(async () => app?.close());
afterEach(() => jest.restoreAllMocks());

const get = (query: string, token?: string) =>
  app.inject({ method: 'GET', url: `/internal/v1/ldap/diagnose?${query}`, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('GET /internal/v1/ldap/diagnose', () => {
  it('shows the DN, the groups, the policy’s scopes and the answering source, without a bind', async () => {
    const directory = app.get<Directory>(DIRECTORY);
    const authenticate = jest.spyOn(directory, 'authenticate');
    const response = await get('username=alice&client_id=web-app', ADMIN_TOKEN);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect({ ...body, groups: [...body.groups].sort((a: { dn: string }, b: { dn: string }) => a.dn.localeCompare(b.dn)) }).toEqual({
      username: 'alice',
      found: true,
      server: expect.stringMatching(/^ldif:.*users\.ldif$/),
      dn: 'uid=alice,ou=people,dc=example,dc=org',
      subject: 'alice',
      name: 'Alice Anderson',
      email: 'alice@example.org',
      groups: [
        { dn: ADMINS, path: [ADMINS] },
        { dn: DEVELOPERS, path: [DEVELOPERS] },
      ],
      scopes: { clientId: 'web-app', policy: 'configured', allowed: ['openid', 'admin'], unlistedScopes: 'allow' },
    });
    expect(authenticate).not.toHaveBeenCalled();
    expect((await get('username=bob', ADMIN_TOKEN)).json().scopes).toEqual({ clientId: '*', policy: 'configured', allowed: ['openid'], unlistedScopes: 'allow' });
  });

  it('answers an unknown or hostile username as not found', async () => {
    for (const username of ['nobody', '*', 'admin)(|(uid=*', ')(']) {
      const response = await get(`username=${encodeURIComponent(username)}`, ADMIN_TOKEN);
      expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 200, body: { username, found: false } });
    }
  });

  it('refuses a caller without the admin token (the internal token of the other services included)', async () => {
    for (const token of [undefined, INTERNAL_TOKEN, `${ADMIN_TOKEN}x`]) {
      const response = await get('username=alice', token);
      expect({ status: response.statusCode, body: response.json(), challenge: response.headers['www-authenticate'] }).toEqual({
        status: 401,
        body: { error: 'invalid_token', error_description: 'a valid diagnostics token is required' },
        challenge: 'Bearer realm="identity", error="invalid_token"',
      });
    }
  });

  it('400 for a missing, repeated or oversized username; 503 when the directory is down', async () => {
    for (const query of ['', 'username=', 'username=a&username=b', `username=${'a'.repeat(257)}`]) {
      const response = await get(query, ADMIN_TOKEN);
      expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'username is missing or invalid' } });
    }
    const directory = app.get<Directory>(DIRECTORY);
    jest.spyOn(directory, 'diagnose').mockRejectedValue(new DirectoryUnavailableError('LDAP directory unavailable (user search): connect ECONNREFUSED'));
    const response = await get('username=alice', ADMIN_TOKEN);
    expect({ status: response.statusCode, body: response.json() }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'the directory is temporarily unavailable, retry later' },
    });
  });

  it('does not exist without LDAP_DIAGNOSTICS_TOKEN', async () => {
    const bare = await start({});
    try {
      const response = await bare.inject({ method: 'GET', url: '/internal/v1/ldap/diagnose?username=alice', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.statusCode).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
