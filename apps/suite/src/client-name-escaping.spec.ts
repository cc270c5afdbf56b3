/**
 * A registered client_name is any text (RFC 7591 §2: human-readable, no syntax): HTML, NUL, quotes,
 * newlines. The login, consent and error pages show it as text, never as markup: asserted on the exact
 * HTML of the whole suite in this process (embedded mode, Fastify inject).
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, loadSettings } from '@authz/platform';
import { silentLogger } from '@authz/ports';
import { hiddenFields, injectTransport, locationOf, PageBrowser } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const INITIAL_ACCESS_TOKEN = 'iat-for-tests-0123456789abcdefghijklmnop';
const PEPPER = 'cGVwcGVyLWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc';
const CALLBACK = 'https://hostile.example/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const HOSTILE_NAME = '<script>alert(1)</script>\u0000"x\'\nline';
/** The name as every page must show it: markup characters as references, NUL as U+FFFD (&#65533;). */
const ESCAPED_NAME = '&#60;script&#62;alert(1)&#60;/script&#62;&#65533;&#34;x&#39;\nline';

let app: NestFastifyApplication;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', CLIENT_SECRET_PEPPER: PEPPER, REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe('a hostile client_name on the pages', () => {
  it('is escaped on the login, consent and error pages', async () => {
    const registration = await app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
      payload: JSON.stringify({
        client_name: HOSTILE_NAME,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [CALLBACK],
        scope: 'profile',
      }),
    });
    expect(registration.statusCode).toBe(201);
    const { client_id: clientId, client_name: clientName } = registration.json<{ client_id: string; client_name: string }>();
    expect(clientName).toBe(HOSTILE_NAME);

    const browser = new PageBrowser(injectTransport(app));
    const url = `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, scope: 'profile', state: 's', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`;
    const login = await browser.get(locationOf(await browser.get(url)));
    expect(login.status).toBe(200);
    expect(login.body).toContain(`<title>Sign in to ${ESCAPED_NAME}</title>`);
    expect(login.body).toContain(`<p class="who"><strong>${ESCAPED_NAME}</strong> wants to access your account.`);
    expect(login.body).toContain(`never to ${ESCAPED_NAME}.</p>`);

    const consent = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'alice', password: 'alice-password' })));
    expect(consent.status).toBe(200);
    expect(consent.body).toContain(`<title>Allow ${ESCAPED_NAME}?</title>`);
    expect(consent.body).toContain(`<p class="who"><strong>${ESCAPED_NAME}</strong> is asking to:</p>`);

    // The error pages (a replayed form, an expired request) name no client at all.
    const allowed = await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' });
    expect(locationOf(allowed).startsWith(`${CALLBACK}?code=`)).toBe(true);
    const replayed = await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' });
    const expired = await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'alice', password: 'alice-password' });
    for (const page of [login, consent, replayed, expired]) {
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).not.toMatch(/<script|alert\(1\)<|\u0000|"x'/);
    }
    expect([replayed.status, expired.status]).toEqual([400, 400]);
    expect(replayed.body).toContain('<title>This sign-in request has expired</title>');
    expect(expired.body).toContain('<title>This sign-in request has expired</title>');
  });
});
