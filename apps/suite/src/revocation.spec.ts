/**
 * RFC 7009 token revocation in the all-in-one suite: POST /revoke revokes a refresh token's whole grant
 * (its family and the access tokens issued under it) or one access token by jti; the token endpoint
 * and introspection follow at once; another client's token, an unknown token and a wrong hint change
 * nothing and still answer 200 (§2.2); the events on oauth.revocations are exactly what happened.
 */
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt } from 'jose';
import { type MemoryEventBus } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { type AuthorizationCodeGrant, sha256Hash } from '@authz/oauth';
import { createHttpApp, loadSettings } from '@authz/platform';
import { AUTHORIZATION_CODE_STORE, type AuthorizationCodeStore, EVENT_PUBLISHER, silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const LEGACY_APP = basic('legacy-app', 'dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA');
const WEB_APP = basic('web-app', 'OTSeU3LY8wciN-jEkP-jZ4LnzfjIvZOA_qRHOUqhnGY');
const DEMO_SERVICE = basic('demo-service', 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU');
const DEMO_API = basic('demo-api', 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU');
const INACTIVE = { active: false };

let app: NestFastifyApplication;
let bus: MemoryEventBus;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', PASSWORD_GRANT_ENABLED: 'true' });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function post(url: string, form: Record<string, string>, authorization?: string) {
  const response = await app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...(authorization ? { authorization } : {}) }, payload: new URLSearchParams(form).toString() });
  return response;
}

async function revoke(form: Record<string, string>, authorization?: string) {
  const response = await post('/revoke', form, authorization);
  return { status: response.statusCode, cacheControl: response.headers['cache-control'], body: response.body };
}

const REVOKED = { status: 200, cacheControl: 'no-store', body: '' };

async function introspect(token: string) {
  return (await post('/introspect', { token }, DEMO_API)).json<Record<string, unknown>>();
}

/** Tokens for alice through the password grant (legacy-app): an access token and a refresh token of one grant. */
async function passwordTokens(): Promise<{ accessToken: string; refreshToken: string; grantId: string }> {
  const response = await post('/token', { grant_type: 'password', username: 'alice', password: 'alice-password', scope: 'api:read' }, LEGACY_APP);
  expect(response.statusCode).toBe(200);
  const body = response.json<{ access_token: string; refresh_token: string }>();
  return { accessToken: body.access_token, refreshToken: body.refresh_token, grantId: decodeJwt(body.access_token).grant_id as string };
}

async function refresh(refreshToken: string, authorization = LEGACY_APP) {
  const response = await post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, authorization);
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

const REFRESH_REFUSED = { status: 400, body: { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' } };

/** The events on oauth.revocations about a grant, decoded. */
function revocationEvents(grantId: string) {
  return bus
    .readTopic(Topics.revocations)
    .map((record) => deserializeEnvelope(record.value))
    .filter((event) => event.subject === grantId)
    .map(({ type, subject, data }) => ({ type, subject, data }));
}

describe('POST /revoke (RFC 7009)', () => {
  it('revokes a refresh token\'s grant: the family is refused at /token and its access tokens are inactive at once', async () => {
    const { accessToken, refreshToken, grantId } = await passwordTokens();
    const rotated = await refresh(refreshToken);
    expect(rotated.status).toBe(200);
    const child = rotated.body.refresh_token as string;
    const secondAccess = rotated.body.access_token as string;

    expect(await revoke({ token: child, token_type_hint: 'refresh_token' }, LEGACY_APP)).toStrictEqual(REVOKED);

    expect(await refresh(child)).toStrictEqual(REFRESH_REFUSED);
    expect(await introspect(accessToken)).toStrictEqual(INACTIVE);
    expect(await introspect(secondAccess)).toStrictEqual(INACTIVE);
    const events = revocationEvents(grantId);
    const revokedAt = (events[0]?.data as { revokedAt: number }).revokedAt;
    expect(events).toStrictEqual([
      {
        type: 'oauth.grant.revoked.v1',
        subject: grantId,
        // Covered for legacy-app's access token lifetime (the default 600 s).
        data: { grantId, clientId: 'legacy-app', subject: 'alice', reason: 'client_request', revokedAt, coversUntil: revokedAt + 600 },
      },
    ]);
    expect(Math.abs(revokedAt - Date.now() / 1000)).toBeLessThan(60);
  });

  it('revokes an access token by its jti only: the grant\'s refresh token still works and its new access token is active', async () => {
    const { accessToken, refreshToken, grantId } = await passwordTokens();
    const claims = decodeJwt(accessToken);

    expect(await revoke({ token: accessToken, token_type_hint: 'access_token' }, LEGACY_APP)).toStrictEqual(REVOKED);

    expect(await introspect(accessToken)).toStrictEqual(INACTIVE);
    const refreshed = await refresh(refreshToken);
    expect(refreshed.status).toBe(200);
    expect(await introspect(refreshed.body.access_token as string)).toMatchObject({ active: true, client_id: 'legacy-app', sub: 'alice' });
    const events = revocationEvents(grantId);
    expect(events).toStrictEqual([
      {
        type: 'oauth.access_token.revoked.v1',
        subject: grantId,
        data: { jti: claims.jti, grantId, clientId: 'legacy-app', sub: 'alice', reason: 'client_request', revokedAt: expect.any(Number), expiresAt: claims.exp },
      },
    ]);
  });

  it.each([
    ['a refresh token sent with hint access_token', 'refreshToken', 'access_token'],
    ['an access token sent with hint refresh_token', 'accessToken', 'refresh_token'],
    ['a refresh token without a hint', 'refreshToken', undefined],
    ['an access token with an unknown hint (ignored, RFC 7009 §2.1)', 'accessToken', 'id_token'],
  ] as const)('finds %s (a wrong hint extends the search, §2.1)', async (_name, which, hint) => {
    const tokens = await passwordTokens();
    expect(await revoke({ token: tokens[which], ...(hint ? { token_type_hint: hint } : {}) }, LEGACY_APP)).toStrictEqual(REVOKED);
    expect(await introspect(tokens.accessToken)).toStrictEqual(INACTIVE);
    expect(revocationEvents(tokens.grantId).map((event) => event.type)).toStrictEqual([which === 'refreshToken' ? 'oauth.grant.revoked.v1' : 'oauth.access_token.revoked.v1']);
  });

  it('answers 200 and changes nothing for another client\'s tokens (§2.1 validation fails, §2.2 answers 200)', async () => {
    const { accessToken, refreshToken, grantId } = await passwordTokens();

    expect(await revoke({ token: refreshToken }, WEB_APP)).toStrictEqual(REVOKED);
    expect(await revoke({ token: accessToken }, DEMO_SERVICE)).toStrictEqual(REVOKED);

    expect(await introspect(accessToken)).toMatchObject({ active: true });
    expect((await refresh(refreshToken)).status).toBe(200);
    expect(revocationEvents(grantId)).toStrictEqual([]);
  });

  it.each([
    ['an unknown opaque token', () => randomBytes(32).toString('base64url')],
    ['garbage', () => 'not a token'],
    ['an expired-looking JWT of nobody', () => 'eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjF9.c2ln'],
    ['4 KB of base64url', () => 'A'.repeat(4096)],
  ])('answers 200 for %s and publishes nothing', async (_name, token) => {
    const before = bus.readTopic(Topics.revocations).length;
    expect(await revoke({ token: token() }, LEGACY_APP)).toStrictEqual(REVOKED);
    expect(bus.readTopic(Topics.revocations).length).toBe(before);
  });

  it('revokes once: a second revocation of the same token answers 200 and publishes nothing more', async () => {
    const { accessToken, refreshToken, grantId } = await passwordTokens();
    expect(await revoke({ token: refreshToken }, LEGACY_APP)).toStrictEqual(REVOKED);
    expect(await revoke({ token: refreshToken }, LEGACY_APP)).toStrictEqual(REVOKED);
    expect(await revoke({ token: accessToken }, LEGACY_APP)).toStrictEqual(REVOKED);
    expect(revocationEvents(grantId).map((event) => event.type)).toStrictEqual(['oauth.grant.revoked.v1']);
  });

  it('lets a public client revoke its own refresh token naming itself with client_id (§2.1)', async () => {
    const codes = app.get<AuthorizationCodeStore>(AUTHORIZATION_CODE_STORE);
    const code = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const grant: AuthorizationCodeGrant = {
      grantId: `grant-${randomBytes(8).toString('hex')}`,
      clientId: 'spa',
      redirectUri: 'http://localhost:5173/callback',
      scopes: ['api:read'],
      subject: 'bob',
      authTime: now - 5,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      codeChallengeMethod: 'S256',
      issuedAt: now,
      expiresAt: now + 60,
    };
    await codes.save(sha256Hash(code), grant);
    const exchanged = await post('/token', { grant_type: 'authorization_code', code, redirect_uri: grant.redirectUri!, code_verifier: verifier, client_id: 'spa' });
    expect(exchanged.statusCode).toBe(200);
    const { access_token: accessToken, refresh_token: refreshToken } = exchanged.json<{ access_token: string; refresh_token: string }>();

    expect(await revoke({ token: refreshToken, client_id: 'spa' })).toStrictEqual(REVOKED);

    expect(await introspect(accessToken)).toStrictEqual(INACTIVE);
    expect((await post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'spa' })).json()).toStrictEqual(REFRESH_REFUSED.body);
    expect(revocationEvents(grant.grantId)).toStrictEqual([
      {
        type: 'oauth.grant.revoked.v1',
        subject: grant.grantId,
        data: { grantId: grant.grantId, clientId: 'spa', subject: 'bob', reason: 'client_request', revokedAt: expect.any(Number), coversUntil: expect.any(Number) },
      },
    ]);
  });

  it('answers 503 temporarily_unavailable while the event log is down, and revokes nothing: the refresh token still works, then revokes once it is back', async () => {
    const { accessToken, refreshToken, grantId } = await passwordTokens();
    bus.setUnavailable(true);
    try {
      const response = await post('/revoke', { token: refreshToken }, LEGACY_APP);
      expect({ status: response.statusCode, retryAfter: response.headers['retry-after'], body: response.json() }).toStrictEqual({
        status: 503,
        retryAfter: '1',
        body: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' },
      });
    } finally {
      bus.setUnavailable(false);
    }
    // Nothing was written: the family's revocation rolled back with the unacknowledged event.
    expect(revocationEvents(grantId)).toStrictEqual([]);
    expect(await introspect(accessToken)).toMatchObject({ active: true });
    const rotated = await refresh(refreshToken);
    expect(rotated.status).toBe(200);

    expect(await revoke({ token: rotated.body.refresh_token as string }, LEGACY_APP)).toStrictEqual(REVOKED);
    expect(await introspect(accessToken)).toStrictEqual(INACTIVE);
  });

  describe('bad input (RFC 7009 §2.2.1: the errors of RFC 6749 §5.2)', () => {
    const error = (status: number, code: string, description: string) => ({ status, body: { error: code, error_description: description } });
    async function refused(form: Record<string, string>, authorization?: string, headers: Record<string, string> = {}) {
      const response = await app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { 'content-type': FORM, ...(authorization ? { authorization } : {}), ...headers },
        payload: new URLSearchParams(form).toString(),
      });
      return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
    }

    it('answers 400 invalid_request without a token', async () => {
      expect(await refused({}, LEGACY_APP)).toStrictEqual(error(400, 'invalid_request', "parameter 'token' is missing"));
    });

    it('answers 401 invalid_client with a Basic challenge for a wrong secret', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { 'content-type': FORM, authorization: basic('legacy-app', 'wrong') },
        payload: 'token=x',
      });
      expect({ status: response.statusCode, challenge: response.headers['www-authenticate'], body: response.json() }).toStrictEqual({
        status: 401,
        challenge: 'Basic realm="token", error="invalid_client"',
        body: { error: 'invalid_client', error_description: 'client authentication failed' },
      });
    });

    it('answers 400 invalid_client without any client identification', async () => {
      expect(await refused({ token: 'x' })).toStrictEqual(error(400, 'invalid_client', 'client authentication is required'));
    });

    it('answers 400 invalid_request for a body that is not a form', async () => {
      const response = await app.inject({ method: 'POST', url: '/revoke', headers: { 'content-type': 'application/json', authorization: LEGACY_APP }, payload: '{"token":"x"}' });
      expect({ status: response.statusCode, body: response.json() }).toStrictEqual(error(400, 'invalid_request', 'the request body must be application/x-www-form-urlencoded'));
    });

    it('answers 400 invalid_request for a repeated token parameter (RFC 6749 §3.2)', async () => {
      const response = await app.inject({ method: 'POST', url: '/revoke', headers: { 'content-type': FORM, authorization: LEGACY_APP }, payload: 'token=a&token=b' });
      expect({ status: response.statusCode, body: response.json() }).toStrictEqual(error(400, 'invalid_request', "parameter 'token' is included more than once"));
    });
  });
});
