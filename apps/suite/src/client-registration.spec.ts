/**
 * Client registration (RFC 7591), management (RFC 7592) and client authentication (RFC 6749 §2.3,
 * RFC 7523) through HTTP, on the whole suite in this process (embedded mode, Fastify inject). Every
 * refusal is asserted whole: status, body, and the headers the RFCs require; never a 5xx.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { MemoryEventBus } from '@authz/adapters';
import { type Envelope, Topics } from '@authz/contracts';
import { createHttpApp, loadSettings } from '@authz/platform';
import { CLIENT_REGISTRY, EVENT_PUBLISHER, type ManagedClientRegistry, silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const INITIAL_ACCESS_TOKEN = 'iat-for-tests-0123456789abcdefghijklmnop';
const PEPPER = 'cGVwcGVyLWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const JSON_UTF8 = 'application/json; charset=utf-8';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const CLIENT_ID = /^[A-Za-z0-9_-]{22}$/;
const DEMO_SERVICE_BASIC = `Basic ${Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64')}`;

let app: NestFastifyApplication;
let bus: MemoryEventBus;

async function startSuite(overrides: Record<string, string>): Promise<NestFastifyApplication> {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', CLIENT_SECRET_PEPPER: PEPPER, ...overrides });
  const started = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await started.init();
  await started.getHttpAdapter().getInstance().ready();
  return started;
}

beforeAll(async () => {
  app = await startSuite({ REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
  bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

type Sent = { status: number; headers: LightMyRequestResponse['headers']; body: unknown };

async function send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: string): Promise<Sent> {
  const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  expect(response.statusCode).toBeLessThan(500);
  return { status: response.statusCode, headers: response.headers, body: response.body === '' ? undefined : response.json() };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const register = (metadata: unknown, headers: Record<string, string> = bearer(INITIAL_ACCESS_TOKEN)) =>
  send('POST', '/register', { 'content-type': JSON_TYPE, ...headers }, JSON.stringify(metadata));
const token = (form: string, authorization?: string) => send('POST', '/token', { 'content-type': FORM, ...(authorization ? { authorization } : {}) }, form);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

type Registration = { client_id: string; client_secret?: string; registration_access_token: string; registration_client_uri: string; client_id_issued_at: number };

async function registered(metadata: unknown): Promise<Registration> {
  const response = await register(metadata);
  expect(response.status).toBe(201);
  return response.body as Registration;
}

/** The RFC error as a client sees it: status, body, no-store, and the given headers. */
function rfcError(status: number, error: string, description: string, headers: Record<string, string | undefined> = {}) {
  return { status, body: { error, error_description: description }, contentType: JSON_UTF8, cacheControl: 'no-store', ...headers };
}

function seen(response: Sent, headers: string[] = []) {
  return {
    status: response.status,
    body: response.body,
    contentType: response.headers['content-type'],
    cacheControl: response.headers['cache-control'],
    ...Object.fromEntries(headers.map((name) => [name, response.headers[name]])),
  };
}

const SERVICE_METADATA = { client_name: 'Reporting job', grant_types: ['client_credentials'], scope: 'reports:read reports:write', default_scope: 'reports:read', audience: ['https://reports.example.org'] };

describe('POST /register (RFC 7591)', () => {
  it('registers a confidential client: 201, a server-generated id and 256-bit secret shown once, no-store; the client gets tokens at once', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await register(SERVICE_METADATA);
    const body = response.body as Registration;

    expect({ status: response.status, contentType: response.headers['content-type'], cacheControl: response.headers['cache-control'], pragma: response.headers.pragma, body }).toEqual({
      status: 201,
      contentType: JSON_UTF8,
      cacheControl: 'no-store',
      pragma: 'no-cache',
      body: {
        client_id: expect.stringMatching(CLIENT_ID),
        client_secret: expect.stringMatching(SECRET),
        client_id_issued_at: expect.any(Number),
        client_secret_expires_at: 0,
        registration_access_token: expect.stringMatching(SECRET),
        registration_client_uri: `${ISSUER}/register/${body.client_id}`,
        client_name: 'Reporting job',
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        scope: 'reports:read reports:write',
        default_scope: 'reports:read',
        audience: ['https://reports.example.org'],
      },
    });
    expect(body.client_id_issued_at).toBeGreaterThanOrEqual(before);

    // Read-your-writes: the registering replica knows the client as soon as it answered.
    const issued = await token('grant_type=client_credentials', basic(body.client_id, body.client_secret!));
    expect(issued).toEqual({
      status: 200,
      headers: expect.any(Object),
      body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'reports:read' },
    });
  });

  it('publishes oauth.client.registered.v1 keyed by the client id, with hashes only', async () => {
    const body = await registered(SERVICE_METADATA);

    const events = bus.readTopic(Topics.clients).map((record) => ({ key: record.key, envelope: JSON.parse(record.value.toString('utf8')) as Envelope }));
    const event = events.find((candidate) => candidate.key === body.client_id)!;
    expect(event.envelope).toMatchObject({ type: 'oauth.client.registered.v1', subject: body.client_id, correlationid: expect.any(String) });
    expect(event.envelope.data).toEqual({
      clientId: body.client_id,
      revision: 1,
      clientIdIssuedAt: body.client_id_issued_at,
      registrationAccessTokenHash: expect.stringMatching(/^hmac-sha256:[A-Za-z0-9_-]{43}$/),
      client: {
        clientName: 'Reporting job',
        secretHash: expect.stringMatching(/^hmac-sha256:[A-Za-z0-9_-]{43}$/),
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        responseTypes: [],
        scope: ['reports:read', 'reports:write'],
        defaultScope: ['reports:read'],
        audience: ['https://reports.example.org'],
        redirectUris: [],
      },
    });
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(body.client_secret);
    expect(serialized).not.toContain(body.registration_access_token);
  });

  it('registers a public client for the code flow without a secret', async () => {
    const body = await registered({ client_name: 'SPA', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example.org/cb'], grant_types: ['authorization_code', 'refresh_token'] });

    expect(body).toEqual({
      client_id: expect.stringMatching(CLIENT_ID),
      client_id_issued_at: expect.any(Number),
      registration_access_token: expect.stringMatching(SECRET),
      registration_client_uri: `${ISSUER}/register/${body.client_id}`,
      client_name: 'SPA',
      redirect_uris: ['https://spa.example.org/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      audience: [],
    });
  });

  const invalidToken = (description: string, challenge = 'Bearer realm="register", error="invalid_token"') =>
    rfcError(401, 'invalid_token', description, { 'www-authenticate': challenge });

  it.each<[string, () => Promise<Sent>, ReturnType<typeof rfcError>]>([
    ['no Authorization header (a bare challenge, RFC 6750 §3.1)', () => register(SERVICE_METADATA, {}), invalidToken('a Bearer token is required', 'Bearer realm="register"')],
    ['a wrong initial access token', () => register(SERVICE_METADATA, bearer('not-the-initial-access-token-0123456789')), invalidToken('the initial access token is invalid')],
    ['the initial access token with one more character', () => register(SERVICE_METADATA, bearer(`${INITIAL_ACCESS_TOKEN}x`)), invalidToken('the initial access token is invalid')],
    ['a 10 KB bearer token', () => register(SERVICE_METADATA, bearer('t'.repeat(10_240))), invalidToken('the initial access token is invalid')],
    ['a client registration access token instead of the initial one', async () => register(SERVICE_METADATA, bearer((await registered(SERVICE_METADATA)).registration_access_token)), invalidToken('the initial access token is invalid')],
  ])('answers %s with 401 invalid_token and a Bearer challenge', async (_case, request, expected) => {
    expect(seen(await request(), ['www-authenticate'])).toEqual(expected);
  });

  // RFC 6750 §3.1: a malformed request is invalid_request, 400 (not a 401: no token was presented to judge).
  const malformedBearer = rfcError(400, 'invalid_request', 'malformed Bearer credentials', { 'www-authenticate': 'Bearer realm="register", error="invalid_request"' });
  it.each<[string, () => Promise<Sent>]>([
    ['Basic credentials', () => register(SERVICE_METADATA, { authorization: DEMO_SERVICE_BASIC })],
    ['"Bearer" without a token', () => register(SERVICE_METADATA, { authorization: 'Bearer' })],
    ['a token with a space in it', () => register(SERVICE_METADATA, { authorization: `Bearer ${INITIAL_ACCESS_TOKEN} x` })],
  ])('answers %s with 400 invalid_request and a Bearer challenge', async (_case, request) => {
    expect(seen(await request(), ['www-authenticate'])).toEqual(malformedBearer);
  });

  const invalidMetadata = (description: string) => rfcError(400, 'invalid_client_metadata', description);
  const invalidRequest = (description: string) => rfcError(400, 'invalid_request', description);
  const post = (contentType: string | undefined, payload: string | undefined) =>
    send('POST', '/register', { ...(contentType ? { 'content-type': contentType } : {}), ...bearer(INITIAL_ACCESS_TOKEN) }, payload);

  it.each<[string, () => Promise<Sent>, ReturnType<typeof rfcError>]>([
    ['a form body', () => post(FORM, 'client_name=x&grant_types=client_credentials'), invalidRequest('the request body must be application/json')],
    ['no body', () => post(undefined, undefined), invalidRequest('the request body must be application/json')],
    ['text/plain', () => post('text/plain', '{"client_name":"x"}'), invalidRequest('the request body must be application/json')],
    ['malformed JSON', () => post(JSON_TYPE, '{"client_name":'), invalidRequest("Body is not valid JSON but content-type is set to 'application/json'")],
    ['an empty JSON body', () => post(JSON_TYPE, ''), invalidRequest("Body cannot be empty when content-type is set to 'application/json'")],
    ['a JSON body with __proto__', () => post(JSON_TYPE, '{"__proto__":{"admin":true}}'), invalidRequest("Body is not valid JSON but content-type is set to 'application/json'")],
    ['a body over 64 KiB', () => post(JSON_TYPE, JSON.stringify({ client_name: 'x'.repeat(70_000) })), rfcError(413, 'invalid_request', 'Request body is too large')],
    ['a JSON array', () => post(JSON_TYPE, '[]'), invalidMetadata('the request body must be a JSON object')],
    ['a JSON string', () => post(JSON_TYPE, '"client"'), invalidMetadata('the request body must be a JSON object')],
    ['JSON null', () => post(JSON_TYPE, 'null'), invalidMetadata('the request body must be a JSON object')],
    ['an unknown auth method', () => register({ ...SERVICE_METADATA, token_endpoint_auth_method: 'tls_client_auth' }), invalidMetadata("token_endpoint_auth_method: Invalid enum value. Expected 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none', received 'tls_client_auth'")],
    ['a public client with client_credentials', () => register({ ...SERVICE_METADATA, token_endpoint_auth_method: 'none' }), invalidMetadata('a public client (token_endpoint_auth_method none) cannot use the client_credentials grant (RFC 6749 section 4.4)')],
    ['inconsistent grant and response types', () => register({ grant_types: ['client_credentials'], response_types: ['code'] }), invalidMetadata('grant_types and response_types are inconsistent: authorization_code goes with the response type code (RFC 7591 section 2.1)')],
    ['private_key_jwt without keys', () => register({ ...SERVICE_METADATA, token_endpoint_auth_method: 'private_key_jwt' }), invalidMetadata('private_key_jwt requires jwks or jwks_uri')],
    ['a huge scope', () => register({ ...SERVICE_METADATA, scope: 'a '.repeat(20_000).trim(), default_scope: undefined }), invalidMetadata('scope: String must contain at most 4000 character(s)')],
    ['an http redirect URI', () => register({ redirect_uris: ['http://app.example.org/cb'] }), rfcError(400, 'invalid_redirect_uri', 'a redirect URI must be an absolute https URL (http only on a loopback host) without a fragment')],
    ['a redirect URI with a fragment', () => register({ redirect_uris: ['https://app.example.org/cb#x'] }), rfcError(400, 'invalid_redirect_uri', 'a redirect URI must be an absolute https URL (http only on a loopback host) without a fragment')],
    ['the code grant without a redirect URI', () => register({ grant_types: ['authorization_code'] }), rfcError(400, 'invalid_redirect_uri', 'the authorization_code grant requires at least one redirect URI')],
  ])('answers %s with the exact RFC error', async (_case, request, expected) => {
    expect(seen(await request())).toEqual(expected);
  });

  it('registers nothing when it refuses', async () => {
    const before = bus.readTopic(Topics.clients).length;
    await register({ redirect_uris: ['http://app.example.org/cb'] });
    await register(SERVICE_METADATA, bearer('not-the-initial-access-token-0123456789'));

    expect(bus.readTopic(Topics.clients)).toHaveLength(before);
  });
});

describe('RFC 7592 client configuration endpoint: GET, PUT, DELETE /register/:client_id', () => {
  const manage = (method: 'GET' | 'PUT' | 'DELETE', registration: Registration, headers: Record<string, string> = bearer(registration.registration_access_token), body?: unknown) =>
    send(method, `/register/${registration.client_id}`, { ...(body === undefined ? {} : { 'content-type': JSON_TYPE }), ...headers }, body === undefined ? undefined : JSON.stringify(body));

  it('reads the registration with the registration access token: no secret, no token, the same metadata', async () => {
    const registration = await registered(SERVICE_METADATA);

    const response = await manage('GET', registration);

    expect({ status: response.status, cacheControl: response.headers['cache-control'], body: response.body }).toEqual({
      status: 200,
      cacheControl: 'no-store',
      body: {
        client_id: registration.client_id,
        client_id_issued_at: registration.client_id_issued_at,
        client_secret_expires_at: 0,
        registration_client_uri: registration.registration_client_uri,
        client_name: 'Reporting job',
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        scope: 'reports:read reports:write',
        default_scope: 'reports:read',
        audience: ['https://reports.example.org'],
      },
    });
  });

  it('updates the metadata (the secret stays), as oauth.client.updated.v1 revision 2', async () => {
    const registration = await registered(SERVICE_METADATA);

    const response = await manage('PUT', registration, undefined, { ...SERVICE_METADATA, client_id: registration.client_id, client_secret: registration.client_secret, client_name: 'Renamed', scope: 'reports:read' });

    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: {
        client_id: registration.client_id,
        client_id_issued_at: registration.client_id_issued_at,
        client_secret_expires_at: 0,
        registration_client_uri: registration.registration_client_uri,
        client_name: 'Renamed',
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        scope: 'reports:read',
        default_scope: 'reports:read',
        audience: ['https://reports.example.org'],
      },
    });
    expect((await token('grant_type=client_credentials&scope=reports:write', basic(registration.client_id, registration.client_secret!))).body).toEqual({
      error: 'invalid_scope',
      error_description: 'the client may not request: reports:write',
    });
    const last = bus.readTopic(Topics.clients).filter((record) => record.key === registration.client_id).at(-1)!;
    expect(JSON.parse(last.value.toString('utf8'))).toMatchObject({ type: 'oauth.client.updated.v1', data: { revision: 2, client: { clientName: 'Renamed' } } });
  });

  it.each<[string, (registration: Registration) => Record<string, unknown>, string]>([
    ['another client_id', () => ({ ...SERVICE_METADATA, client_id: 'someone-else' }), 'client_id must be the client id of the registration (RFC 7592 section 2.2)'],
    ['no client_id', () => SERVICE_METADATA, 'client_id must be the client id of the registration (RFC 7592 section 2.2)'],
    ['a wrong client_secret', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, client_secret: 'wrong' }), 'client_secret does not match the registered secret'],
    ['the registration access token', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, registration_access_token: r.registration_access_token }), 'registration_access_token must not be sent (RFC 7592 section 2.2)'],
    ['client_id_issued_at', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, client_id_issued_at: 1 }), 'client_id_issued_at must not be sent (RFC 7592 section 2.2)'],
    // A client narrows what it was given, never widens it (RFC 7592 §2.2; RFC 7591 §5): an administrator's change.
    ['a grant type it was not registered with', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, grant_types: ['client_credentials', 'password'] }), 'grant_types beyond the registered ones can only be changed by an administrator'],
    ['a wider scope', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, scope: 'reports:read reports:write admin' }), 'scope beyond the registered one can only be changed by an administrator'],
    ['another audience', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, audience: ['https://payroll.internal'] }), 'audience beyond the registered one can only be changed by an administrator'],
    ['skip_consent', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, skip_consent: true }), 'skip_consent can only be changed by an administrator'],
    ['require_pkce false', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, require_pkce: false }), 'require_pkce: false can only be changed by an administrator'],
    ['allow_plain_pkce', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, allow_plain_pkce: true }), 'allow_plain_pkce can only be changed by an administrator'],
    ['a token lifetime', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, access_token_ttl: 86_400 }), 'access_token_ttl can only be changed by an administrator'],
    ['a jwks_uri', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://127.0.0.1:8443/keys' }), 'jwks_uri can only be changed by an administrator'],
    ['an invalid value', (r) => ({ ...SERVICE_METADATA, client_id: r.client_id, grant_types: ['implicit'] }), "grant_types.0: Invalid enum value. Expected 'authorization_code' | 'refresh_token' | 'client_credentials' | 'password', received 'implicit'"],
  ])('refuses an update with %s as invalid_client_metadata', async (_case, body, description) => {
    const registration = await registered(SERVICE_METADATA);

    expect(seen(await manage('PUT', registration, undefined, body(registration)))).toEqual(rfcError(400, 'invalid_client_metadata', description));
  });

  it('deletes the client: 204, then its secret and its registration access token stop working', async () => {
    const registration = await registered(SERVICE_METADATA);

    const response = await manage('DELETE', registration);

    expect({ status: response.status, body: response.body, cacheControl: response.headers['cache-control'] }).toEqual({ status: 204, body: undefined, cacheControl: 'no-store' });
    expect(seen(await token('grant_type=client_credentials', basic(registration.client_id, registration.client_secret!)), ['www-authenticate'])).toEqual(
      rfcError(401, 'invalid_client', 'client authentication failed', { 'www-authenticate': 'Basic realm="token", error="invalid_client"' }),
    );
    expect(seen(await manage('GET', registration), ['www-authenticate'])).toEqual(
      rfcError(401, 'invalid_token', 'the registration access token is invalid', { 'www-authenticate': 'Bearer realm="register", error="invalid_token"' }),
    );
  });

  it.each<[string, (mine: Registration, other: Registration) => Promise<Sent>]>([
    ['no token', (mine) => manage('GET', mine, {})],
    ['a wrong token', (mine) => manage('GET', mine, bearer('x'.repeat(43)))],
    ["another client's token", (mine, other) => manage('GET', mine, bearer(other.registration_access_token))],
    ['the initial access token', (mine) => manage('GET', mine, bearer(INITIAL_ACCESS_TOKEN))],
    ['a seed client', (mine) => send('GET', '/register/demo-service', bearer(mine.registration_access_token))],
    ['an unknown client', (mine) => send('GET', '/register/nobody', bearer(mine.registration_access_token))],
    ['PUT with a wrong token', (mine) => manage('PUT', mine, bearer('x'.repeat(43)), { ...SERVICE_METADATA, client_id: mine.client_id })],
    ['DELETE with a wrong token', (mine) => manage('DELETE', mine, bearer('x'.repeat(43)))],
  ])('answers %s with 401 invalid_token (RFC 7592 §2.1)', async (name, request) => {
    const mine = await registered(SERVICE_METADATA);
    const other = await registered(SERVICE_METADATA);

    const response = await request(mine, other);

    expect(seen(response, ['www-authenticate'])).toEqual(
      name === 'no token'
        ? rfcError(401, 'invalid_token', 'a Bearer token is required', { 'www-authenticate': 'Bearer realm="register"' })
        : rfcError(401, 'invalid_token', 'the registration access token is invalid', { 'www-authenticate': 'Bearer realm="register", error="invalid_token"' }),
    );
    expect((await manage('GET', mine)).status).toBe(200);
  });

  it('answers a client id longer than the router accepts with 414 invalid_request', async () => {
    const response = await send('GET', `/register/${'a'.repeat(9000)}`, bearer('x'.repeat(43)));

    expect(seen(response)).toEqual(rfcError(414, 'invalid_request', 'the request path is malformed'));
  });
});

describe('POST /token with private_key_jwt (RFC 7523) for a registered client', () => {
  let privateKey: CryptoKey;
  let registration: Registration;
  let counter = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    registration = await registered({ ...SERVICE_METADATA, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
  });

  const assertion = (claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: registration.client_id, sub: registration.client_id, aud: `${ISSUER}/token`, exp: now + 60, jti: `jti-${++counter}`, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(privateKey);
  };
  const withAssertion = (value: string, extra = '') => `grant_type=client_credentials&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${value}${extra}`;

  it('was registered without a secret', () => {
    expect(registration).not.toHaveProperty('client_secret');
    expect(registration).not.toHaveProperty('client_secret_expires_at');
  });

  it('issues a token for a signed assertion, and refuses the same assertion again (jti replay)', async () => {
    const signed = await assertion();

    expect((await token(withAssertion(signed))).body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'reports:read' });
    expect(seen(await token(withAssertion(signed)), ['www-authenticate'])).toEqual(
      rfcError(400, 'invalid_client', 'the client assertion was already used', { 'www-authenticate': undefined }),
    );
  });

  it.each<[string, () => Promise<string>, ReturnType<typeof rfcError>]>([
    ['a malformed assertion', async () => withAssertion('not.a.jwt'), rfcError(400, 'invalid_client', 'the client assertion is not a well-formed JWT')],
    ['an assertion of 60 KB of garbage', async () => withAssertion('x'.repeat(60_000)), rfcError(400, 'invalid_client', 'the client assertion is not a well-formed JWT')],
    ['an unsigned assertion (alg none)', async () => withAssertion(new UnsecuredJWT({ iss: registration.client_id, sub: registration.client_id }).encode()), rfcError(400, 'invalid_client', 'the client assertion must be signed with one of ES256, RS256, PS256, EdDSA')],
    ['an HS256 assertion', async () => withAssertion(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32))), rfcError(400, 'invalid_client', 'the client assertion must be signed with one of ES256, RS256, PS256, EdDSA')],
    ['an expired assertion', async () => withAssertion(await assertion({ exp: Math.floor(Date.now() / 1000) - 120 })), rfcError(400, 'invalid_client', 'the client assertion has expired')],
    ['an assertion for another audience', async () => withAssertion(await assertion({ aud: 'https://elsewhere.test' })), rfcError(400, 'invalid_client', 'the client assertion aud must be the issuer or the token endpoint')],
    ['an assertion without jti', async () => withAssertion(await assertion({ jti: undefined })), rfcError(400, 'invalid_client', 'the client assertion must have a jti')],
    ['another assertion type', async () => `grant_type=client_credentials&client_assertion_type=urn%3Aexample&client_assertion=${await assertion()}`, rfcError(400, 'invalid_client', 'unsupported client_assertion_type')],
    ['client_assertion without its type', async () => `grant_type=client_credentials&client_assertion=${await assertion()}`, rfcError(400, 'invalid_request', "parameter 'client_assertion_type' is missing")],
    ['a repeated client_assertion (RFC 6749 §3.2)', async () => withAssertion(await assertion(), `&client_assertion=${await assertion()}`), rfcError(400, 'invalid_request', "parameter 'client_assertion' is included more than once")],
    ['an assertion and a client_secret', async () => withAssertion(await assertion(), '&client_secret=x'), rfcError(400, 'invalid_request', 'more than one client authentication method was used')],
    ['an assertion for an unknown client', async () => withAssertion(await assertion({ iss: 'nobody', sub: 'nobody' })), rfcError(400, 'invalid_client', 'client authentication failed')],
  ])('refuses %s with the exact RFC error', async (_case, form, expected) => {
    expect(seen(await token(await form()))).toEqual(expected);
  });

  it('refuses an assertion together with Basic credentials', async () => {
    expect(seen(await token(withAssertion(await assertion()), DEMO_SERVICE_BASIC))).toEqual(rfcError(400, 'invalid_request', 'more than one client authentication method was used'));
  });
});

describe('POST /token: more bad input (RFC 6749 §5.2)', () => {
  it.each<[string, string, string | undefined, ReturnType<typeof rfcError>]>([
    ['an unknown client with client_secret_post', 'grant_type=client_credentials&client_id=nobody&client_secret=x', undefined, rfcError(400, 'invalid_client', 'client authentication failed')],
    ['an unknown public client', 'grant_type=client_credentials&client_id=nobody', undefined, rfcError(400, 'invalid_client', 'client authentication failed')],
    [
      'a huge scope string (60 000 characters)',
      `grant_type=client_credentials&scope=${'api:admin '.repeat(6000).trim().replace(/ /g, '+')}`,
      DEMO_SERVICE_BASIC,
      rfcError(400, 'invalid_scope', `the client may not request: ${'api:admin'}`),
    ],
    ['a repeated client_id', 'grant_type=client_credentials&client_id=a&client_id=b', undefined, rfcError(400, 'invalid_request', "parameter 'client_id' is included more than once")],
    ['a repeated client_secret', 'grant_type=client_credentials&client_id=a&client_secret=b&client_secret=c', undefined, rfcError(400, 'invalid_request', "parameter 'client_secret' is included more than once")],
  ])('answers %s', async (_case, form, authorization, expected) => {
    expect(seen(await token(form, authorization))).toEqual(expected);
  });

  it('authenticates a Basic client whose id and secret are form-encoded (RFC 6749 §2.3.1)', async () => {
    const registration = await registered(SERVICE_METADATA);
    const encoded = `Basic ${Buffer.from(`${registration.client_id}:${registration.client_secret!.replace(/-/g, '%2D')}`).toString('base64')}`;

    expect((await token('grant_type=client_credentials', encoded)).status).toBe(200);
  });
});

describe('the metadata and a suite without an initial access token', () => {
  it('lists the registration endpoint and private_key_jwt when they are served', async () => {
    const response = await send('GET', '/.well-known/oauth-authorization-server', {});

    expect(response.body).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      registration_endpoint: `${ISSUER}/register`,
      introspection_endpoint: `${ISSUER}/introspect`,
      response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: `${ISSUER}/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256', 'plain'],
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('answers 404 to POST /register and lists no registration endpoint when REGISTRATION_INITIAL_ACCESS_TOKEN is unset', async () => {
    const closed = await startSuite({});
    try {
      const response = await closed.inject({ method: 'POST', url: '/register', headers: { 'content-type': JSON_TYPE, ...bearer(INITIAL_ACCESS_TOKEN) }, payload: JSON.stringify(SERVICE_METADATA) });
      expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 404, body: { error: 'not_found', error_description: 'no such endpoint' } });
      const metadata = (await closed.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json() as Record<string, unknown>;
      expect(metadata).not.toHaveProperty('registration_endpoint');
    } finally {
      await closed.close();
    }
  });
});

describe('fail closed (the event log is down)', () => {
  it('answers a registration 503 temporarily_unavailable and registers nothing', async () => {
    const registry = app.get<ManagedClientRegistry>(CLIENT_REGISTRY);
    const before = (await registry.list()).length;
    bus.setUnavailable(true);
    try {
      const response = await app.inject({ method: 'POST', url: '/register', headers: { 'content-type': JSON_TYPE, ...bearer(INITIAL_ACCESS_TOKEN) }, payload: JSON.stringify(SERVICE_METADATA) });

      expect({ status: response.statusCode, body: response.json(), retryAfter: response.headers['retry-after'], cacheControl: response.headers['cache-control'] }).toEqual({
        status: 503,
        body: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' },
        retryAfter: '1',
        cacheControl: 'no-store',
      });
    } finally {
      bus.setUnavailable(false);
    }
    expect(await registry.list()).toHaveLength(before);
  });
});

describe('RFC 7592 update of the authentication method', () => {
  it('issues a secret when a client moves to client_secret_post, and drops it when it moves to private_key_jwt', async () => {
    const jwk = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'k' };
    const registration = await registered({ ...SERVICE_METADATA, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    const put = (metadata: Record<string, unknown>) =>
      send('PUT', `/register/${registration.client_id}`, { 'content-type': JSON_TYPE, ...bearer(registration.registration_access_token) }, JSON.stringify({ ...metadata, client_id: registration.client_id }));

    const toPost = await put({ ...SERVICE_METADATA, token_endpoint_auth_method: 'client_secret_post' });
    const secret = (toPost.body as { client_secret: string }).client_secret;
    expect(toPost.body).toMatchObject({ token_endpoint_auth_method: 'client_secret_post', client_secret: expect.stringMatching(SECRET), client_secret_expires_at: 0 });
    expect((await token(`grant_type=client_credentials&client_id=${registration.client_id}&client_secret=${secret}`)).status).toBe(200);

    const back = await put({ ...SERVICE_METADATA, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(back.body).not.toHaveProperty('client_secret');
    expect(back.body).not.toHaveProperty('client_secret_expires_at');
    expect((await token(`grant_type=client_credentials&client_id=${registration.client_id}&client_secret=${secret}`)).status).toBe(400);
  });
});

describe('POST /token with private_key_jwt, keys at a jwks_uri', () => {
  it('fetches the client key set and caches it', async () => {
    const first = await generateKeyPair('ES256');
    const second = await generateKeyPair('ES256');
    let published = [{ ...(await exportJWK(first.publicKey)), kid: 'first' }];
    const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: published })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      const registration = await registered({ ...SERVICE_METADATA, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri });
      expect(registration).toMatchObject({ jwks_uri: jwksUri, token_endpoint_auth_method: 'private_key_jwt' });
      const signed = (key: CryptoKey, kid: string) =>
        new SignJWT({ iss: registration.client_id, sub: registration.client_id, aud: ISSUER, exp: Math.floor(Date.now() / 1000) + 60, jti: `${kid}-${Math.random()}` })
          .setProtectedHeader({ alg: 'ES256', kid })
          .sign(key);
      const form = (assertion: string) => `grant_type=client_credentials&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${assertion}`;

      expect((await token(form(await signed(first.privateKey, 'first')))).status).toBe(200);

      published = [{ ...(await exportJWK(second.publicKey)), kid: 'second' }];
      // The cached set has no "second", but the URI was fetched less than 30 s ago: no new fetch yet
      // (the refetch after the interval is in http-client-key-sets.spec.ts).
      expect(seen(await token(form(await signed(second.privateKey, 'second'))))).toEqual(rfcError(400, 'invalid_client', 'client authentication failed'));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
