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

describe('the authorization endpoint under hostile input (all-in-one suite)', () => {
  it.each(AUTHORIZE_BAD_INPUT_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const { actual, expected } = await runBadInputCase(testCase, injectTransport(app), ISSUER);
    expect(actual).toEqual(expected);
  });
});
