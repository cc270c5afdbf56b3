/**
 * The authorization code flow of the seed documents, end to end, in a real browser (Debian's chromium
 * driven by playwright-core; no browser is ever downloaded) against the distributed services on real
 * Kafka, PostgreSQL, Redis and slapd: a small client app redirects to /authorize, the user logs in with
 * the LDAP password on our page, approves, the client redeems the code at /token with its PKCE verifier
 * and calls demo-api with the token. A second browser covers a wrong password and a denial; the first
 * comes back for a remembered consent. The hostile-input table runs against the authorize service too.
 * Screenshots of the login and consent pages are written to docs/screenshots.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createKafka, KafkaEventSubscriber, PgDatabase, PrefixedEventSubscriber } from '@authz/adapters';
import { silentLogger } from '@authz/ports';
import { consentsProjection, rebuildProjection } from '@authz/projections';
import { AUTHORIZE_BAD_INPUT_CASES, runBadInputCase } from '../authorize-bad-input.cases';
import { fetchTransport, hiddenFields, locationOf, PageBrowser } from '../page-browser';
import { WORKSPACE_ROOT } from '../provision';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'http://localhost:8080';
const CLIENT = { id: 'demo-web', secret: 'ZTi3LeugBvU4zgQMF_m8DTIfq7AaKErAbo8tmR0gBOA' };
const SCREENSHOTS = join(WORKSPACE_ROOT, 'docs', 'screenshots');

const e2e = e2eRun('e2e');
const { run, prefix, databaseUrl } = e2e;

let services: Record<string, RunningService> = {};
let clientApp: TinyClient;
const userDataDirs: string[] = [];
const contexts: BrowserContext[] = [];

/**
 * The third-party application of the seed documents: "log in with …" sends the browser to /authorize
 * (state, PKCE S256); /callback redeems the code at /token with the verifier and calls demo-api.
 */
class TinyClient {
  private readonly server: Server;
  private readonly pending = new Map<string, string>();
  readonly outcomes: Array<Record<string, unknown>> = [];
  url = '';

  constructor(private readonly endpoints: { authorize: string; token: string; api: string }) {
    this.server = createServer((request, response) => {
      this.handle(new URL(request.url ?? '/', this.url)).then(
        ({ status, headers, body }) => response.writeHead(status, headers).end(body),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The registered redirect URI is http://127.0.0.1:8091/callback; a loopback port may vary (RFC 8252 §7.3). */
  get redirectUri(): string {
    return `${this.url}/callback`;
  }

  private async handle(url: URL): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    if (url.pathname === '/login') {
      const state = randomBytes(16).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      this.pending.set(state, verifier);
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: CLIENT.id,
        redirect_uri: this.redirectUri,
        scope: url.searchParams.get('scope') ?? 'profile api:read',
        state,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      });
      return { status: 302, headers: { location: `${this.endpoints.authorize}/authorize?${query}` }, body: '' };
    }
    if (url.pathname === '/callback') {
      const parameters = Object.fromEntries(url.searchParams);
      const verifier = this.pending.get(parameters.state ?? '');
      this.pending.delete(parameters.state ?? '');
      if (!verifier) return this.page({ step: 'callback', error: 'unknown state', parameters });
      if (parameters.error) return this.page({ step: 'callback', parameters });
      const redeem = () =>
        fetch(`${this.endpoints.token}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: parameters.code!, redirect_uri: this.redirectUri, code_verifier: verifier }),
        });
      const tokenResponse = await redeem();
      const tokens = (await tokenResponse.json()) as Record<string, unknown>;
      const replay = await redeem();
      const api = await fetch(`${this.endpoints.api}/api/hello`, { headers: { authorization: `Bearer ${String(tokens.access_token)}` } });
      return this.page({
        step: 'callback',
        parameters,
        token: { status: tokenResponse.status, body: tokens },
        replay: { status: replay.status, body: await replay.json() },
        api: { status: api.status, body: await api.json() },
      });
    }
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
  }

  private page(outcome: Record<string, unknown>) {
    this.outcomes.push(outcome);
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><title>Demo Web App</title><h1>Signed in</h1><pre id="outcome">${this.outcomes.length - 1}</pre>` };
  }
}

async function newBrowser(): Promise<{ context: BrowserContext; page: Page; visited: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'authz-chromium-'));
  userDataDirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 720, height: 640 },
  });
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  const visited: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest()) visited.push(new URL(request.url()).pathname);
  });
  return { context, page, visited };
}

/** The outcome the client app recorded for the page it just rendered. */
async function outcomeOf(page: Page): Promise<Record<string, unknown>> {
  await page.waitForSelector('#outcome');
  return clientApp.outcomes[Number(await page.textContent('#outcome'))]!;
}

beforeAll(async () => {
  await createRunDatabase(e2e);
  const internalToken = randomBytes(32).toString('base64url');
  const env = serviceEnv(e2e, {
    ISSUER,
    SESSION_KEYS: randomBytes(32).toString('base64url'),
    IDENTITY_INTERNAL_TOKEN: internalToken,
    ACCESS_TOKEN_TTL: '300',
    LOG_LEVEL: 'warn',
  });
  // The token service first: it creates the topics, migrates and publishes its key.
  services.identity = await startServiceProcess('identity', env);
  const withIdentity = { ...env, IDENTITY_URL: services.identity.url };
  services.token = await startServiceProcess('token', withIdentity);
  const rest = await Promise.all([
    startServiceProcess('introspection', env),
    startServiceProcess('revocation', env),
    startServiceProcess('authorize', withIdentity),
    // A second replica: no sticky sessions, so either serves any step.
    startServiceProcess('authorize', withIdentity).then((replica) => ({ ...replica, name: 'authorize-2' })),
  ]);
  for (const service of rest) services[service.name] = service;
  services['demo-api'] = await startServiceProcess('demo-api', { ...env, INTROSPECTION_URL: `${services.introspection!.url}/verify`, RESOURCE_JWKS_URL: `${services.token!.url}/jwks` });
  clientApp = new TinyClient({ authorize: services.authorize!.url, token: services.token.url, api: services['demo-api'].url });
  await clientApp.listen();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
  for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
  await clientApp?.close();
  await Promise.all(Object.values(services).map(stopServiceProcess));
  services = {};
  await cleanupRun(e2e);
}, 60_000);

describe('the authorization code flow in a browser, over the distributed services', () => {
  let first: Awaited<ReturnType<typeof newBrowser>>;

  it('logs alice in against slapd, asks her consent, and lets the client call demo-api with the token', async () => {
    first = await newBrowser();
    const { page } = first;
    await page.goto(`${clientApp.url}/login`);
    await page.waitForSelector('#username');
    expect(new URL(page.url()).pathname).toBe('/authorize/login');
    expect(await page.textContent('.who')).toBe('Demo Web App wants to access your account. Sign in with your company account to continue.');
    expect(await page.$eval(':focus', (element) => element.id)).toBe('username');
    await page.screenshot({ path: join(SCREENSHOTS, 'login.png') });

    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL(/\/authorize\/consent\?/), page.click('button[type=submit]')]);
    expect(await page.$$eval('.scopes li', (items) => items.map((item) => item.textContent))).toEqual(['See your name and username profile', 'Read your data in the API api:read']);
    await page.screenshot({ path: join(SCREENSHOTS, 'consent.png') });

    await Promise.all([page.waitForURL(`${clientApp.url}/callback?**`), page.click('button[value=allow]')]);
    const outcome = await outcomeOf(page);
    expect(outcome).toEqual({
      step: 'callback',
      parameters: { code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state: expect.any(String), iss: ISSUER },
      token: {
        status: 200,
        body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 300, refresh_token: expect.any(String), scope: 'profile api:read' },
      },
      // RFC 6749 §4.1.2: a code is single use.
      replay: { status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } },
      api: { status: 200, body: { message: 'hello', sub: 'alice', client_id: 'demo-web', scope: 'profile api:read' } },
    });
    // The session cookie: HttpOnly, SameSite=Lax, not Secure on plain http loopback.
    const cookies = await first.context.cookies(services.authorize!.url);
    expect(cookies.find((cookie) => cookie.name === 'authz_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });

    // The consent, remembered in PostgreSQL (written by authorize, and by the projector from the log).
    expect(await adminQuery('SELECT subject, client_id, scopes FROM consents', [], databaseUrl)).toEqual([{ subject: 'alice', client_id: 'demo-web', scopes: ['api:read', 'profile'] }]);
  });

  it('shows a wrong password generically, and sends access_denied when the user denies', async () => {
    const { page } = await newBrowser();
    await page.goto(`${clientApp.url}/login`);
    await page.fill('#username', 'bob');
    await page.fill('#password', 'not-bobs-password');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toBe('The username or password is incorrect.');
    expect(await page.inputValue('#username')).toBe('bob');
    expect(await page.$eval(':focus', (element) => element.id)).toBe('password');

    await page.fill('#password', 'bob-password');
    await Promise.all([page.waitForURL(/\/authorize\/consent\?/), page.click('button[type=submit]')]);
    await Promise.all([page.waitForURL(`${clientApp.url}/callback?**`), page.click('button[value=deny]')]);
    expect(await outcomeOf(page)).toEqual({
      step: 'callback',
      parameters: { error: 'access_denied', error_description: 'the user denied the request', state: expect.any(String), iss: ISSUER },
    });
  });

  it('skips both pages when alice comes back for scopes she already granted', async () => {
    const { page, visited } = first;
    visited.length = 0;
    await page.goto(`${clientApp.url}/login?scope=api:read`);
    const outcome = await outcomeOf(page);
    expect(visited).toEqual(['/login', '/authorize', '/callback']);
    expect(outcome).toMatchObject({ token: { status: 200, body: { scope: 'api:read' } }, api: { status: 200, body: { sub: 'alice', scope: 'api:read' } } });
  });
});

describe('two authorize replicas, no sticky sessions', () => {
  it('continues an interaction and honours a session on another replica', async () => {
    const replicas = [fetchTransport(services.authorize!.url), fetchTransport(services['authorize-2']!.url)];
    let next = 0;
    // Each request goes to the other replica, as a round-robin balancer would send it.
    const browser = new PageBrowser((request) => replicas[next++ % 2]!(request));
    const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
    const url = (extra: Record<string, string> = {}) =>
      `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-portal', scope: 'profile', code_challenge: challenge, code_challenge_method: 'S256', ...extra })}`;
    const start = await browser.get(url());
    const page = await browser.get(locationOf(start));
    expect(page.status).toBe(200);
    const login = await browser.post('/authorize/login', { ...hiddenFields(page.body), username: 'carol', password: 'carol-password' });
    expect(login.status).toBe(303);
    expect(new URL(locationOf(login)).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (let attempt = 0; attempt < 2; attempt++) {
      const silent = await browser.get(url({ prompt: 'none' }));
      expect(silent.status).toBe(302);
      expect([...new URL(locationOf(silent)).searchParams.keys()]).toEqual(['code', 'iss']);
    }
  });
});

describe('remembered consent: an event and a projection', () => {
  it('is projected by the revocation service too, and a rebuild from the log equals the live table', async () => {
    // The projector (revocation) has consumed the consent events: its position for `consents` exists.
    const deadline = Date.now() + 30_000;
    while ((await adminQuery("SELECT 1 FROM projection_positions WHERE projection = 'consents'", [], databaseUrl)).length === 0) {
      if (Date.now() > deadline) throw new Error('the projector did not project the consents');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const db = new PgDatabase({ connectionString: databaseUrl, logger: silentLogger });
    const kafka = createKafka({ brokers: kafkaBrokers(), clientId: `e2e-consents-${run}`, logger: silentLogger });
    try {
      const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger: silentLogger }), prefix);
      const result = await rebuildProjection(consentsProjection, { db, subscriber, logger: silentLogger });
      const live = await db.query('SELECT * FROM public.consents ORDER BY subject, client_id');
      const rebuilt = await db.query(`SELECT * FROM "${result.schema}".consents ORDER BY subject, client_id`);
      expect(live.rows).toEqual([{ subject: 'alice', client_id: 'demo-web', scopes: ['api:read', 'profile'], granted_at: expect.any(Date), event_id: expect.any(String) }]);
      expect(rebuilt.rows).toEqual(live.rows);
      expect(result.events).toBe(1);
    } finally {
      await db.close();
    }
  }, 60_000);
});

describe('the authorization endpoint under hostile input (distributed authorize service)', () => {
  it.each(AUTHORIZE_BAD_INPUT_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const { actual, expected } = await runBadInputCase(testCase, fetchTransport(services.authorize!.url), ISSUER);
    expect(actual).toEqual(expected);
  });
});
