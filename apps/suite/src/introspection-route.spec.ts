/**
 * POST /introspect and POST /verify, served as plain Fastify routes (libs/introspection
 * introspection.routes.ts): the same answers and headers as every route of the app, errors rendered by
 * the exception filter, the metrics of their route template, and the caller's remembered authentication
 * dropped at once when its secret is rotated or the client deleted. The malformed-input cases are in
 * bad-input.spec.ts.
 */
import 'reflect-metadata';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt } from 'jose';
import { ClientRegistrationService } from '@authz/clients';
import { IntrospectionService } from '@authz/introspection';
import { createHttpApp, loadSettings } from '@authz/platform';
import { DatabaseUnavailableError, type Logger, silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const FORM = 'application/x-www-form-urlencoded';
const JSON_UTF8 = 'application/json; charset=utf-8';
const INITIAL_ACCESS_TOKEN = 'iat-for-tests-0123456789abcdefghijklmnop';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const SERVICE_BASIC = basic('demo-service', 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU');
const API_BASIC = basic('demo-api', 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU');
const CHALLENGE = 'Basic realm="introspect", error="invalid_client"';
const AUTHENTICATION_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };

type Logged = { level: string; fields: Record<string, unknown>; message: string | undefined };

const apps: NestFastifyApplication[] = [];
const logged: Logged[] = [];

/** A logger that keeps what it is given. */
function recording(bindings: Record<string, unknown> = {}): Logger {
  const log = (level: string) => (fields: object, message?: string) => void logged.push({ level, fields: { ...bindings, ...fields }, message });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (more) => recording({ ...bindings, ...more }) };
}

async function suite(logger: Logger = silentLogger): Promise<NestFastifyApplication> {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
  const app = await createHttpApp(SuiteAppModule.create(settings, logger), logger);
  apps.push(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

function post(app: NestFastifyApplication, url: string, payload: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers: { 'content-type': FORM, ...headers }, payload });
}

/** Status, the headers every answer of these routes carries, and the whole body. */
function answer(response: LightMyRequestResponse) {
  return {
    status: response.statusCode,
    headers: {
      'content-type': response.headers['content-type'],
      'cache-control': response.headers['cache-control'],
      pragma: response.headers.pragma,
      'x-content-type-options': response.headers['x-content-type-options'],
      'x-request-id': response.headers['x-request-id'],
      'www-authenticate': response.headers['www-authenticate'],
      'retry-after': response.headers['retry-after'],
    },
    body: response.json() as unknown,
  };
}

const headers = (extra: Record<string, string | undefined> = {}) => ({
  'content-type': JSON_UTF8,
  'cache-control': 'no-store',
  pragma: undefined,
  'x-content-type-options': 'nosniff',
  'x-request-id': 'req-1',
  'www-authenticate': undefined,
  'retry-after': undefined,
  ...extra,
});
const errorHeaders = (extra: Record<string, string | undefined> = {}) => headers({ pragma: 'no-cache', ...extra });

async function accessToken(app: NestFastifyApplication): Promise<string> {
  const response = await post(app, '/token', 'grant_type=client_credentials&scope=api:read', { authorization: SERVICE_BASIC });
  expect(response.statusCode).toBe(200);
  return (response.json() as { access_token: string }).access_token;
}

/** RFC 7662 §2.2: the whole active answer for one of our tokens (its claims, token_type Bearer). */
function active(token: string) {
  const { scope, client_id, sub, aud, iss, exp, iat, jti } = decodeJwt(token);
  return { active: true, scope, client_id, sub, aud, iss, exp, iat, jti, token_type: 'Bearer' };
}

describe('POST /introspect and /verify as Fastify routes', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await suite(recording());
  }, 60_000);

  it('answers an active token with the whole RFC 7662 body, no-store, nosniff and the correlation id, again with the remembered caller', async () => {
    const token = await accessToken(app);
    for (let i = 0; i < 2; i += 1) {
      expect(answer(await post(app, '/introspect', `token=${token}`, { authorization: API_BASIC, 'x-request-id': 'req-1' }))).toEqual({ status: 200, headers: headers(), body: active(token) });
    }
    expect(answer(await post(app, '/verify', `token=${token}`, { 'x-request-id': 'req-1' }))).toEqual({ status: 200, headers: headers(), body: active(token) });
    expect(answer(await post(app, '/verify', 'token=x', { 'x-request-id': 'req-1' }))).toEqual({ status: 200, headers: headers(), body: { active: false } });
  });

  it('renders an unexpected error as the generic server_error (its detail in the log, under the correlation id) and a dependency down as 503', async () => {
    const introspection = app.get(IntrospectionService, { strict: false });
    const spy = jest.spyOn(introspection, 'introspect');
    try {
      spy.mockRejectedValueOnce(new Error('secret detail'));
      expect(answer(await post(app, '/introspect', 'token=x', { authorization: API_BASIC, 'x-request-id': 'req-1' }))).toEqual({
        status: 500,
        headers: errorHeaders(),
        body: { error: 'server_error', error_description: 'The server encountered an unexpected condition.' },
      });
      expect(logged.filter((entry) => entry.message === 'unhandled error').map(({ level, fields }) => ({ level, reqId: fields.reqId, message: (fields.err as Error).message }))).toEqual([
        { level: 'error', reqId: 'req-1', message: 'secret detail' },
      ]);
      spy.mockRejectedValueOnce(new DatabaseUnavailableError('down'));
      expect(answer(await post(app, '/verify', 'token=x', { 'x-request-id': 'req-1' }))).toEqual({
        status: 503,
        headers: errorHeaders({ 'retry-after': '1' }),
        body: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' },
      });
    } finally {
      spy.mockRestore();
    }
  });

  it('answers bad client credentials, a wrong content type and a missing token as the RFC says', async () => {
    expect(answer(await post(app, '/introspect', 'token=x', { authorization: basic('demo-api', 'wrong'), 'x-request-id': 'req-1' }))).toEqual({
      status: 401,
      headers: errorHeaders({ 'www-authenticate': CHALLENGE }),
      body: AUTHENTICATION_FAILED,
    });
    expect(answer(await post(app, '/introspect', 'token=x', { authorization: API_BASIC, 'content-type': 'text/plain', 'x-request-id': 'req-1' }))).toEqual({
      status: 400,
      headers: errorHeaders(),
      body: { error: 'invalid_request', error_description: 'the request body must be application/x-www-form-urlencoded' },
    });
    expect(answer(await post(app, '/introspect', 'token=x', { authorization: API_BASIC, 'content-type': ';;;', 'x-request-id': 'req-1' }))).toEqual({
      status: 415,
      headers: errorHeaders(),
      body: { error: 'invalid_request', error_description: 'Unsupported Media Type' },
    });
    expect(answer(await post(app, '/introspect', 'token_type_hint=access_token', { authorization: API_BASIC, 'x-request-id': 'req-1' }))).toEqual({
      status: 400,
      headers: errorHeaders(),
      body: { error: 'invalid_request', error_description: "parameter 'token' is missing" },
    });
  });

  it('stops accepting a remembered caller at once when its secret is rotated or it is deleted', async () => {
    const registration = await app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
      payload: JSON.stringify({ client_name: 'Reports API', grant_types: ['client_credentials'], scope: 'reports:read' }),
    });
    expect(registration.statusCode).toBe(201);
    const { client_id: clientId, client_secret: secret, registration_access_token: managementToken } = registration.json() as Record<string, string>;
    const token = await accessToken(app);
    const introspect = (authorization: string) => post(app, '/introspect', `token=${token}`, { authorization, 'x-request-id': 'req-1' });
    const accepted = { status: 200, headers: headers(), body: active(token) };
    const refused = { status: 401, headers: errorHeaders({ 'www-authenticate': CHALLENGE }), body: AUTHENTICATION_FAILED };

    expect(answer(await introspect(basic(clientId!, secret!)))).toEqual(accepted);
    expect(answer(await introspect(basic(clientId!, secret!)))).toEqual(accepted);
    const { clientSecret: rotated } = await app.get(ClientRegistrationService, { strict: false }).rotateSecret(clientId!);
    expect(answer(await introspect(basic(clientId!, secret!)))).toEqual(refused);
    expect(answer(await introspect(basic(clientId!, rotated!)))).toEqual(accepted);

    const deleted = await app.inject({ method: 'DELETE', url: `/register/${clientId}`, headers: { authorization: `Bearer ${managementToken}` } });
    expect(deleted.statusCode).toBe(204);
    expect(answer(await introspect(basic(clientId!, rotated!)))).toEqual(refused);
  });

  it('remembers a client_secret_post caller too', async () => {
    const registration = await app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
      payload: JSON.stringify({ client_name: 'Posting API', grant_types: ['client_credentials'], scope: 'reports:read', token_endpoint_auth_method: 'client_secret_post' }),
    });
    expect(registration.statusCode).toBe(201);
    const { client_id: clientId, client_secret: secret } = registration.json() as Record<string, string>;
    const token = await accessToken(app);
    const form = (clientSecret: string) => `token=${token}&client_id=${clientId}&client_secret=${clientSecret}`;
    for (let i = 0; i < 2; i += 1) {
      expect(answer(await post(app, '/introspect', form(secret!), { 'x-request-id': 'req-1' }))).toEqual({ status: 200, headers: headers(), body: active(token) });
    }
    expect(answer(await post(app, '/introspect', form(`${secret}x`), { 'x-request-id': 'req-1' }))).toEqual({
      status: 401,
      headers: errorHeaders({ 'www-authenticate': CHALLENGE }),
      body: AUTHENTICATION_FAILED,
    });
  });
});

describe('metrics of the introspection routes', () => {
  it('counts /introspect and /verify under their route templates', async () => {
    const app = await suite();
    const token = await accessToken(app);
    await post(app, '/introspect', `token=${token}`, { authorization: API_BASIC });
    await post(app, '/introspect', `token=${token}`, { authorization: API_BASIC });
    await post(app, '/introspect', `token=${token}`, { authorization: basic('demo-api', 'wrong') });
    await post(app, '/introspect', 'token=a&token=b', { authorization: API_BASIC });
    await post(app, '/verify', `token=${token}`);

    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text.split('\n').filter((line) => line.startsWith('authz_http_server_request_duration_seconds_count')).sort()).toEqual([
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/introspect",status_code="200"} 2',
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/introspect",status_code="400"} 1',
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/introspect",status_code="401"} 1',
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/token",status_code="200"} 1',
      'authz_http_server_request_duration_seconds_count{service="suite",method="POST",route="/verify",status_code="200"} 1',
    ]);
  }, 60_000);
});
