/**
 * Hostile input at the registration endpoints (RFC 7591 §3, RFC 7592 §2) and at the metadata
 * endpoint (RFC 8414), on the whole suite in this process (embedded mode, Fastify inject). Every
 * refusal is asserted whole (status, body, no-store, no-cache, the Bearer challenge where RFC 6750
 * wants it) and registers nothing; every acceptance answers 201.
 */
import 'reflect-metadata';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { exportJWK, generateKeyPair } from 'jose';
import type { MemoryEventBus } from '@authz/adapters';
import { Topics } from '@authz/contracts';
import { createHttpApp, loadSettings } from '@authz/platform';
import { EVENT_PUBLISHER, silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const INITIAL_ACCESS_TOKEN = 'iat-for-register-hostile-0123456789abcdef';
const JSON_TYPE = 'application/json';
const JSON_UTF8 = 'application/json; charset=utf-8';
const SERVICE = { grant_types: ['client_credentials'], scope: 'reports:read' };
const BAD_REDIRECT = 'a redirect URI must be an absolute https URL (http only on a loopback host) without a fragment';

let app: NestFastifyApplication;
let bus: MemoryEventBus;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

function send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: string | Buffer): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
}

const register = (body: string | Buffer, contentType = JSON_TYPE, authorization = `Bearer ${INITIAL_ACCESS_TOKEN}`) =>
  send('POST', '/register', { 'content-type': contentType, authorization }, body);
const registerJson = (metadata: unknown) => register(JSON.stringify(metadata));

function rfcError(status: number, error: string, description: string, wwwAuthenticate?: string) {
  return { status, body: { error, error_description: description }, contentType: JSON_UTF8, cacheControl: 'no-store', pragma: 'no-cache', wwwAuthenticate };
}
const invalidMetadata = (description: string) => rfcError(400, 'invalid_client_metadata', description);
const invalidRedirect = (description = BAD_REDIRECT) => rfcError(400, 'invalid_redirect_uri', description);
const invalidRequest = (description: string) => rfcError(400, 'invalid_request', description);

function seen(response: LightMyRequestResponse) {
  return {
    status: response.statusCode,
    body: response.body === '' ? undefined : (response.json() as unknown),
    contentType: response.headers['content-type'],
    cacheControl: response.headers['cache-control'],
    pragma: response.headers['pragma'],
    wwwAuthenticate: response.headers['www-authenticate'],
  };
}

const registrations = () => bus.readTopic(Topics.clients).length;

describe('POST /register refuses, registering nothing (RFC 7591 §3.2.2)', () => {
  it.each<[string, () => Promise<LightMyRequestResponse>, ReturnType<typeof rfcError>]>([
    // RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8.
    ['raw bytes that are not UTF-8 in a JSON string', () => register(Buffer.concat([Buffer.from('{"client_name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","grant_types":["client_credentials"]}')])), invalidRequest('the request body is not valid UTF-8')],
    ['a JSON body declared latin1', () => register(JSON.stringify(SERVICE), `${JSON_TYPE}; charset=latin1`), invalidRequest('the request body must be UTF-8 JSON (RFC 8259 section 8.1)')],
    ['a 1 MB body', () => registerJson({ ...SERVICE, client_name: 'x'.repeat(1024 * 1024) }), rfcError(413, 'invalid_request', 'Request body is too large')],
    ['malformed JSON', () => register('{"grant_types":'), invalidRequest("Body is not valid JSON but content-type is set to 'application/json'")],
    ['an empty JSON body', () => register(''), invalidRequest("Body cannot be empty when content-type is set to 'application/json'")],
    ['a constructor.prototype member (prototype poisoning)', () => register('{"constructor":{"prototype":{"x":1}},"grant_types":["client_credentials"]}'), invalidRequest("Body is not valid JSON but content-type is set to 'application/json'")],
    ['application/merge-patch+json', () => register(JSON.stringify(SERVICE), 'application/merge-patch+json'), invalidRequest('the request body must be application/json')],
    ['text/json', () => register(JSON.stringify(SERVICE), 'text/json'), invalidRequest('the request body must be application/json')],
    ['a public client with the password grant (RFC 6749 §4.3, RFC 9700 §2.4: confidential clients only)', () => registerJson({ grant_types: ['password'], token_endpoint_auth_method: 'none' }), invalidMetadata('a public client (token_endpoint_auth_method none) cannot use the password grant')],
    ['refresh_token without a grant that issues refresh tokens', () => registerJson({ grant_types: ['refresh_token'] }), invalidMetadata('the refresh_token grant needs a grant that issues refresh tokens: authorization_code or password')],
    ['refresh_token with client_credentials only (RFC 6749 §4.4.3)', () => registerJson({ grant_types: ['client_credentials', 'refresh_token'] }), invalidMetadata('the refresh_token grant needs a grant that issues refresh tokens: authorization_code or password')],
    ['an unknown grant type', () => registerJson({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] }), invalidMetadata("grant_types.0: Invalid enum value. Expected 'authorization_code' | 'refresh_token' | 'client_credentials' | 'password', received 'urn:ietf:params:oauth:grant-type:device_code'")],
    ['the implicit grant', () => registerJson({ grant_types: ['implicit'], response_types: ['token'], redirect_uris: ['https://a.example/cb'] }), invalidMetadata("grant_types.0: Invalid enum value. Expected 'authorization_code' | 'refresh_token' | 'client_credentials' | 'password', received 'implicit'")],
    ['response type token', () => registerJson({ response_types: ['token'], redirect_uris: ['https://a.example/cb'] }), invalidMetadata('response type token (the implicit grant) is not supported')],
    ['response type id_token', () => registerJson({ response_types: ['id_token'], redirect_uris: ['https://a.example/cb'] }), invalidMetadata("response_types.0: Invalid enum value. Expected 'code' | 'token', received 'id_token'")],
    ['the code grant with no response type', () => registerJson({ response_types: [], redirect_uris: ['https://a.example/cb'] }), invalidMetadata('grant_types and response_types are inconsistent: authorization_code goes with the response type code (RFC 7591 section 2.1)')],
    ['empty grant_types', () => registerJson({ grant_types: [] }), invalidMetadata('grant_types: Array must contain at least 1 element(s)')],
    ['an EC key whose coordinates are not a point', () => registerJson({ ...SERVICE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'zz', y: 'zz' }] } }), invalidMetadata('jwks.keys.0: not a usable public key')],
    ['an RSA key without a modulus', () => registerJson({ ...SERVICE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'RSA', e: 'AQAB' }] } }), invalidMetadata('jwks.keys.0: not a usable public key')],
    ['a private EC key', () => registerJson({ ...SERVICE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }), invalidMetadata("jwks.keys.0: Unrecognized key(s) in object: 'd'")],
    ['an http jwks_uri on another host', () => registerJson({ ...SERVICE, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://keys.example/jwks' }), invalidMetadata('jwks_uri: jwks_uri must be an absolute https URL (http only on a loopback host) without a fragment')],
    ['a client_name of 201 characters', () => registerJson({ ...SERVICE, client_name: 'x'.repeat(201) }), invalidMetadata('client_name: String must contain at most 200 character(s)')],
    ['an access_token_ttl of 1e308', () => registerJson({ ...SERVICE, access_token_ttl: 1e308 }), invalidMetadata('access_token_ttl: Number must be less than or equal to 86400')],
    ['require_pkce as a string', () => registerJson({ ...SERVICE, require_pkce: 'true' }), invalidMetadata('require_pkce: Expected boolean, received string')],
    ['redirect_uris as a string', () => registerJson({ redirect_uris: 'https://a.example/cb' }), invalidMetadata('redirect_uris: redirect_uris must be an array of URIs')],
    ['a redirect URI that is a number', () => registerJson({ redirect_uris: [5] }), invalidMetadata('redirect_uris.0: each redirect URI must be a string')],
    ['21 redirect URIs', () => registerJson({ redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) }), invalidMetadata('redirect_uris: Array must contain at most 20 element(s)')],
    ['a javascript: redirect URI', () => registerJson({ redirect_uris: ['javascript:alert(1)'] }), invalidRedirect()],
    ['a relative redirect URI', () => registerJson({ redirect_uris: ['/cb'] }), invalidRedirect()],
    ['an http redirect URI on another host', () => registerJson({ redirect_uris: ['http://example.com/cb'] }), invalidRedirect()],
    ['http on 127.0.0.2', () => registerJson({ redirect_uris: ['http://127.0.0.2/cb'] }), invalidRedirect()],
    ['http on localhost.evil.example', () => registerJson({ redirect_uris: ['http://localhost.evil.example/cb'] }), invalidRedirect()],
    ['a redirect URI with a fragment', () => registerJson({ redirect_uris: ['https://a.example/cb#x'] }), invalidRedirect()],
    ['a redirect URI with user information', () => registerJson({ redirect_uris: ['https://user:pass@a.example/cb'] }), invalidRedirect()],
    ['a custom-scheme redirect URI', () => registerJson({ redirect_uris: ['com.example.app:/cb'] }), invalidRedirect()],
    // RFC 3986 §3.2: "https:" + "//" + an authority; the WHATWG parser would make "https:///cb" mean https://cb/.
    ['https:///cb (an empty authority)', () => registerJson({ redirect_uris: ['https:///cb'] }), invalidRedirect()],
    ['https:/a.example/cb (one slash)', () => registerJson({ redirect_uris: ['https:/a.example/cb'] }), invalidRedirect()],
    // RFC 3986 §2: a URI is ASCII without spaces; the WHATWG parser would percent-encode or punycode them.
    ['a redirect URI with a space', () => registerJson({ redirect_uris: ['https://a.example/c b'] }), invalidRedirect()],
    ['a redirect URI with a non-ASCII host', () => registerJson({ redirect_uris: ['https://exämple.example/cb'] }), invalidRedirect()],
    ['a redirect URI with a backslash', () => registerJson({ redirect_uris: ['https://a.example\\@evil.example/cb'] }), invalidRedirect()],
    ['a client_uri with a space', () => registerJson({ ...SERVICE, client_uri: 'https://a.example/ x' }), invalidMetadata('client_uri: client_uri must be an absolute https URL (http only on a loopback host) without a fragment')],
  ])('%s', async (_name, request, expected) => {
    const before = registrations();
    expect(seen(await request())).toEqual(expected);
    expect(registrations()).toBe(before);
  });

  it.each<[string, string | undefined, ReturnType<typeof rfcError>]>([
    ['no Authorization header', undefined, rfcError(401, 'invalid_token', 'a Bearer token is required', 'Bearer realm="register"')],
    ['an empty Authorization header', '', rfcError(401, 'invalid_token', 'a Bearer token is required', 'Bearer realm="register"')],
    ['Bearer and Basic in one header (malformed: 400, RFC 6750 §3.1)', `Bearer ${INITIAL_ACCESS_TOKEN}, Basic abc`, rfcError(400, 'invalid_request', 'malformed Bearer credentials', 'Bearer realm="register", error="invalid_request"')],
    ['a token one character short', `Bearer ${INITIAL_ACCESS_TOKEN.slice(0, -1)}`, rfcError(401, 'invalid_token', 'the initial access token is invalid', 'Bearer realm="register", error="invalid_token"')],
  ])('answers %s (RFC 6750 §3.1)', async (_name, authorization, expected) => {
    const response = await send('POST', '/register', { 'content-type': JSON_TYPE, ...(authorization === undefined ? {} : { authorization }) }, JSON.stringify(SERVICE));
    expect(seen(response)).toEqual(expected);
  });
});

describe('POST /register accepts', () => {
  it.each<[string, () => Promise<LightMyRequestResponse>]>([
    ['application/json; charset=utf-8', () => register(JSON.stringify(SERVICE), `${JSON_TYPE}; charset=utf-8`)],
    ['a body with a byte order mark', () => register(`\ufeff${JSON.stringify(SERVICE)}`)],
    ['"bearer" in lower case (RFC 9110 §11.1) and extra spaces', () => register(JSON.stringify(SERVICE), JSON_TYPE, `bearer   ${INITIAL_ACCESS_TOKEN}  `)],
    ['an unknown member of 60 000 characters (ignored, RFC 7591 §2)', () => registerJson({ ...SERVICE, note: 'y'.repeat(60_000) })],
    ['deeply nested unknown members (ignored)', () => register(`{"x":${'['.repeat(5000)}${']'.repeat(5000)},"grant_types":["client_credentials"]}`)],
    ['a client_id and client_secret chosen by the client (ignored: the server issues both)', () => registerJson({ ...SERVICE, client_id: 'demo-service', client_secret: 'chosen' })],
    ['http on [::1] (a loopback redirect URI, RFC 8252 §7.3)', () => registerJson({ redirect_uris: ['http://[::1]:8080/cb'] })],
    ['a redirect URI with a query', () => registerJson({ redirect_uris: ['https://a.example/cb?x=1'] })],
    ['the code grant for a public client', () => registerJson({ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] })],
    ['the password grant with refresh tokens for a confidential client', () => registerJson({ grant_types: ['password', 'refresh_token'] })],
  ])('%s with 201', async (_name, request) => {
    const response = await request();
    expect({ status: response.statusCode, cacheControl: response.headers['cache-control'], pragma: response.headers['pragma'] }).toEqual({ status: 201, cacheControl: 'no-store', pragma: 'no-cache' });
  });

  it('a private_key_jwt client whose keys are real EC, RSA and Ed25519 public keys', async () => {
    const keys = await Promise.all(['ES256', 'RS256', 'EdDSA'].map(async (alg) => exportJWK((await generateKeyPair(alg, { extractable: true })).publicKey)));
    const response = await registerJson({ ...SERVICE, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys } });
    expect(response.statusCode).toBe(201);
  });
});

describe('RFC 7592 management of a registration under attack', () => {
  it('refuses malformed updates and foreign credentials, and forgets a deleted client', async () => {
    const registration = (await registerJson(SERVICE)).json() as { client_id: string; client_secret: string; registration_access_token: string };
    const url = `/register/${registration.client_id}`;
    const bearer = { authorization: `Bearer ${registration.registration_access_token}` };
    const put = (body: string, contentType = JSON_TYPE) => send('PUT', url, { 'content-type': contentType, ...bearer }, body);
    const invalidToken = rfcError(401, 'invalid_token', 'the registration access token is invalid', 'Bearer realm="register", error="invalid_token"');

    expect(seen(await put('a=b', 'application/x-www-form-urlencoded'))).toEqual(invalidRequest('the request body must be application/json'));
    expect(seen(await put('[]'))).toEqual(invalidMetadata('the request body must be a JSON object'));
    expect(seen(await put('{'))).toEqual(invalidRequest("Body is not valid JSON but content-type is set to 'application/json'"));
    expect(seen(await put(JSON.stringify({ ...SERVICE, client_id: registration.client_id, client_secret: 5 })))).toEqual(invalidMetadata('client_secret does not match the registered secret'));
    expect(seen(await put(JSON.stringify({ ...SERVICE, client_id: registration.client_id, token_endpoint_auth_method: 'none' })))).toEqual(
      invalidMetadata('a public client (token_endpoint_auth_method none) cannot use the client_credentials grant (RFC 6749 section 4.4)'),
    );
    expect(seen(await put(JSON.stringify({ client_id: registration.client_id, grant_types: ['password'], token_endpoint_auth_method: 'none' })))).toEqual(
      invalidMetadata('a public client (token_endpoint_auth_method none) cannot use the password grant'),
    );
    expect(seen(await send('GET', url, { authorization: `Basic ${Buffer.from(`${registration.client_id}:${registration.client_secret}`).toString('base64')}` }))).toEqual(
      rfcError(400, 'invalid_request', 'malformed Bearer credentials', 'Bearer realm="register", error="invalid_request"'),
    );
    // RFC 6750 §2.3 (the query parameter) is not supported: the token must be in the header.
    expect(seen(await send('GET', `${url}?access_token=${registration.registration_access_token}`, {}))).toEqual(
      rfcError(401, 'invalid_token', 'a Bearer token is required', 'Bearer realm="register"'),
    );
    for (const id of ['__proto__', 'constructor', 'toString']) expect(seen(await send('GET', `/register/${id}`, bearer))).toEqual(invalidToken);

    expect(seen(await send('DELETE', url, bearer))).toEqual({ status: 204, body: undefined, contentType: undefined, cacheControl: 'no-store', pragma: 'no-cache', wwwAuthenticate: undefined });
    expect(seen(await send('DELETE', url, bearer))).toEqual(invalidToken);
    expect(seen(await put(JSON.stringify({ ...SERVICE, client_id: registration.client_id })))).toEqual(invalidToken);
  });
});

describe('GET /.well-known/oauth-authorization-server under attack', () => {
  it.each<[string, 'POST' | 'PUT' | 'DELETE']>([
    ['POST', 'POST'],
    ['PUT', 'PUT'],
    ['DELETE', 'DELETE'],
  ])('answers %s with 404 and the RFC error body', async (_name, method) => {
    const response = await send(method, '/.well-known/oauth-authorization-server', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b');
    expect(seen(response)).toEqual(rfcError(404, 'not_found', 'no such endpoint'));
  });

  it('ignores a query string and headers it does not know', async () => {
    const response = await send('GET', '/.well-known/oauth-authorization-server?issuer=https://evil.example', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect({ status: response.statusCode, issuer: (response.json() as { issuer: string }).issuer, tokenEndpoint: (response.json() as { token_endpoint: string }).token_endpoint }).toEqual({
      status: 200,
      issuer: ISSUER,
      tokenEndpoint: `${ISSUER}/token`,
    });
  });
});
