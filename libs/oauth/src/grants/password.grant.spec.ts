import type { RegisteredClient } from '../clients/registered-client';
import { TemporarilyUnavailable } from '../errors';
import { sha256Hash } from '../hash';
import { parseScopePolicy } from '../scope-policy';
import { ACCESS_TOKEN, basic, REFRESH_TOKEN, refusal, tokenRequester } from './fake-grant-services.contract';

const legacyApp: RegisteredClient = {
  clientId: 'legacy-app',
  clientName: 'Legacy app',
  secretHash: sha256Hash('legacy-secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['password', 'refresh_token'],
  scope: ['api:read', 'api:write'],
  defaultScope: ['api:read'],
  audience: ['https://api.example.org'],
  redirectUris: [],
};
const legacyNoRefresh: RegisteredClient = { ...legacyApp, clientId: 'legacy-no-refresh', grantTypes: ['password'] };
const { secretHash: _secret, ...withoutSecret } = legacyApp;
const publicLegacy: RegisteredClient = { ...withoutSecret, clientId: 'public-legacy', tokenEndpointAuthMethod: 'none' };
const webApp: RegisteredClient = { ...legacyApp, clientId: 'web-app', grantTypes: ['authorization_code', 'refresh_token'] };
const LEGACY = basic('legacy-app', 'legacy-secret');
const AUTH_TIME = 1_767_225_600;

function setup() {
  const requester = tokenRequester([legacyApp, legacyNoRefresh, publicLegacy, webApp]);
  requester.services.credentials = { outcome: 'authenticated', subject: 'alice', authTime: AUTH_TIME };
  return requester;
}

const REQUEST = { grant_type: 'password', username: 'alice', password: 'alice-password' };

describe('password grant (RFC 6749 §4.3; RFC 9700 §2.4: legacy clients registered for it only)', () => {
  it('issues an access token for the user and a refresh token', async () => {
    const { request, issuer, services } = setup();

    const response = await request(REQUEST, LEGACY);

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, refresh_token: REFRESH_TOKEN, scope: 'api:read' });
    const grantId = issuer.requests[0]!.grantId;
    expect(grantId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(issuer.requests).toEqual([
      { client: legacyApp, grantType: 'password', grantId, subject: 'alice', scopes: ['api:read'], audience: ['https://api.example.org'], authTime: AUTH_TIME },
    ]);
    expect(services.calls).toEqual([
      { method: 'verifyCredentials', argument: { username: 'alice', password: '<redacted>', clientId: 'legacy-app' } },
      {
        method: 'issueRefreshToken',
        argument: { client: 'legacy-app', grantId, grantType: 'password', subject: 'alice', scopes: ['api:read'], audience: ['https://api.example.org'], authTime: AUTH_TIME, jti: 'jti-1' },
      },
    ]);
    expect(issuer.modes).toEqual(['prepared']);
  });

  it('omits the scope when it is the one requested, and the refresh token for a client without refresh_token', async () => {
    const { request } = setup();

    const response = await request({ ...REQUEST, scope: 'api:write api:read' }, basic('legacy-no-refresh', 'legacy-secret'));

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600 });
  });

  it('answers invalid_grant, without saying why, to refused credentials (wrong password, unknown user, locked)', async () => {
    const { request, issuer, services } = setup();
    services.credentials = { outcome: 'refused' };

    expect(await refusal(request(REQUEST, LEGACY))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_grant', error_description: 'the resource owner credentials are invalid' },
    });
    expect(issuer.requests).toEqual([]);
  });

  it('says an expired or must-change password only when the identity service disclosed it', async () => {
    const { request, issuer, services } = setup();
    services.credentials = { outcome: 'refused', reason: 'password_expired' };
    expect(await refusal(request(REQUEST, LEGACY))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_grant', error_description: 'the password has expired and must be changed' },
    });
    services.credentials = { outcome: 'refused', reason: 'must_change_password' };
    expect(await refusal(request(REQUEST, LEGACY))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_grant', error_description: 'the password must be changed before signing in' },
    });
    expect(issuer.requests).toEqual([]);
  });

  it('drops the scopes the group → scope policy does not give the user, and says so in `scope` (RFC 6749 §3.3)', async () => {
    const { request, issuer, services } = setup();
    const writers = 'cn=writers,ou=groups,dc=example,dc=org';
    services.scopePolicy = parseScopePolicy({ rules: [{ clients: ['legacy-app'], groups: [writers], scopes: ['api:write'] }] });

    expect(await request({ ...REQUEST, scope: 'api:read api:write' }, LEGACY)).toStrictEqual({
      access_token: ACCESS_TOKEN,
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: REFRESH_TOKEN,
      scope: 'api:read',
    });
    expect(issuer.requests[0]!.scopes).toEqual(['api:read']);
    expect(services.calls[1]).toMatchObject({ method: 'issueRefreshToken', argument: { scopes: ['api:read'] } });

    services.credentials = { outcome: 'authenticated', subject: 'alice', authTime: AUTH_TIME, groups: ['CN=Writers,OU=Groups,DC=example,DC=org'] };
    expect(await request({ ...REQUEST, scope: 'api:read api:write' }, LEGACY)).toStrictEqual({
      access_token: ACCESS_TOKEN,
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: REFRESH_TOKEN,
    });
    expect(issuer.requests[1]!.scopes).toEqual(['api:read', 'api:write']);
  });

  it('answers 503 temporarily_unavailable when the identity service is down', async () => {
    const { request, services } = setup();
    services.credentials = new TemporarilyUnavailable('the identity service is unavailable, retry later');

    expect(await refusal(request(REQUEST, LEGACY))).toEqual({
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: 'temporarily_unavailable', error_description: 'the identity service is unavailable, retry later' },
    });
  });

  it.each([
    ['username', { grant_type: 'password', password: 'alice-password' }],
    ['password', { grant_type: 'password', username: 'alice' }],
  ])('answers invalid_request without %s, and checks no credentials', async (name, body) => {
    const { request, services } = setup();

    expect(await refusal(request(body, LEGACY))).toEqual({ status: 400, headers: {}, body: { error: 'invalid_request', error_description: `parameter '${name}' is missing` } });
    expect(services.calls).toEqual([]);
  });

  it('answers invalid_scope to a scope the client may not have, before checking credentials', async () => {
    const { request, services } = setup();

    expect(await refusal(request({ ...REQUEST, scope: 'admin' }, LEGACY))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_scope', error_description: 'the client may not request: admin' },
    });
    expect(services.calls).toEqual([]);
  });

  it('answers unauthorized_client to a client not registered for password (off by default) and to a public client', async () => {
    const { request, services } = setup();

    expect(await refusal(request(REQUEST, basic('web-app', 'legacy-secret')))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'unauthorized_client', error_description: 'the client is not registered for the password grant' },
    });
    expect(await refusal(request({ ...REQUEST, client_id: 'public-legacy' }))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'unauthorized_client', error_description: 'the password grant is for confidential clients only' },
    });
    expect(services.calls).toEqual([]);
  });
});
