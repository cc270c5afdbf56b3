/**
 * The connected-apps dashboard in the all-in-one suite (embedded: PGlite, the in-process event bus,
 * users and groups from the LDIF file): the sign-in through /authorize/signin, a user's grants and
 * "Revoke access" (the refresh token is then invalid_grant at /token and the access token inactive at
 * /introspect), the admin view (alice is in cn=admins, bob is not), revoke one grant of another user,
 * revoke every grant of a client after a confirmation, and the CSRF and redirect rules.
 * The same journey runs in Chromium against the distributed services in
 * libs/testing/src/e2e/dashboard.int-spec.ts.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, loadSettings } from '@authz/platform';
import type { MemoryEventBus } from '@authz/adapters';
import { EVENT_PUBLISHER, silentLogger } from '@authz/ports';
import { hiddenFields, injectTransport, locationOf, PageBrowser } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const FORM = 'application/x-www-form-urlencoded';
const DEMO_WEB = { id: 'demo-web', secret: 'ZTi3LeugBvU4zgQMF_m8DTIfq7AaKErAbo8tmR0gBOA', callback: 'http://127.0.0.1:8091/callback' };
const WEB_APP = { id: 'web-app', secret: 'OTSeU3LY8wciN-jEkP-jZ4LnzfjIvZOA_qRHOUqhnGY', callback: 'http://localhost:3000/callback' };
const VERIFIER = 'M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

let app: NestFastifyApplication;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent' });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
});

/** Signs in through the dashboard's sign-in (GET /authorize/signin → login page → back to the account path). */
async function signIn(username: string, returnTo = '/account/apps'): Promise<PageBrowser> {
  const browser = new PageBrowser(injectTransport(app));
  const start = await browser.get(returnTo);
  expect({ status: start.status, location: start.headers.location }).toEqual({ status: 303, location: `${ISSUER}/authorize/signin?${new URLSearchParams({ return_to: returnTo })}` });
  const signin = await browser.get(`/authorize/signin?${new URLSearchParams({ return_to: returnTo })}`);
  expect(signin.status).toBe(303);
  const login = await browser.get(locationOf(signin));
  expect(login.body).toContain('<title>Sign in to your account</title>');
  const done = await browser.post('/authorize/login', { ...hiddenFields(login.body), username, password: `${username}-password` });
  expect({ status: done.status, location: done.headers.location }).toEqual({ status: 303, location: `${ISSUER}${returnTo}` });
  return browser;
}

/** The code flow for `client` in the user's browser (consent given when asked), redeemed at /token. */
async function authorizeApp(browser: PageBrowser, client: typeof DEMO_WEB, scope: string): Promise<{ access_token: string; refresh_token: string }> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.callback,
    scope,
    state: 'st',
    code_challenge: createHash('sha256').update(VERIFIER).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let response = await browser.get(`/authorize?${query}`);
  if (locationOf(response).startsWith('/authorize/consent')) {
    const consent = await browser.get(locationOf(response));
    response = await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' });
  }
  const code = new URL(locationOf(response)).searchParams.get('code')!;
  const token = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': FORM, authorization: basic(client.id, client.secret) },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.callback, code_verifier: VERIFIER }).toString(),
  });
  expect(token.statusCode).toBe(200);
  return token.json();
}

async function refresh(client: typeof DEMO_WEB, refreshToken: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': FORM, authorization: basic(client.id, client.secret) },
    payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

async function introspect(client: typeof DEMO_WEB, token: string) {
  const response = await app.inject({ method: 'POST', url: '/introspect', headers: { 'content-type': FORM, authorization: basic(client.id, client.secret) }, payload: `token=${token}` });
  return response.json<Record<string, unknown>>();
}

/** The rows of the page's table: each cell's text, tags stripped. */
function tableRows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()),
  );
}

/** The hidden fields of the form whose button names this app (aria-label). */
function revokeForm(html: string, label: string): Record<string, string> {
  const form = [...html.matchAll(/<form method="post"[\s\S]*?<\/form>/g)].map((match) => match[0]).find((markup) => markup.includes(`aria-label="${label}"`));
  if (!form) throw new Error(`no form for ${label}`);
  return hiddenFields(form);
}

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/;

describe('the connected-apps dashboard (all-in-one suite)', () => {
  it('lists the apps alice authorized; "Revoke access" ends the refresh token and the access token', async () => {
    const alice = await signIn('alice');
    const tokens = await authorizeApp(alice, DEMO_WEB, 'profile api:read');
    const page = await alice.get('/account/apps');
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({
      'cache-control': 'no-store',
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-frame-options': 'DENY',
    });
    const rows = tableRows(page.body);
    expect(rows).toEqual([['Demo Web App', 'Read your data in the API api:read See your name and username profile', expect.stringMatching(TIME), expect.stringMatching(TIME), 'Revoke access']]);
    expect(page.body).toContain('<a href="/account/admin">Administration: all users’ grants</a>');
    expect(await introspect(DEMO_WEB, tokens.access_token)).toMatchObject({ active: true, sub: 'alice', client_id: 'demo-web' });

    const revoked = await alice.post('/account/apps/revoke', revokeForm(page.body, 'Revoke access for Demo Web App'));
    expect({ status: revoked.status, location: revoked.headers.location }).toEqual({ status: 303, location: '/account/apps?revoked=demo-web' });
    const after = await alice.get(locationOf(revoked));
    expect(after.body).toContain('<p class="notice" role="status">Access for Demo Web App was revoked.</p>');
    expect(after.body).toContain('<p class="empty">No app has access to your account.</p>');

    expect(await refresh(DEMO_WEB, tokens.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    expect(await introspect(DEMO_WEB, tokens.access_token)).toEqual({ active: false });
  });

  it('refuses a replayed, foreign or missing form token, and another user’s grant', async () => {
    const alice = await signIn('alice');
    const tokens = await authorizeApp(alice, DEMO_WEB, 'profile');
    const page = await alice.get('/account/apps');
    const fields = revokeForm(page.body, 'Revoke access for Demo Web App');
    const carol = await signIn('carol');
    // carol's session, alice's form: the token is bound to alice's session.
    const foreign = await carol.post('/account/apps/revoke', fields);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('<p class="error" role="alert">This form was already sent or has expired. Open the page again and retry.</p>');
    // carol with a valid token of her own session, naming alice's grant: not hers, nothing revoked.
    await authorizeApp(carol, WEB_APP, 'api:read');
    const carolPage = await carol.get('/account/apps');
    const notHers = await carol.post('/account/apps/revoke', { ...revokeForm(carolPage.body, 'Revoke access for Demo web application (authorization code + refresh)'), grant_id: fields.grant_id! });
    expect(notHers.status).toBe(404);
    expect(notHers.body).toContain('<p class="error" role="alert">The app no longer has access to your account, or never had.</p>');
    const missing = await alice.post('/account/apps/revoke', { grant_id: fields.grant_id! });
    expect(missing.status).toBe(400);
    // The foreign attempt spent the token: alice's own submission of it is refused too (single use).
    expect((await alice.post('/account/apps/revoke', fields)).status).toBe(400);
    expect(await introspect(DEMO_WEB, tokens.access_token)).toMatchObject({ active: true });
  });

  it('keeps bob out of the admin view (403) and lets alice (cn=admins) revoke bob’s grant', async () => {
    const bob = await signIn('bob');
    const bobTokens = await authorizeApp(bob, WEB_APP, 'api:read');
    const forbidden = await bob.get('/account/admin');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toContain('<p class="error" role="alert">This page is for administrators only.</p>');
    expect(forbidden.headers['cache-control']).toBe('no-store');
    expect((await bob.get('/account/apps')).body).not.toContain('/account/admin');

    const alice = await signIn('alice', '/account/admin');
    const search = await alice.get('/account/admin?user=bob');
    expect(search.status).toBe(200);
    expect(tableRows(search.body)).toEqual([
      ['Demo web application (authorization code + refresh) web-app', 'bob', 'Read your data in the API api:read', expect.stringMatching(TIME), expect.stringMatching(TIME), 'Revoke'],
    ]);
    const revoked = await alice.post('/account/admin/revoke', revokeForm(search.body, 'Revoke the grant of Demo web application (authorization code + refresh) for bob'));
    expect({ status: revoked.status, location: revoked.headers.location }).toEqual({ status: 303, location: '/account/admin?user=bob&revoked=1' });
    const after = await alice.get(locationOf(revoked));
    expect(after.body).toContain('<p class="notice" role="status">The grant was revoked.</p>');
    expect(after.body).toContain('<p class="empty">No live grant for user bob.</p>');
    expect(await refresh(WEB_APP, bobTokens.refresh_token)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    expect(await introspect(WEB_APP, bobTokens.access_token)).toEqual({ active: false });
  });

  it('revokes every grant of a client after a confirmation step', async () => {
    const bob = await signIn('bob');
    const carol = await signIn('carol');
    const granted = [await authorizeApp(bob, DEMO_WEB, 'profile'), await authorizeApp(carol, DEMO_WEB, 'profile')];
    const alice = await signIn('alice', '/account/admin');
    const search = await alice.get('/account/admin?client=demo-web');
    const live = tableRows(search.body).length;
    expect(live).toBeGreaterThanOrEqual(2);
    expect(search.body).toContain('<a class="danger" href="/account/admin/revoke-client?client&#61;demo-web">Revoke every grant of demo-web…</a>');
    const confirm = await alice.get('/account/admin/revoke-client?client=demo-web');
    expect(confirm.body).toContain(`<h1>Revoke every grant of Demo Web App?</h1>`);
    expect(confirm.body).toContain(`<button type="submit" class="danger">Revoke all ${live} live grants</button>`);
    const done = await alice.post('/account/admin/revoke-client', hiddenFields(confirm.body));
    expect({ status: done.status, location: done.headers.location }).toEqual({ status: 303, location: `/account/admin?client=demo-web&revoked_all=${live}` });
    const after = await alice.get(locationOf(done));
    expect(after.body).toContain(`<p class="notice" role="status">${live} grants were revoked.</p>`);
    expect(after.body).toContain('<p class="empty">No live grant for client demo-web.</p>');
    for (const tokens of granted) {
      expect(await introspect(DEMO_WEB, tokens.access_token)).toEqual({ active: false });
      expect((await refresh(DEMO_WEB, tokens.refresh_token)).status).toBe(400);
    }
  });

  it('fails closed when the event log is down: a 503 page, nothing revoked, the grant still listed', async () => {
    const bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
    const carol = await signIn('carol');
    const tokens = await authorizeApp(carol, DEMO_WEB, 'profile');
    const page = await carol.get('/account/apps');
    bus.setUnavailable(true);
    try {
      const refused = await carol.post('/account/apps/revoke', revokeForm(page.body, 'Revoke access for Demo Web App'));
      expect({ status: refused.status, retryAfter: refused.headers['retry-after'] }).toEqual({ status: 503, retryAfter: '5' });
      expect(refused.body).toContain('<p class="error" role="alert">The service is temporarily unavailable. Please try again in a moment.</p>');
    } finally {
      bus.setUnavailable(false);
    }
    expect(tableRows((await carol.get('/account/apps')).body).map((row) => row[0])).toContain('Demo Web App');
    expect(await introspect(DEMO_WEB, tokens.access_token)).toMatchObject({ active: true });
    expect((await refresh(DEMO_WEB, tokens.refresh_token)).status).toBe(200);
  });

  it('returns only to its own fixed paths after a sign-in (no open redirect)', async () => {
    const browser = new PageBrowser(injectTransport(app));
    for (const returnTo of ['https://evil.example/account/apps', '//evil.example', '/account/apps/../../x', '/account/apps?x=1', '', '/account/app']) {
      const response = await browser.get(`/authorize/signin?${new URLSearchParams({ return_to: returnTo })}`);
      expect(response.status).toBe(400);
      expect(response.headers.location).toBeUndefined();
    }
    expect((await browser.get('/authorize/signin?return_to=/account/apps&return_to=/account/admin')).status).toBe(400);
    // Signed in already: straight back, no login page.
    const alice = await signIn('alice');
    const again = await alice.get('/authorize/signin?return_to=%2Faccount%2Fadmin');
    expect({ status: again.status, location: again.headers.location }).toEqual({ status: 303, location: `${ISSUER}/account/admin` });
  });
});
