import type { RegisteredClient } from '../clients/registered-client';
import { sha256Hash } from '../hash';
import type { RefreshFamilyState } from '../refresh-family';
import { ACCESS_TOKEN, basic, refusal, tokenRequester } from './fake-grant-services.contract';

const webApp: RegisteredClient = {
  clientId: 'web-app',
  clientName: 'Web app',
  secretHash: sha256Hash('web-secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['authorization_code', 'refresh_token'],
  scope: ['openid', 'api:read', 'api:write'],
  defaultScope: ['api:read'],
  audience: ['https://api.example.org', 'https://reports.example.org'],
  redirectUris: ['https://web.example.org/callback'],
};
const WEB = basic('web-app', 'web-secret');
const NOW = 1_767_225_600_000;

const family: RefreshFamilyState = {
  familyId: 'family-1',
  grantId: 'grant-1',
  clientId: 'web-app',
  subject: 'alice',
  scopes: ['openid', 'api:read'],
  audience: ['https://api.example.org', 'https://reports.example.org'],
  authTime: 1_767_225_000,
  generation: 0,
  currentTokenHash: sha256Hash('refresh-token-generation-0'),
  createdAt: NOW,
  expiresAt: NOW + 86_400_000,
  idleExpiresAt: NOW + 3_600_000,
};

function setup(outcome: 'rotated' | 'grace_retry' | 'reuse_detected' | 'refused' = 'rotated') {
  const requester = tokenRequester([webApp, { ...webApp, clientId: 'cc-only', grantTypes: ['client_credentials'] }]);
  requester.services.refreshFamily = family;
  requester.services.refreshOutcome = outcome;
  return requester;
}

const REQUEST = { grant_type: 'refresh_token', refresh_token: 'refresh-token-generation-0' };

describe('refresh_token grant (RFC 6749 §6, RFC 9700 §4.14.2)', () => {
  it.each(['rotated', 'grace_retry'] as const)('answers the child refresh token and an access token of the family (%s)', async (outcome) => {
    const { request, issuer, services } = setup(outcome);

    const response = await request(REQUEST, WEB);

    // No scope requested: the original one is granted, and returned (RFC 6749 §5.1).
    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, refresh_token: 'refresh-token-generation-1', scope: 'openid api:read' });
    expect(services.calls).toEqual([{ method: 'exchangeRefreshToken', argument: { tokenHash: sha256Hash('refresh-token-generation-0'), client: 'web-app' } }]);
    expect(issuer.requests).toEqual([
      {
        client: webApp,
        grantType: 'refresh_token',
        grantId: 'grant-1',
        subject: 'alice',
        scopes: ['openid', 'api:read'],
        audience: ['https://api.example.org', 'https://reports.example.org'],
        authTime: 1_767_225_000,
      },
    ]);
  });

  it('narrows the scope and the audience on request; scope omitted when identical to the request', async () => {
    const { request, issuer } = setup();

    const response = await request({ ...REQUEST, scope: 'api:read', resource: 'https://api.example.org' }, WEB);

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, refresh_token: 'refresh-token-generation-1' });
    expect(issuer.requests.map(({ scopes, audience }) => ({ scopes, audience }))).toEqual([{ scopes: ['api:read'], audience: ['https://api.example.org'] }]);
  });

  it('answers invalid_scope to a scope wider than the original grant, and issues nothing', async () => {
    const { request, issuer } = setup();

    expect(await refusal(request({ ...REQUEST, scope: 'api:read api:write' }, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_scope', error_description: 'scope beyond the original grant: api:write' },
    });
    expect(issuer.requests).toEqual([]);
  });

  it('answers invalid_target to a resource outside the family', async () => {
    expect(await refusal(setup().request({ ...REQUEST, resource: 'https://other.example.org' }, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_target', error_description: 'the client may not obtain a token for: https://other.example.org' },
    });
  });

  it.each(['reuse_detected', 'refused'] as const)('answers invalid_grant when the exchange is %s', async (outcome) => {
    const { request, issuer } = setup(outcome);

    expect(await refusal(request(REQUEST, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' },
    });
    expect(issuer.requests).toEqual([]);
  });

  it('answers invalid_request without refresh_token, and invalid_scope to a malformed scope, before any exchange', async () => {
    const { request, services } = setup();

    expect(await refusal(request({ grant_type: 'refresh_token' }, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_request', error_description: "parameter 'refresh_token' is missing" },
    });
    expect(await refusal(request({ ...REQUEST, scope: 'api:read  api:write' }, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_scope', error_description: 'the scope parameter is malformed' },
    });
    expect(services.calls).toEqual([]);
  });

  it('answers unauthorized_client to a client not registered for refresh_token', async () => {
    expect(await refusal(setup().request(REQUEST, basic('cc-only', 'web-secret')))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'unauthorized_client', error_description: 'the client is not registered for the refresh_token grant' },
    });
  });
});
