/**
 * The suite checks credentials in process (IdentityModule.inProcess over the LDIF directory): every
 * module can inject CREDENTIAL_VERIFIER, and the identity service's internal endpoint is not served on
 * the suite's public port.
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type MemoryEventBus } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { createHttpApp, loadSettings } from '@authz/platform';
import { CREDENTIAL_VERIFIER, type CredentialVerifier, EVENT_PUBLISHER, silentLogger } from '@authz/ports';
import { hiddenFields, injectTransport, locationOf, PageBrowser } from '@authz/testing';
import { SuiteAppModule } from './app.module';

let app: NestFastifyApplication;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER: 'https://issuer.test', LOG_LEVEL: 'silent' });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
});

it('verifies credentials in process and records the outcome on the in-process bus', async () => {
  const verifier = app.get<CredentialVerifier>(CREDENTIAL_VERIFIER);
  expect(await verifier.verify({ username: 'carol', password: 'carol-password', clientId: 'web-app' })).toEqual({
    outcome: 'authenticated',
    user: { subject: 'carol', dn: 'uid=carol,ou=people,dc=example,dc=org', username: 'carol', name: 'Carol Clark', email: 'carol@example.org', groups: [] },
    authTime: expect.any(Number),
  });
  expect(await verifier.verify({ username: 'carol', password: 'wrong', clientId: 'web-app' })).toEqual({ outcome: 'invalid_credentials' });
  const bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
  expect(bus.readTopic(Topics.identity).map((record) => deserializeEnvelope(record.value)).map(({ type, subject }) => ({ type, subject }))).toEqual([
    { type: 'oauth.user.authenticated.v1', subject: sha256Hash('carol') },
    { type: 'oauth.user.authentication_failed.v1', subject: sha256Hash('carol') },
  ]);
});

it('does not serve the internal authenticate endpoint on its public port', async () => {
  const response = await app.inject({
    method: 'POST',
    url: '/internal/v1/authenticate',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username: 'carol', password: 'carol-password', client_id: 'web-app' }),
  });
  expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 404, body: { error: 'not_found', error_description: 'no such endpoint' } });
});

it("the oauth.user.* events of a password grant and of a login page carry the request's correlation id", async () => {
  const bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
  const before = bus.readTopic(Topics.identity).length;
  const token = await app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('legacy-app:dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA').toString('base64')}`,
      'x-request-id': 'password-grant-1',
    },
    payload: new URLSearchParams({ grant_type: 'password', username: 'bob', password: 'bob-password' }).toString(),
  });
  expect(token.statusCode).toBe(200);

  const transport = injectTransport({
    inject: (options) => app.getHttpAdapter().getInstance().inject({ ...options, headers: { ...options.headers, 'x-request-id': 'login-page-1' } }),
  });
  const browser = new PageBrowser(transport);
  const query = new URLSearchParams({ response_type: 'token', client_id: 'demo-legacy-implicit', redirect_uri: 'http://127.0.0.1:8094/callback', state: 's' });
  const login = await browser.get(locationOf(await browser.get(`/authorize?${query}`)));
  await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'bob', password: 'wrong-password' });

  const events = bus.readTopic(Topics.identity).slice(before).map((record) => deserializeEnvelope(record.value));
  expect(events.map(({ type, subject, correlationid }) => ({ type, subject, correlationid }))).toEqual([
    { type: 'oauth.user.authenticated.v1', subject: sha256Hash('bob'), correlationid: 'password-grant-1' },
    { type: 'oauth.user.authentication_failed.v1', subject: sha256Hash('bob'), correlationid: 'login-page-1' },
  ]);
});
