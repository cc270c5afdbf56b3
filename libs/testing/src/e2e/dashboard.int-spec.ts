/**
 * The connected-apps dashboard (issue 5), end to end in a real browser (Debian's chromium through
 * playwright-core, never downloaded) against the distributed services on real Kafka, PostgreSQL, Redis
 * and slapd: alice signs in at the dashboard (the authorize service's login page, the same session
 * cookie), authorizes demo-web with the code flow, sees it listed and revokes it; the refresh token is
 * then invalid_grant at /token, the access token inactive at /introspect and refused by demo-api.
 * bob cannot open the admin view (403: not in cn=admins); alice (in it) searches bob and revokes his
 * grant, then revokes every grant of demo-web after a confirmation. Screenshots to docs/screenshots.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { WORKSPACE_ROOT } from '../provision';
import { cleanupRun, createRunDatabase, e2eRun, eventually, serviceEnv } from './environment';
import { freePort, type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'http://localhost:8080';
const DEMO_WEB = { id: 'demo-web', secret: 'ZTi3LeugBvU4zgQMF_m8DTIfq7AaKErAbo8tmR0gBOA', callback: '' };
const SCREENSHOTS = join(WORKSPACE_ROOT, 'docs', 'screenshots');
const FORM = 'application/x-www-form-urlencoded';

const e2e = e2eRun('e2e-dash');
let services: Record<string, RunningService> = {};
/** demo-web's callback (registered as http://127.0.0.1:8091/callback; a loopback port may vary, RFC 8252 §7.3): the test reads the code from the address. */
let callbackServer: Server;
const userDataDirs: string[] = [];
const contexts: BrowserContext[] = [];

type Tokens = { access_token: string; refresh_token: string };

async function newBrowser(): Promise<Page> {
  const dir = mkdtempSync(join(tmpdir(), 'authz-chromium-'));
  userDataDirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 960, height: 640 },
  });
  contexts.push(context);
  return context.pages()[0] ?? (await context.newPage());
}

/** Opens a dashboard page; without a session the browser goes through the login page and comes back. */
async function signIn(page: Page, username: string, path: '/account/apps' | '/account/admin'): Promise<number> {
  await page.goto(`${services.revocation!.url}${path}`);
  await page.waitForSelector('#username');
  expect(new URL(page.url()).pathname).toBe('/authorize/login');
  expect(await page.title()).toBe('Sign in to your account');
  await page.fill('#username', username);
  await page.fill('#password', `${username}-password`);
  const [response] = await Promise.all([page.waitForResponse((candidate) => candidate.url() === `${services.revocation!.url}${path}`), page.click('button[type=submit]')]);
  return response.status();
}

/** The code flow for demo-web in this browser (the session is there: consent only), redeemed at /token. */
async function authorizeDemoWeb(page: Page, scope: string): Promise<Tokens> {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: DEMO_WEB.id,
    redirect_uri: DEMO_WEB.callback,
    scope,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  await page.goto(`${services.authorize!.url}/authorize?${query}`);
  if (new URL(page.url()).pathname === '/authorize/consent') await Promise.all([page.waitForURL(`${DEMO_WEB.callback}?**`), page.click('button[value=allow]')]);
  const code = new URL(page.url()).searchParams.get('code')!;
  const response = await fetch(`${services.token!.url}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: `Basic ${Buffer.from(`${DEMO_WEB.id}:${DEMO_WEB.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: DEMO_WEB.callback, code_verifier: verifier }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Tokens;
}

async function refresh(tokens: Tokens): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${services.token!.url}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: `Basic ${Buffer.from(`${DEMO_WEB.id}:${DEMO_WEB.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
  });
  return { status: response.status, body: await response.json() };
}

async function introspect(tokens: Tokens): Promise<Record<string, unknown>> {
  const response = await fetch(`${services.introspection!.url}/introspect`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: `Basic ${Buffer.from(`${DEMO_WEB.id}:${DEMO_WEB.secret}`).toString('base64')}` },
    body: new URLSearchParams({ token: tokens.access_token }),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** demo-api's GET /api/me (any valid token, whatever its scopes): 200, or 401 for a revoked one. */
async function callApi(tokens: Tokens): Promise<number> {
  return (await fetch(`${services['demo-api']!.url}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status;
}

/** The grant's tokens are dead everywhere: refresh refused, introspection inactive, demo-api refuses. */
async function expectRevoked(tokens: Tokens): Promise<void> {
  expect(await refresh(tokens)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
  await eventually(async () => expect(await introspect(tokens)).toEqual({ active: false }), 5_000, 50);
  await eventually(async () => expect(await callApi(tokens)).toBe(401), 5_000, 50);
}

/** Each table row's cells, as the user reads them. */
async function tableRows(page: Page): Promise<string[][]> {
  return page.$$eval('tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => (cell as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim())));
}

const TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);

beforeAll(async () => {
  await createRunDatabase(e2e);
  // The dashboard (revocation) and the login page (authorize) send the browser to each other: their
  // ports are chosen first. Cookies are per host, not per port: the session reaches both.
  const [authorizePort, revocationPort] = [await freePort(), await freePort()];
  const env = serviceEnv(e2e, {
    ISSUER,
    SESSION_KEYS: randomBytes(32).toString('base64url'),
    IDENTITY_INTERNAL_TOKEN: randomBytes(32).toString('base64url'),
    ACCESS_TOKEN_TTL: '300',
    LOG_LEVEL: 'warn',
    ACCOUNT_URL: `http://127.0.0.1:${revocationPort}`,
    AUTHORIZE_URL: `http://127.0.0.1:${authorizePort}`,
  });
  services.identity = await startServiceProcess('identity', env);
  const withIdentity = { ...env, IDENTITY_URL: services.identity.url };
  services.token = await startServiceProcess('token', withIdentity);
  const rest = await Promise.all([
    startServiceProcess('introspection', env),
    startServiceProcess('revocation', { ...env, PORT: String(revocationPort) }),
    startServiceProcess('authorize', { ...withIdentity, PORT: String(authorizePort) }),
  ]);
  for (const service of rest) services[service.name] = service;
  services['demo-api'] = await startServiceProcess('demo-api', { ...env, INTROSPECTION_URL: `${services.introspection!.url}/verify`, RESOURCE_JWKS_URL: `${services.token!.url}/jwks` });
  callbackServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Demo Web App</title><h1>Signed in</h1>'));
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', () => resolve()));
  const address = callbackServer.address();
  DEMO_WEB.callback = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/callback`;
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
  for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
  callbackServer?.closeAllConnections();
  await new Promise((resolve) => (callbackServer ? callbackServer.close(resolve) : resolve(undefined)));
  await Promise.all(Object.values(services).map(stopServiceProcess));
  services = {};
  await cleanupRun(e2e);
}, 60_000);

describe('the connected-apps dashboard in a browser, over the distributed services', () => {
  let alice: Page;
  let bob: Page;
  let bobTokens: Tokens;

  it('alice signs in, sees the app she authorized and revokes it: its tokens are dead at /token, /introspect and demo-api', async () => {
    alice = await newBrowser();
    expect(await signIn(alice, 'alice', '/account/apps')).toBe(200);
    expect(await alice.textContent('h1')).toBe('Connected apps');
    expect(await alice.textContent('.empty')).toBe('No app has access to your account.');

    const tokens = await authorizeDemoWeb(alice, 'profile api:read');
    expect(await callApi(tokens)).toBe(200);
    await alice.goto(`${services.revocation!.url}/account/apps`);
    expect(await tableRows(alice)).toEqual([['Demo Web App', 'Read your data in the API api:read See your name and username profile', TIME, TIME, 'Revoke access']]);
    await alice.screenshot({ path: join(SCREENSHOTS, 'dashboard-user.png') });

    // Keyboard only: the button is reachable and named after the app.
    await alice.focus('button[aria-label="Revoke access for Demo Web App"]');
    await Promise.all([alice.waitForURL(/\/account\/apps\?revoked=demo-web$/), alice.keyboard.press('Enter')]);
    expect(await alice.textContent('[role=status]')).toBe('Access for Demo Web App was revoked.');
    expect(await alice.textContent('.empty')).toBe('No app has access to your account.');
    await expectRevoked(tokens);
  });

  it('bob, not in cn=admins, is refused the admin view (403)', async () => {
    bob = await newBrowser();
    expect(await signIn(bob, 'bob', '/account/admin')).toBe(403);
    expect(await bob.textContent('[role=alert]')).toBe('This page is for administrators only.');
    bobTokens = await authorizeDemoWeb(bob, 'profile');
    await bob.goto(`${services.revocation!.url}/account/apps`);
    expect(await tableRows(bob)).toEqual([['Demo Web App', 'See your name and username profile', TIME, TIME, 'Revoke access']]);
    expect(await bob.$('a[href="/account/admin"]')).toBeNull();
  });

  it('alice (admin) searches bob and revokes his grant', async () => {
    await alice.goto(`${services.revocation!.url}/account/admin`);
    expect(await alice.textContent('h1')).toBe('Grants administration');
    await alice.fill('#user', 'bob');
    await Promise.all([alice.waitForURL(/\/account\/admin\?user=bob/), alice.click('button:text("Search")')]);
    expect(await tableRows(alice)).toEqual([['Demo Web App demo-web', 'bob', 'See your name and username profile', TIME, TIME, 'Revoke']]);
    await alice.screenshot({ path: join(SCREENSHOTS, 'dashboard-admin.png') });
    await Promise.all([alice.waitForURL(/revoked=1$/), alice.click('button[aria-label="Revoke the grant of Demo Web App for bob"]')]);
    expect(await alice.textContent('[role=status]')).toBe('The grant was revoked.');
    expect(await alice.textContent('.empty')).toBe('No live grant for user bob.');
    await expectRevoked(bobTokens);
  });

  it('alice revokes every grant of demo-web after a confirmation step', async () => {
    const carol = await newBrowser();
    expect(await signIn(carol, 'carol', '/account/apps')).toBe(200);
    const granted = [await authorizeDemoWeb(bob, 'profile'), await authorizeDemoWeb(carol, 'profile api:read'), await authorizeDemoWeb(alice, 'profile')];
    await alice.goto(`${services.revocation!.url}/account/admin?client=demo-web`);
    expect((await tableRows(alice)).map((row) => row[1]).sort()).toEqual(['alice', 'bob', 'carol']);
    await Promise.all([alice.waitForURL(/\/account\/admin\/revoke-client\?client=demo-web$/), alice.click('a:text("Revoke every grant of demo-web…")')]);
    expect(await alice.textContent('h1')).toBe('Revoke every grant of Demo Web App?');
    await alice.screenshot({ path: join(SCREENSHOTS, 'dashboard-revoke-all.png') });
    await Promise.all([alice.waitForURL(/revoked_all=3$/), alice.click('button:text("Revoke all 3 live grants")')]);
    expect(await alice.textContent('[role=status]')).toBe('3 grants were revoked.');
    for (const tokens of granted) await expectRevoked(tokens);
  });
});
