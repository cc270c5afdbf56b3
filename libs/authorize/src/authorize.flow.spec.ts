/**
 * The authorization code flow over HTTP, in-process (embedded adapters: PGlite, in-memory TTL store and
 * bus; a fake credential verifier standing in for the identity service): every hop is asserted —
 * statuses, Location headers, cookies, page security headers, the stored code grant and the events.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InfrastructureModule, type MemoryEventBus } from '@authz/adapters';
import { sha256Hash } from '@authz/oauth';
import { createHttpApp, loadSettings, PlatformModule } from '@authz/platform';
import {
  AUTHORIZATION_CODE_STORE,
  type AuthorizationCodeStore,
  CREDENTIAL_VERIFIER,
  type CredentialCheck,
  type CredentialVerdict,
  type CredentialVerifier,
  EVENT_PUBLISHER,
  IdentityUnavailableError,
  silentLogger,
  TTL_STORE,
  type TtlStore,
  TtlStoreUnavailableError,
} from '@authz/ports';
import { hiddenFields, type HttpResponse, injectTransport, locationOf, PageBrowser } from '@authz/testing';
import { pagePaths } from './authorization-flow';
import { AuthorizeModule } from './authorize.module';

const ISSUER = 'https://issuer.test';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const CALLBACK = 'http://127.0.0.1:8091/callback';
/** Ten seconds ago: max_age=0 then requires a new login. */
const AUTH_TIME = Math.floor(Date.now() / 1000) - 10;

const checks: CredentialCheck[] = [];
const STAFF = 'cn=staff,ou=groups,dc=example,dc=org';
/** The group → scope policy: `email` at demo-portal only for staff (alice); nothing else is governed. */
const SCOPE_POLICY = JSON.stringify({ rules: [{ clients: ['demo-portal'], groups: [STAFF], scopes: ['email'] }] });
const fakeIdentity: CredentialVerifier = {
  async verify(check): Promise<CredentialVerdict> {
    checks.push(check);
    if (check.username === 'down') throw new IdentityUnavailableError('ldap down');
    if (check.username === 'locked') return { outcome: 'locked', retryAfter: 90 };
    if (check.username === 'slowed') return { outcome: 'locked', retryAfter: 4 };
    if (check.username === 'expired') return { outcome: 'invalid_credentials', reason: 'password_expired' };
    if (check.username === 'reset') return { outcome: 'invalid_credentials', reason: 'must_change_password' };
    if (check.password !== `${check.username}-password` || !['alice', 'bob'].includes(check.username)) return { outcome: 'invalid_credentials' };
    const groups = check.username === 'alice' ? [STAFF, 'cn=unrelated,ou=groups,dc=example,dc=org'] : [];
    return { outcome: 'authenticated', user: { subject: check.username, dn: `uid=${check.username},ou=people,dc=example,dc=org`, username: check.username, groups }, authTime: AUTH_TIME };
  },
};

@Global()
@Module({ providers: [{ provide: CREDENTIAL_VERIFIER, useValue: fakeIdentity }], exports: [CREDENTIAL_VERIFIER] })
class FakeIdentityModule {}

/** The seed clients plus one registered for the legacy implicit response type. */
function clientsFile(): string {
  const seed = JSON.parse(readFileSync(resolve(__dirname, '../../../deploy/seed/clients.json'), 'utf8')) as { clients: unknown[] };
  seed.clients.push({
    client_id: 'legacy-implicit',
    client_name: 'Legacy implicit client',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'implicit'],
    response_types: ['code', 'token'],
    scope: 'profile',
    default_scope: 'profile',
    redirect_uris: ['https://legacy.example/cb'],
  });
  const path = join(mkdtempSync(join(tmpdir(), 'authz-clients-')), 'clients.json');
  writeFileSync(path, JSON.stringify(seed));
  return path;
}

@Module({})
class TestAuthorizeApp {
  static create(): DynamicModule {
    const settings = loadSettings('authorize', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', CLIENTS_FILE: clientsFile(), SCOPE_POLICY });
    return {
      module: TestAuthorizeApp,
      imports: [
        PlatformModule.forRoot(settings, silentLogger),
        InfrastructureModule.forRoot(settings, { events: true, sql: true, ttl: true, clients: true, codes: true }),
        FakeIdentityModule,
        AuthorizeModule.register(),
      ],
    };
  }
}

let app: NestFastifyApplication;
let bus: MemoryEventBus;
let codes: AuthorizationCodeStore;

beforeAll(async () => {
  app = await createHttpApp(TestAuthorizeApp.create(), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  bus = app.get(EVENT_PUBLISHER);
  codes = app.get(AUTHORIZATION_CODE_STORE);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

beforeEach(() => {
  checks.length = 0;
});

const authorizeUrl = (extra: Record<string, string> = {}) =>
  `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-web', redirect_uri: CALLBACK, scope: 'profile api:read', state: 'xyz', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra })}`;

function events(type: string) {
  return bus
    .readTopic(type === 'oauth.consent.granted.v1' ? 'oauth.consents' : 'oauth.tokens')
    .map((record) => JSON.parse(record.value.toString()))
    .filter((envelope) => envelope.type === type);
}

async function loginPage(browser: PageBrowser, url = authorizeUrl()) {
  const start = await browser.get(url);
  expect(start.status).toBe(302);
  expect(locationOf(start)).toMatch(/^\/authorize\/login\?interaction=[A-Za-z0-9_-]{43}$/);
  const page = await browser.get(locationOf(start));
  expect(page.status).toBe(200);
  return page;
}

async function logIn(browser: PageBrowser, username = 'alice', password = `${username}-password`, url?: string) {
  const page = await loginPage(browser, url);
  return browser.post('/authorize/login', { ...hiddenFields(page.body), username, password });
}

async function consent(browser: PageBrowser, response: HttpResponse, decision: 'allow' | 'deny') {
  expect(response.status).toBe(303);
  const page = await browser.get(locationOf(response));
  expect(page.status).toBe(200);
  return browser.post('/authorize/consent', { ...hiddenFields(page.body), decision });
}

function codeFrom(location: string): { code: string; query: Record<string, string> } {
  const url = new URL(location);
  expect(`${url.origin}${url.pathname}`).toBe(CALLBACK);
  const query = Object.fromEntries(url.searchParams);
  return { code: query.code!, query };
}

describe('the authorization code flow (login page, consent page, code)', () => {
  it('logs alice in, asks her consent, and redirects a single-use code with state and iss', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const page = await loginPage(browser);

    // The login page: who asks, CSRF token, security headers, no script.
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http://127.0.0.1:8091; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<strong>Demo Web App</strong> wants to access your account.');
    expect(page.body).toContain('<label for="username">Username</label>');
    expect(page.body).not.toContain('<script');
    expect(Object.keys(hiddenFields(page.body))).toEqual(['interaction', 'form_token']);
    expect([...browser.cookies.keys()]).toEqual(['__Host-authz_browser']);

    const login = await browser.post('/authorize/login', { ...hiddenFields(page.body), username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(303);
    expect(locationOf(login)).toMatch(/^\/authorize\/consent\?interaction=[A-Za-z0-9_-]{43}$/);
    expect(login.setCookies).toEqual([expect.stringMatching(/^__Host-authz_session=[A-Za-z0-9_.-]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax; Secure$/)]);
    expect(checks).toEqual([{ username: 'alice', password: 'alice-password', clientId: 'demo-web', clientIp: '127.0.0.1' }]);

    const consentPage = await browser.get(locationOf(login));
    expect(consentPage.body).toContain('<strong>Demo Web App</strong> is asking to:');
    expect(consentPage.body).toContain('<li>See your name and username <code>profile</code></li>');
    expect(consentPage.body).toContain('<li>Read your data in the API <code>api:read</code></li>');
    expect(consentPage.body).toContain('Signed in as <strong>alice</strong>.');

    const allowed = await browser.post('/authorize/consent', { ...hiddenFields(consentPage.body), decision: 'allow' });
    expect(allowed.status).toBe(303);
    const { code, query } = codeFrom(locationOf(allowed));
    expect(query).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state: 'xyz', iss: ISSUER });

    const [issued] = events('oauth.authorization_code.issued.v1').filter((event) => event.data.codeHash === sha256Hash(code));
    expect(issued.data).toEqual({
      grantId: issued.subject,
      clientId: 'demo-web',
      sub: 'alice',
      scope: 'profile api:read',
      redirectUri: CALLBACK,
      codeHash: sha256Hash(code),
      pkceMethod: 'S256',
      authTime: AUTH_TIME,
      issuedAt: expect.any(Number),
      expiresAt: issued.data.issuedAt + 60,
    });
    expect(JSON.stringify(issued)).not.toContain(code);
    expect(events('oauth.consent.granted.v1').at(-1).data).toEqual({ sub: 'alice', clientId: 'demo-web', scopes: ['profile', 'api:read'], grantedAt: expect.any(Number) });

    expect(await codes.redeem(sha256Hash(code))).toEqual({
      outcome: 'redeemed',
      grant: {
        grantId: issued.subject,
        clientId: 'demo-web',
        redirectUri: CALLBACK,
        scopes: ['profile', 'api:read'],
        subject: 'alice',
        authTime: AUTH_TIME,
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
        issuedAt: issued.data.issuedAt,
        expiresAt: issued.data.expiresAt,
      },
    });
    expect(await codes.redeem(sha256Hash(code))).toEqual({ outcome: 'replayed', grantId: issued.subject, clientId: 'demo-web' });

    // Remembered consent: a subset skips both pages (the session is still valid).
    const again = await browser.get(authorizeUrl({ scope: 'api:read', state: 'second' }));
    expect(again.status).toBe(302);
    expect(codeFrom(locationOf(again)).query).toEqual({ code: expect.any(String), state: 'second', iss: ISSUER });

    // prompt=consent shows the page anyway; more scopes than granted too.
    expect(locationOf(await browser.get(authorizeUrl({ prompt: 'consent' })))).toMatch(/^\/authorize\/consent\?/);
    expect(locationOf(await browser.get(authorizeUrl({ scope: 'api:write' })))).toMatch(/^\/authorize\/consent\?/);
    // prompt=login and an exceeded max_age force a new login.
    expect(locationOf(await browser.get(authorizeUrl({ prompt: 'login' })))).toMatch(/^\/authorize\/login\?/);
    expect(locationOf(await browser.get(authorizeUrl({ max_age: '0' })))).toMatch(/^\/authorize\/login\?/);
    // prompt=none with everything granted: straight to the code.
    expect(codeFrom(locationOf(await browser.get(authorizeUrl({ prompt: 'none', state: 'n' })))).query).toEqual({ code: expect.any(String), state: 'n', iss: ISSUER });
    expect(locationOf(await browser.get(authorizeUrl({ prompt: 'none', scope: 'email' })))).toBe(
      `${CALLBACK}?error=consent_required&error_description=the+user+must+consent&state=xyz&iss=https%3A%2F%2Fissuer.test`,
    );
  });

  it('binds the code to the RFC 8707 resources of the request, shows them (escaped) on the consent page, and redirects invalid_target otherwise', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const base = { response_type: 'code', client_id: 'web-app', scope: 'api:read', state: 'r', code_challenge: CHALLENGE, code_challenge_method: 'S256' };
    const url = `/authorize?${new URLSearchParams([...Object.entries(base), ['resource', 'https://reports.example.org'], ['resource', 'https://reports.example.org']])}`;
    const consentPage = await browser.get(locationOf(await logIn(browser, 'alice', 'alice-password', url)));
    expect(consentPage.body).toContain('<p class="who">At:</p>\n<ul class="resources">\n<li><code>https:&#47;&#47;reports.example.org</code></li>\n</ul>'.replace(/&#47;/g, '/'));
    const allowed = await browser.post('/authorize/consent', { ...hiddenFields(consentPage.body), decision: 'allow' });
    const code = new URL(locationOf(allowed)).searchParams.get('code')!;
    expect(await codes.redeem(sha256Hash(code))).toEqual({ outcome: 'redeemed', grant: expect.objectContaining({ clientId: 'web-app', resources: ['https://reports.example.org'] }) });

    for (const [resource, description] of [
      ['https://other.example.org', 'the client may not obtain a token for: https://other.example.org'],
      ['https://api.example.org#x', 'a resource must be an absolute URI without a fragment'],
    ]) {
      const refused = await browser.get(`/authorize?${new URLSearchParams([...Object.entries(base), ['resource', resource!]])}`);
      expect(refused.status).toBe(302);
      expect(locationOf(refused)).toBe(
        `http://localhost:3000/callback?${new URLSearchParams({ error: 'invalid_target', error_description: description!, state: 'r', iss: ISSUER })}`,
      );
    }
  });

  it("a cross-site POST /authorize (no SameSite=Lax cookie sent) never replaces the browser binding: other tabs' interactions go on", async () => {
    const browser = new PageBrowser(injectTransport(app));
    const firstTab = await loginPage(browser);
    const binding = browser.cookies.get('__Host-authz_browser');
    const query = new URL(`https://x${authorizeUrl({ state: 'posted' })}`).searchParams;

    // A cross-site form POST: the browser sends no Lax cookie. No cookie is set; a 303 to a one-use resume
    // address, which the browser follows as a top-level GET (Lax cookies sent).
    const crossSite = await browser.post('/authorize', [...query], { cookie: '' });
    expect(crossSite.status).toBe(303);
    expect(crossSite.setCookies).toEqual([]);
    expect(locationOf(crossSite)).toMatch(/^\/authorize\/resume\?request=[A-Za-z0-9_-]{43}$/);
    const resumed = await browser.get(locationOf(crossSite));
    expect(resumed.status).toBe(302);
    expect(resumed.setCookies).toEqual([]);
    expect(locationOf(resumed)).toMatch(/^\/authorize\/login\?interaction=[A-Za-z0-9_-]{43}$/);
    expect(browser.cookies.get('__Host-authz_browser')).toBe(binding);
    // The resume address is used once.
    const again = await browser.get(locationOf(crossSite));
    expect(again.status).toBe(400);
    expect(again.body).toContain('This sign-in request has expired or was already used.');

    // Both tabs go on: the second tab's login, then the first tab's (same binding).
    const secondTab = await browser.get(locationOf(resumed));
    const login = await browser.post('/authorize/login', { ...hiddenFields(secondTab.body), username: 'alice', password: 'alice-password' });
    expect(login.status).toBe(303);
    const firstLogin = await browser.post('/authorize/login', { ...hiddenFields(firstTab.body), username: 'alice', password: 'alice-password' });
    expect(firstLogin.status).toBe(303);

    // A same-site POST (the binding cookie sent) is served at once and keeps the binding.
    const sameSite = await browser.post('/authorize', [...query]);
    expect(sameSite.status).toBe(302);
    expect(sameSite.setCookies).toEqual([]);

    // A browser without any binding cookie (first visit) gets one when it arrives at the GET.
    const fresh = new PageBrowser(injectTransport(app));
    const posted = await fresh.post('/authorize', [...query]);
    expect(posted.setCookies).toEqual([]);
    const started = await fresh.get(locationOf(posted));
    expect(started.setCookies).toEqual([expect.stringMatching(/^__Host-authz_browser=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/)]);
  });

  it('answers login_required to prompt=none without a session, without showing a page', async () => {
    const response = await new PageBrowser(injectTransport(app)).get(authorizeUrl({ prompt: 'none' }));
    expect(response.status).toBe(302);
    expect(locationOf(response)).toBe(`${CALLBACK}?error=login_required&error_description=the+user+must+log+in&state=xyz&iss=https%3A%2F%2Fissuer.test`);
  });

  it('redirects access_denied when the user denies', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const denied = await consent(browser, await logIn(browser, 'bob'), 'deny');
    expect(denied.status).toBe(303);
    expect(locationOf(denied)).toBe(`${CALLBACK}?error=access_denied&error_description=the+user+denied+the+request&state=xyz&iss=https%3A%2F%2Fissuer.test`);
  });

  it('skips the consent page for a first-party client', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const url = `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-portal', scope: 'profile email', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
    const login = await logIn(browser, 'bob', 'bob-password', url);
    expect(login.status).toBe(303);
    const location = new URL(locationOf(login));
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:8093/callback');
    expect([...location.searchParams.keys()]).toEqual(['code', 'iss']);
    const redeemed = await codes.redeem(sha256Hash(location.searchParams.get('code')!));
    // No redirect_uri in the request: none in the grant (RFC 6749 §4.1.3).
    expect(redeemed).toEqual({ outcome: 'redeemed', grant: expect.not.objectContaining({ redirectUri: expect.anything() }) });
  });

  it('drops the scopes the group → scope policy does not give the user (not an error), also for a session', async () => {
    const url = `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-portal', scope: 'profile email', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
    const grantOf = async (response: HttpResponse) => {
      expect(response.status).toBe(response.status === 302 ? 302 : 303);
      const redeemed = await codes.redeem(sha256Hash(new URL(locationOf(response)).searchParams.get('code')!));
      return redeemed.outcome === 'redeemed' ? redeemed.grant.scopes : redeemed.outcome;
    };
    const bob = new PageBrowser(injectTransport(app));
    expect(await grantOf(await logIn(bob, 'bob', 'bob-password', url))).toEqual(['profile']);
    const alice = new PageBrowser(injectTransport(app));
    expect(await grantOf(await logIn(alice, 'alice', 'alice-password', url))).toEqual(['profile', 'email']);
    // The session keeps the groups the policy names (only those), so single sign-on decides the same way.
    expect(await grantOf(await alice.get(url))).toEqual(['profile', 'email']);
    expect(await grantOf(await bob.get(url))).toEqual(['profile']);
  });

  it('tells an expired or must-change password when the identity service discloses it', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const page = await loginPage(browser);
    const expired = await browser.post('/authorize/login', { ...hiddenFields(page.body), username: 'expired', password: 'x' });
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('<div id="login-error" class="error" role="alert">Your password has expired. Change it, then sign in again.</div>');
    const reset = await browser.post('/authorize/login', { ...hiddenFields(expired.body), username: 'reset', password: 'x' });
    expect(reset.status).toBe(401);
    expect(reset.body).toContain('<div id="login-error" class="error" role="alert">You must change your password before you can sign in.</div>');
  });

  it('answers a wrong password, a locked account and an identity outage on the login page, generically', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const page = await loginPage(browser);
    const wrong = await browser.post('/authorize/login', { ...hiddenFields(page.body), username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('<div id="login-error" class="error" role="alert">The username or password is incorrect.</div>');
    expect(wrong.body).toContain('aria-invalid="true" aria-describedby="login-error"');
    const unknown = await browser.post('/authorize/login', { ...hiddenFields(wrong.body), username: 'mallory', password: 'x' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.replace(/value="[^"]*"/g, '')).toBe(wrong.body.replace(/value="[^"]*"/g, ''));

    const locked = await browser.post('/authorize/login', { ...hiddenFields(unknown.body), username: 'locked', password: 'x' });
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toBe('90');
    expect(locked.body).toContain('Too many failed attempts. Try again in 2 minutes.');

    const slowed = await browser.post('/authorize/login', { ...hiddenFields(locked.body), username: 'slowed', password: 'x' });
    expect({ status: slowed.status, retryAfter: slowed.headers['retry-after'] }).toEqual({ status: 429, retryAfter: '4' });
    expect(slowed.body).toContain('Too many failed attempts. Try again in 4 seconds.');

    const down = await browser.post('/authorize/login', { ...hiddenFields(slowed.body), username: 'down', password: 'x' });
    expect(down.status).toBe(503);
    expect(down.body).toContain('Sign-in is temporarily unavailable. Please try again in a moment.');

    const ok = await browser.post('/authorize/login', { ...hiddenFields(down.body), username: 'alice', password: 'alice-password' });
    expect(ok.status).toBe(303);
  });

  it('refuses a replayed, forged or foreign form', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const page = await loginPage(browser);
    const fields = hiddenFields(page.body);
    const first = await browser.post('/authorize/login', { ...fields, username: 'alice', password: 'nope' });
    expect(first.status).toBe(401);
    const replay = await browser.post('/authorize/login', { ...fields, username: 'alice', password: 'alice-password' });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('This form was already sent or has expired.');

    const forged = await browser.post('/authorize/login', { interaction: fields.interaction!, username: 'alice', password: 'alice-password' });
    expect(forged.status).toBe(400);

    // Another browser (no binding cookie) cannot use this browser's form.
    const other = new PageBrowser(injectTransport(app));
    const foreign = await other.post('/authorize/login', { ...hiddenFields(first.body), username: 'alice', password: 'alice-password' });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('This sign-in request has expired or was already used.');
  });

  it('without an access token issuer (ACCESS_TOKEN_ISSUER) the implicit flow is not served: a client registered for it learns so in the fragment (RFC 6749 §4.2.2.1)', async () => {
    const response = await new PageBrowser(injectTransport(app)).get('/authorize?response_type=token&client_id=legacy-implicit&state=s');
    expect(response.status).toBe(302);
    expect(locationOf(response)).toBe(
      'https://legacy.example/cb#error=unsupported_response_type&error_description=response_type+token+%28implicit%29+is+not+served%3B+use+code+with+PKCE&state=s&iss=https%3A%2F%2Fissuer.test',
    );
  });

  it('fails closed when a dependency is down: temporarily_unavailable to the client, or a 503 page', async () => {
    const ttl = app.get<TtlStore>(TTL_STORE);
    const down = () => Promise.reject(new TtlStoreUnavailableError('redis down'));
    const browser = new PageBrowser(injectTransport(app));

    const set = jest.spyOn(ttl, 'set').mockImplementationOnce(down);
    const start = await browser.get(authorizeUrl());
    set.mockRestore();
    expect(start.status).toBe(302);
    expect(locationOf(start)).toBe(`${CALLBACK}?error=temporarily_unavailable&error_description=the+service+is+temporarily+unavailable%2C+retry+later&state=xyz&iss=https%3A%2F%2Fissuer.test`);

    const login = locationOf(await browser.get(authorizeUrl()));
    const get = jest.spyOn(ttl, 'get').mockImplementationOnce(down);
    const page = await browser.get(login);
    get.mockRestore();
    expect({ status: page.status, retryAfter: page.headers['retry-after'] }).toEqual({ status: 503, retryAfter: '5' });
    expect(page.body).toContain('Sign-in is temporarily unavailable. Please try again in a moment.');

    // Kafka down when the user allows: no consent, no code; the client is told to retry.
    const consentPage = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields((await browser.get(login)).body), username: 'bob', password: 'bob-password' })));
    bus.setUnavailable(true);
    try {
      const allowed = await browser.post('/authorize/consent', { ...hiddenFields(consentPage.body), decision: 'allow' });
      expect(allowed.status).toBe(303);
      expect(locationOf(allowed)).toBe(`${CALLBACK}?error=temporarily_unavailable&error_description=the+service+is+temporarily+unavailable%2C+retry+later&state=xyz&iss=https%3A%2F%2Fissuer.test`);
    } finally {
      bus.setUnavailable(false);
    }
    expect(events('oauth.consent.granted.v1').filter((event) => event.data.sub === 'bob')).toEqual([]);
  });

  it('never redirects to an unregistered URI: an error page instead', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const response = await browser.get(authorizeUrl({ redirect_uri: 'https://evil.example/callback' }));
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
    expect(response.body).toContain('<p role="alert">The redirect URI of the request is not registered for this application.</p>');
  });
});

describe('pagePaths', () => {
  it('puts the pages under the issuer path', () => {
    expect(pagePaths('https://issuer.test')).toEqual({ login: '/authorize/login', consent: '/authorize/consent', resume: '/authorize/resume', css: '/authorize/assets/authorize.css' });
    expect(pagePaths('https://example.org/tenant-a/')).toEqual({
      login: '/tenant-a/authorize/login',
      consent: '/tenant-a/authorize/consent',
      resume: '/tenant-a/authorize/resume',
      css: '/tenant-a/authorize/assets/authorize.css',
    });
  });
});
