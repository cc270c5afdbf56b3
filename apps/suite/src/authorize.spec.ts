/**
 * The authorization code flow in the all-in-one suite (embedded mode: users from the LDIF file, identity
 * in process, one port): login, consent, redemption at /token with the PKCE verifier. Then the
 * hostile-request table (libs/testing/src/authorize-bad-input.cases.ts), driven with inject; the same
 * table runs against the distributed authorize service in authorization-code-flow.int-spec.ts.
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, loadSettings } from '@authz/platform';
import { silentLogger } from '@authz/ports';
import { AUTHORIZE_BAD_INPUT_CASES, hiddenFields, injectTransport, locationOf, PageBrowser, runBadInputCase } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
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

describe('the authorization code flow (all-in-one suite)', () => {
  it('logs alice in from the LDIF users, takes her consent and redeems the code with the PKCE verifier', async () => {
    const browser = new PageBrowser(injectTransport(app));
    const verifier = 'M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag';
    const callback = 'http://127.0.0.1:8091/callback';
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'demo-web',
      redirect_uri: callback,
      scope: 'profile api:read',
      state: 'st',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const login = await browser.get(locationOf(await browser.get(`/authorize?${query}`)));
    const consent = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'alice', password: 'alice-password' })));
    const redirect = new URL(locationOf(await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' })));
    expect(Object.fromEntries(redirect.searchParams)).toEqual({ code: expect.any(String), state: 'st', iss: ISSUER });

    const token = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('demo-web:ZTi3LeugBvU4zgQMF_m8DTIfq7AaKErAbo8tmR0gBOA').toString('base64')}` },
      payload: new URLSearchParams({ grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: callback, code_verifier: verifier }).toString(),
    });
    expect({ status: token.statusCode, body: token.json() }).toEqual({
      status: 200,
      body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: expect.any(Number), refresh_token: expect.any(String), scope: 'profile api:read' },
    });
  });
});

describe('RFC 8707 resource at /authorize (all-in-one suite)', () => {
  it('binds the code to the requested resource: the token is for it only, and /token cannot widen it', async () => {
    const verifier = 'M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag';
    const webApp = `Basic ${Buffer.from('web-app:OTSeU3LY8wciN-jEkP-jZ4LnzfjIvZOA_qRHOUqhnGY').toString('base64')}`;
    const browser = new PageBrowser(injectTransport(app));
    const codeFor = async (resource: string) => {
      const query = new URLSearchParams({ response_type: 'code', client_id: 'web-app', scope: 'api:read', state: 'st', resource, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
      const start = await browser.get(`/authorize?${query}`);
      if (locationOf(start).startsWith('http://localhost:3000/callback?')) return new URL(locationOf(start)).searchParams.get('code')!;
      const login = await browser.get(locationOf(start));
      const consent = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'bob', password: 'bob-password' })));
      expect(consent.body).toContain(`<ul class="resources">\n<li><code>${resource}</code></li>\n</ul>`);
      return new URL(locationOf(await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' }))).searchParams.get('code')!;
    };
    const redeem = (code: string, extra: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: webApp },
        payload: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, ...extra }).toString(),
      });

    const token = await redeem(await codeFor('https://reports.example.org'));
    expect(token.statusCode).toBe(200);
    const claims = JSON.parse(Buffer.from(token.json<{ access_token: string }>().access_token.split('.')[1]!, 'base64url').toString('utf8')) as { aud: unknown };
    expect(claims.aud).toBe('https://reports.example.org');

    const widened = await redeem(await codeFor('https://reports.example.org'), { resource: 'https://api.example.org' });
    expect({ status: widened.statusCode, body: widened.json() }).toEqual({
      status: 400,
      body: { error: 'invalid_target', error_description: 'the client may not obtain a token for: https://api.example.org' },
    });
  });
});

describe('the authorization endpoint under hostile input (all-in-one suite)', () => {
  it.each(AUTHORIZE_BAD_INPUT_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const { actual, expected } = await runBadInputCase(testCase, injectTransport(app), ISSUER);
    expect(actual).toEqual(expected);
  });
});
