import type { AuthorizationCodeGrant } from '../authorization-code';
import type { RegisteredClient } from '../clients/registered-client';
import { sha256Hash } from '../hash';
import { s256CodeChallenge } from '../pkce';
import { ACCESS_TOKEN, basic, REFRESH_TOKEN, refusal, tokenRequester } from './fake-grant-services.contract';

const webApp: RegisteredClient = {
  clientId: 'web-app',
  clientName: 'Web app',
  secretHash: sha256Hash('web-secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['authorization_code', 'refresh_token'],
  scope: ['openid', 'api:read', 'api:write'],
  defaultScope: ['api:read'],
  audience: ['https://api.example.org', 'https://reports.example.org'],
  redirectUris: ['https://web.example.org/callback', 'https://web.example.org/other'],
};
const spa: RegisteredClient = {
  clientId: 'spa',
  clientName: 'Single-page app',
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code'],
  scope: ['api:read'],
  defaultScope: ['api:read'],
  audience: ['https://api.example.org'],
  redirectUris: ['https://spa.example.org/callback'],
};
const legacyPlain: RegisteredClient = { ...webApp, clientId: 'legacy-plain', allowPlainPkce: true, grantTypes: ['authorization_code'] };
const noPkceConfidential: RegisteredClient = { ...webApp, clientId: 'no-pkce', requirePkce: false };
const WEB = basic('web-app', 'web-secret');

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 Appendix B
const CODE = 'SplxlOBeZQQYbYS6WxSbIA';
const NOW = 1_767_225_600;

function code(overrides: Partial<AuthorizationCodeGrant> = {}): AuthorizationCodeGrant {
  return {
    grantId: 'grant-1',
    clientId: 'web-app',
    redirectUri: 'https://web.example.org/callback',
    scopes: ['openid', 'api:read'],
    subject: 'alice',
    authTime: NOW - 5,
    codeChallenge: CHALLENGE,
    codeChallengeMethod: 'S256',
    issuedAt: NOW,
    expiresAt: NOW + 60,
    ...overrides,
  };
}

function setup(grant: AuthorizationCodeGrant = code()) {
  const requester = tokenRequester([webApp, spa, legacyPlain, noPkceConfidential]);
  requester.services.codes.set(sha256Hash(CODE), { outcome: 'redeemed', grant });
  return requester;
}

const REQUEST = { grant_type: 'authorization_code', code: CODE, redirect_uri: 'https://web.example.org/callback', code_verifier: VERIFIER };

const invalidGrant = (description: string) => ({ status: 400, headers: {}, body: { error: 'invalid_grant', error_description: description } });

describe('authorization_code grant (RFC 6749 §4.1.3, RFC 7636, RFC 9700 §2.1.1)', () => {
  it('checks the RFC 7636 Appendix B example', () => {
    expect(s256CodeChallenge(VERIFIER)).toBe(CHALLENGE);
  });

  it('redeems a code: access token for the user, a refresh token, the granted scope, and the redemption recorded', async () => {
    const { request, issuer, services } = setup();

    const response = await request(REQUEST, WEB);

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, refresh_token: REFRESH_TOKEN, scope: 'openid api:read' });
    expect(issuer.requests).toEqual([
      {
        client: webApp,
        grantType: 'authorization_code',
        grantId: 'grant-1',
        subject: 'alice',
        scopes: ['openid', 'api:read'],
        audience: ['https://api.example.org', 'https://reports.example.org'],
        authTime: NOW - 5,
      },
    ]);
    expect(services.calls).toEqual([
      { method: 'redeemAuthorizationCode', argument: sha256Hash(CODE) },
      {
        method: 'completeCodeRedemption',
        argument: {
          codeHash: sha256Hash(CODE),
          grantId: 'grant-1',
          jti: 'jti-1',
          refresh: {
            client: 'web-app',
            grantId: 'grant-1',
            grantType: 'authorization_code',
            subject: 'alice',
            scopes: ['openid', 'api:read'],
            audience: ['https://api.example.org', 'https://reports.example.org'],
            authTime: NOW - 5,
          },
        },
      },
    ]);
    // Signed only: its event is recorded with the redemption's, in one acknowledgement.
    expect(issuer.modes).toEqual(['prepared']);
  });

  it('issues no refresh token to a client not registered for refresh_token; a public client redeems with PKCE', async () => {
    const { request, services } = setup(code({ clientId: 'spa', redirectUri: 'https://spa.example.org/callback', scopes: ['api:read'] }));

    const response = await request({ ...REQUEST, client_id: 'spa', redirect_uri: 'https://spa.example.org/callback' });

    expect(response).toStrictEqual({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 600, scope: 'api:read' });
    expect(services.calls).toEqual([
      { method: 'redeemAuthorizationCode', argument: sha256Hash(CODE) },
      { method: 'completeCodeRedemption', argument: { codeHash: sha256Hash(CODE), grantId: 'grant-1', jti: 'jti-1' } },
    ]);
  });

  it('narrows the audience to the requested resources (RFC 8707), within those of the authorization request', async () => {
    const { request, issuer } = setup(code({ resources: ['https://api.example.org', 'https://reports.example.org'] }));

    await request({ ...REQUEST, resource: 'https://reports.example.org' }, WEB);

    expect(issuer.requests[0]!.audience).toEqual(['https://reports.example.org']);
  });

  it('refuses a second redemption and revokes the grant (RFC 6749 §4.1.2)', async () => {
    const { request, services } = setup();
    await request(REQUEST, WEB);

    expect(await refusal(request(REQUEST, WEB))).toEqual(invalidGrant('the authorization code is invalid, expired or already used'));
    expect(services.calls.slice(-1)).toEqual([{ method: 'revokeGrant', argument: { grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay' } }]);
  });

  it('puts the code back when an outage follows its spend (503 promises a retry), and the retry succeeds', async () => {
    const { request, services } = setup();
    const outage = new Error('the event log did not acknowledge');
    services.completeCodeRedemptionError = outage;
    await expect(request(REQUEST, WEB)).rejects.toBe(outage);
    expect(services.calls.filter((call) => call.method === 'restoreAuthorizationCode')).toEqual([
      { method: 'restoreAuthorizationCode', argument: { codeHash: sha256Hash(CODE), grantId: 'grant-1' } },
    ]);

    services.completeCodeRedemptionError = undefined;
    expect(await request(REQUEST, WEB)).toEqual(expect.objectContaining({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN }));
    expect(services.calls.filter((call) => call.method === 'revokeGrant')).toEqual([]);
  });

  it('does not put the code back after a refusal (a wrong verifier spends it for good)', async () => {
    const { request, services } = setup();
    await refusal(request({ ...REQUEST, code_verifier: 'x'.repeat(43) }, WEB));
    expect(services.calls.filter((call) => call.method === 'restoreAuthorizationCode')).toEqual([]);
  });

  it.each([
    ['an unknown or expired code', { code: 'unknown-code' }, 'the authorization code is invalid, expired or already used'],
    ['a redirect_uri other than the authorization request’s', { redirect_uri: 'https://web.example.org/other' }, 'redirect_uri does not match the authorization request'],
    ['a missing redirect_uri when the authorization request had one', { redirect_uri: '' }, 'redirect_uri does not match the authorization request'],
    ['a wrong code_verifier', { code_verifier: 'x'.repeat(43) }, 'PKCE verification failed'],
    ['a missing code_verifier for a code with a challenge', { code_verifier: '' }, 'PKCE verification failed'],
  ])('answers invalid_grant to %s', async (_case, change, description) => {
    const { request, issuer } = setup();
    const body = Object.fromEntries(Object.entries({ ...REQUEST, ...change }).filter(([, value]) => value !== ''));

    expect(await refusal(request(body, WEB))).toEqual(invalidGrant(description));
    expect(issuer.requests).toEqual([]);
  });

  it('answers invalid_grant to a code issued to another client', async () => {
    const { request, issuer } = setup(code({ clientId: 'spa' }));

    expect(await refusal(request(REQUEST, WEB))).toEqual(invalidGrant('the authorization code was issued to another client'));
    expect(issuer.requests).toEqual([]);
  });

  it('refuses a code_verifier sent for a code without a challenge (PKCE downgrade, RFC 9700 §2.1.1)', async () => {
    const { request } = setup(code({ clientId: 'no-pkce', codeChallenge: undefined, codeChallengeMethod: undefined }));

    expect(await refusal(request({ ...REQUEST }, basic('no-pkce', 'web-secret')))).toEqual(invalidGrant('PKCE verification failed'));
  });

  it('redeems a code without PKCE only for a confidential client registered with requirePkce false', async () => {
    const withoutPkce = code({ codeChallenge: undefined, codeChallengeMethod: undefined });
    const { code_verifier: _omitted, ...body } = REQUEST;

    expect(await refusal(setup(withoutPkce).request(body, WEB))).toEqual(invalidGrant('PKCE verification failed'));
    await expect(setup({ ...withoutPkce, clientId: 'no-pkce' }).request(body, basic('no-pkce', 'web-secret'))).resolves.toMatchObject({ access_token: ACCESS_TOKEN });
  });

  it('accepts the plain method only for a client registered for it (RFC 7636 §4.2)', async () => {
    const plain = code({ codeChallenge: VERIFIER, codeChallengeMethod: 'plain' });

    expect(await refusal(setup(plain).request(REQUEST, WEB))).toEqual(invalidGrant('PKCE verification failed'));
    await expect(setup({ ...plain, clientId: 'legacy-plain' }).request(REQUEST, basic('legacy-plain', 'web-secret'))).resolves.toMatchObject({ access_token: ACCESS_TOKEN });
  });

  it.each([
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(129)],
    ['a character outside the unreserved set', `${'a'.repeat(42)}+`],
  ])('answers invalid_request to a malformed code_verifier (%s), before spending the code', async (_case, verifier) => {
    const { request, services } = setup();

    expect(await refusal(request({ ...REQUEST, code_verifier: verifier }, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_request', error_description: 'code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)' },
    });
    expect(services.calls).toEqual([]);
  });

  it('answers invalid_request without a code', async () => {
    const { code: _omitted, ...body } = REQUEST;
    expect(await refusal(setup().request(body, WEB))).toEqual({ status: 400, headers: {}, body: { error: 'invalid_request', error_description: "parameter 'code' is missing" } });
  });

  it.each([
    ['a relative URI', 'api/v1', 'a resource must be an absolute URI without a fragment'],
    ['a fragment', 'https://api.example.org/#x', 'a resource must be an absolute URI without a fragment'],
    ['a resource the client may not have', 'https://evil.example.org', 'the client may not obtain a token for: https://evil.example.org'],
  ])('answers invalid_target to %s (RFC 8707 §2) before spending the code: the corrected retry is not a replay', async (_case, resource, description) => {
    const { request, services } = setup();
    expect(await refusal(request({ ...REQUEST, resource }, WEB))).toEqual({ status: 400, headers: {}, body: { error: 'invalid_target', error_description: description } });
    expect(services.calls).toEqual([]);
    expect(await request(REQUEST, WEB)).toHaveProperty('access_token');
  });

  it('answers invalid_target to a resource outside those of the authorization request', async () => {
    const { request } = setup(code({ resources: ['https://api.example.org'] }));

    expect(await refusal(request({ ...REQUEST, resource: 'https://reports.example.org' }, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'invalid_target', error_description: 'the client may not obtain a token for: https://reports.example.org' },
    });
  });

  it('answers unauthorized_client to a client not registered for authorization_code', async () => {
    const requester = tokenRequester([{ ...webApp, grantTypes: ['client_credentials'] }]);

    expect(await refusal(requester.request(REQUEST, WEB))).toEqual({
      status: 400,
      headers: {},
      body: { error: 'unauthorized_client', error_description: 'the client is not registered for the authorization_code grant' },
    });
  });
});
