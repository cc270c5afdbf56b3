/**
 * The end user's address behind an ingress (TRUST_PROXY): the password grant and the login page send
 * the X-Forwarded-For client address to the identity service only when the peer is a trusted proxy;
 * otherwise the socket peer (a client cannot choose which address its failures count against).
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, loadSettings } from '@authz/platform';
import { CREDENTIAL_VERIFIER, type CredentialVerifier, silentLogger } from '@authz/ports';
import { hiddenFields, injectTransport, locationOf, PageBrowser } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const LEGACY_APP = `Basic ${Buffer.from('legacy-app:dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA').toString('base64')}`;
const apps: NestFastifyApplication[] = [];

async function suite(trustProxy: string | undefined): Promise<{ app: NestFastifyApplication; verify: jest.SpyInstance }> {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER: 'https://issuer.test', LOG_LEVEL: 'silent', ...(trustProxy ? { TRUST_PROXY: trustProxy } : {}) });
  const app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger, settings.TRUST_PROXY === undefined ? {} : { trustProxy: settings.TRUST_PROXY });
  apps.push(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, verify: jest.spyOn(app.get<CredentialVerifier>(CREDENTIAL_VERIFIER), 'verify') };
}

async function passwordGrant(app: NestFastifyApplication, remoteAddress: string, forwardedFor: string) {
  return app.getHttpAdapter().getInstance().inject({
    method: 'POST',
    url: '/token',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: LEGACY_APP, 'x-forwarded-for': forwardedFor },
    payload: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'alice-password' }).toString(),
  });
}

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

describe('TRUST_PROXY: the client IP sent to the identity service', () => {
  it('with TRUST_PROXY, the password grant and the login page send the X-Forwarded-For client address', async () => {
    const { app, verify } = await suite('10.0.0.0/8');

    expect((await passwordGrant(app, '10.0.0.5', '6.6.6.6, 198.51.100.7')).statusCode).toBe(200);
    expect(verify.mock.calls.map(([check]) => check.clientIp)).toEqual(['198.51.100.7']);

    const transport = injectTransport({
      inject: (options) => app.getHttpAdapter().getInstance().inject({ ...options, remoteAddress: '10.0.0.5', headers: { ...options.headers, 'x-forwarded-for': '203.0.113.9' } }),
    });
    const browser = new PageBrowser(transport);
    const query = new URLSearchParams({ response_type: 'token', client_id: 'demo-legacy-implicit', redirect_uri: 'http://127.0.0.1:8094/callback', state: 's' });
    const login = await browser.get(locationOf(await browser.get(`/authorize?${query}`)));
    await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'alice', password: 'alice-password' });
    expect(verify.mock.calls.map(([check]) => check.clientIp)).toEqual(['198.51.100.7', '203.0.113.9']);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: the socket peer is the client address', async () => {
    const { app, verify } = await suite(undefined);

    expect((await passwordGrant(app, '10.0.0.5', '198.51.100.7')).statusCode).toBe(200);
    expect(verify.mock.calls.map(([check]) => check.clientIp)).toEqual(['10.0.0.5']);
  });
});
