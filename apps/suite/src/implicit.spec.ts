/**
 * The legacy implicit flow (RFC 6749 §4.2) in the all-in-one suite: only the seed client registered for
 * it (demo-legacy-implicit), login and consent, then the access token in the fragment; the same RFC
 * 9068 JWT as at /token (signed with the key of /jwks, known to /introspect), its event in the log.
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Envelope } from '@authz/contracts';
import { createHttpApp, loadSettings } from '@authz/platform';
import { EVENT_SUBSCRIBER, type EventSubscriber, silentLogger } from '@authz/ports';
import { hiddenFields, injectTransport, locationOf, PageBrowser } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const CALLBACK = 'http://127.0.0.1:8094/callback';
const DEMO_API = `Basic ${Buffer.from('demo-api:NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU').toString('base64')}`;
let app: NestFastifyApplication;
const issued: Envelope[] = [];

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent' });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const subscriber = app.get<EventSubscriber>(EVENT_SUBSCRIBER);
  await subscriber.subscribe({
    groupId: 'implicit-spec',
    topics: ['oauth.tokens'],
    fromBeginning: true,
    handle: async (events) => {
      issued.push(...events.map((event) => event.envelope).filter((envelope) => envelope.type === 'oauth.access_token.issued.v1'));
    },
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

const authorizeUrl = (extra: Record<string, string> = {}) =>
  `/authorize?${new URLSearchParams({ response_type: 'token', client_id: 'demo-legacy-implicit', redirect_uri: CALLBACK, scope: 'profile api:read', state: 'st-1', ...extra })}`;

function fragmentOf(location: string): Record<string, string> {
  const url = new URL(location);
  expect(`${url.origin}${url.pathname}`).toBe(CALLBACK);
  expect(url.search).toBe('');
  return Object.fromEntries(new URLSearchParams(url.hash.slice(1)));
}

async function introspect(token: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: DEMO_API },
    payload: new URLSearchParams({ token }).toString(),
  });
  return response.json<Record<string, unknown>>();
}

describe('the implicit flow (RFC 6749 §4.2, legacy) in the all-in-one suite', () => {
  it('logs alice in, takes her consent and returns the access token in the fragment, never a refresh token', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const login = await browser.get(locationOf(await browser.get(authorizeUrl())));
    const consent = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'alice', password: 'alice-password' })));
    const redirect = await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' });

    expect(redirect.status).toBe(303);
    const fragment = fragmentOf(locationOf(redirect));
    // RFC 6749 §4.2.2: scope omitted when identical to the request's; state and iss (RFC 9207) echoed.
    expect(fragment).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: '600', state: 'st-1', iss: ISSUER });

    const token = fragment.access_token!;
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(claims).toEqual({
      iss: ISSUER,
      sub: 'alice',
      aud: 'https://api.example.org',
      client_id: 'demo-legacy-implicit',
      scope: 'profile api:read',
      iat: expect.any(Number),
      exp: (claims.iat as number) + 600,
      jti: expect.any(String),
      grant_id: expect.any(String),
      auth_time: expect.any(Number),
    });
    const jwks = (await app.inject({ method: 'GET', url: '/jwks' })).json<{ keys: Array<{ kid: string }> }>();
    expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(token).kid);

    expect(await introspect(token)).toEqual({
      active: true,
      scope: 'profile api:read',
      client_id: 'demo-legacy-implicit',
      sub: 'alice',
      aud: 'https://api.example.org',
      iss: ISSUER,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    });
    // The event was acknowledged before the redirect; the in-memory bus hands it to subscribers a few ms later (its delivery linger).
    const find = () => issued.find((envelope) => (envelope.data as { jti: string }).jti === claims.jti);
    for (let turn = 0; turn < 200 && !find(); turn += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const event = find();
    expect(event?.data).toEqual({
      jti: claims.jti,
      grantId: expect.any(String),
      grantType: 'implicit',
      clientId: 'demo-legacy-implicit',
      sub: 'alice',
      scope: 'profile api:read',
      audience: ['https://api.example.org'],
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      tokenHash: expect.stringMatching(/^sha256:/),
    });

    // The session and the remembered consent: the next request (prompt=none) goes straight to a new token;
    // a request without scope gets the default one, named in the fragment since it differs.
    const silent = fragmentOf(locationOf(await browser.get(authorizeUrl({ prompt: 'none', state: 'st-2' }))));
    expect(silent).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: '600', state: 'st-2', iss: ISSUER });
    expect(silent.access_token).not.toBe(token);
    expect(fragmentOf(locationOf(await browser.get(authorizeUrl({ scope: '', state: 'st-3' }))))).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: '600',
      scope: 'profile',
      state: 'st-3',
      iss: ISSUER,
    });
  });

  it('sends its errors in the fragment (RFC 6749 §4.2.2.1): prompt=none without a session, a denial, PKCE parameters', async () => {
    const browser = new PageBrowser(injectTransport(app));
    expect(fragmentOf(locationOf(await browser.get(authorizeUrl({ prompt: 'none' }))))).toEqual({
      error: 'login_required',
      error_description: 'the user must log in',
      state: 'st-1',
      iss: ISSUER,
    });
    expect(fragmentOf(locationOf(await browser.get(authorizeUrl({ code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }))))).toEqual({
      error: 'invalid_request',
      error_description: 'PKCE applies to response_type code only',
      state: 'st-1',
      iss: ISSUER,
    });
    // RFC 8707 §2: a resource outside the client's audience is invalid_target (the token's audience is never widened).
    expect(fragmentOf(locationOf(await browser.get(`${authorizeUrl()}&resource=${encodeURIComponent('https://reports.example.org')}`)))).toEqual({
      error: 'invalid_target',
      error_description: 'the client may not obtain a token for: https://reports.example.org',
      state: 'st-1',
      iss: ISSUER,
    });

    const login = await browser.get(locationOf(await browser.get(authorizeUrl({ scope: 'api:read' }))));
    const consent = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'bob', password: 'bob-password' })));
    const denied = await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'deny' });
    expect(fragmentOf(locationOf(denied))).toEqual({ error: 'access_denied', error_description: 'the user denied the request', state: 'st-1', iss: ISSUER });
  });

  it('refuses response_type token to a client not registered for it (unauthorized_client, in the fragment)', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const location = locationOf(await browser.get(`/authorize?${new URLSearchParams({ response_type: 'token', client_id: 'demo-web', redirect_uri: 'http://127.0.0.1:8091/callback', state: 's' })}`));
    expect(location).toBe(
      `http://127.0.0.1:8091/callback#error=unauthorized_client&error_description=the+client+is+not+registered+for+response_type+token&state=s&iss=${encodeURIComponent(ISSUER)}`,
    );
  });
});
