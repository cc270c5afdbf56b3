/**
 * Hostile input at the token endpoint (RFC 6749 §3.2, §5.1, §5.2; RFC 7523; RFC 7636; RFC 8707) and
 * at /introspect (RFC 7662 §2), on the whole suite in this process (embedded mode, Fastify inject).
 * Every error is asserted whole: status, body, `Cache-Control: no-store`, `Pragma: no-cache`, the
 * JSON content type and the `WWW-Authenticate` challenge (present exactly when RFC 6749 §5.2 wants it).
 * The last block sends every kind of secret the suite knows and proves none of them reaches a log
 * line, an event or a storage key (TTL store keys, SQL rows).
 */
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { MemoryEventBus } from '@authz/adapters';
import { ALL_TOPICS } from '@authz/contracts';
import { type AuthorizationCodeGrant, sha256Hash } from '@authz/oauth';
import { createHttpApp, createLogger, loadSettings } from '@authz/platform';
import { AUTHORIZATION_CODE_STORE, type AuthorizationCodeStore, EVENT_PUBLISHER, SQL_DATABASE, type SqlDatabase, TTL_STORE } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const INITIAL_ACCESS_TOKEN = 'iat-for-hostile-tests-0123456789abcdefghij';
const FORM = 'application/x-www-form-urlencoded';
const JSON_UTF8 = 'application/json; charset=utf-8';
const ASSERTION_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
const WEB_REDIRECT = encodeURIComponent('http://localhost:3000/callback');
const API = 'https://api.example.org';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const CLIENTS = {
  demoService: { id: 'demo-service', secret: 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU' },
  demoApi: { id: 'demo-api', secret: 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU' },
  webApp: { id: 'web-app', secret: 'OTSeU3LY8wciN-jEkP-jZ4LnzfjIvZOA_qRHOUqhnGY' },
  legacyApp: { id: 'legacy-app', secret: 'dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA' },
};
const SERVICE = basic(CLIENTS.demoService.id, CLIENTS.demoService.secret);
const WEB = basic(CLIENTS.webApp.id, CLIENTS.webApp.secret);
const LEGACY = basic(CLIENTS.legacyApp.id, CLIENTS.legacyApp.secret);
const INTROSPECTOR = basic(CLIENTS.demoApi.id, CLIENTS.demoApi.secret);
const TOKEN_CHALLENGE = 'Basic realm="token", error="invalid_client"';
const INTROSPECT_CHALLENGE = 'Basic realm="introspect", error="invalid_client"';
const ACCESS_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

let app: NestFastifyApplication;
let bus: MemoryEventBus;
let codes: AuthorizationCodeStore;
/** Every log line the suite wrote (level debug), as written. */
const logLines: string[] = [];

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'debug', REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ service: 'suite', instanceId: 'hostile', level: 'debug', destination });
  app = await createHttpApp(SuiteAppModule.create(settings, logger), logger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
  codes = app.get<AuthorizationCodeStore>(AUTHORIZATION_CODE_STORE);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

type Headers = Record<string, string>;

function post(url: string, headers: Headers, payload?: string | Buffer): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload }) });
}

const token = (form: string | Buffer, authorization?: string, contentType: string | null = FORM) =>
  post('/token', { ...(contentType === null ? {} : { 'content-type': contentType }), ...(authorization ? { authorization } : {}) }, form);

/** An answer as `seen` reports it. */
type Expected = { status: number; body: unknown; contentType: string | undefined; cacheControl: string | undefined; pragma: string | undefined; wwwAuthenticate: string | undefined };

/** An RFC 6749 §5.2 error as the client sees it. */
function rfcError(status: number, error: string, description: string, wwwAuthenticate?: string) {
  return {
    status,
    body: { error, error_description: description },
    contentType: JSON_UTF8,
    cacheControl: 'no-store',
    pragma: 'no-cache',
    wwwAuthenticate,
  };
}

function seen(response: LightMyRequestResponse) {
  return {
    status: response.statusCode,
    body: response.json() as unknown,
    contentType: response.headers['content-type'],
    cacheControl: response.headers['cache-control'],
    pragma: response.headers['pragma'],
    wwwAuthenticate: response.headers['www-authenticate'],
  };
}

/** A successful RFC 6749 §5.1 response: exactly these members, no-store and no-cache. */
function tokenResponse(members: { scope?: string; refreshToken?: boolean } = {}) {
  return {
    status: 200,
    body: {
      access_token: expect.stringMatching(ACCESS_TOKEN),
      token_type: 'Bearer',
      expires_in: 600,
      ...(members.refreshToken ? { refresh_token: expect.stringMatching(REFRESH_TOKEN) } : {}),
      ...(members.scope === undefined ? {} : { scope: members.scope }),
    },
    contentType: JSON_UTF8,
    cacheControl: 'no-store',
    pragma: 'no-cache',
    wwwAuthenticate: undefined,
  };
}

const invalidRequest = (description: string) => rfcError(400, 'invalid_request', description);
const invalidClient = (description: string, challenge?: string) => rfcError(challenge ? 401 : 400, 'invalid_client', description, challenge);
const invalidGrant = (description: string) => rfcError(400, 'invalid_grant', description);
const invalidScope = (description: string) => rfcError(400, 'invalid_scope', description);
const invalidTarget = (description: string) => rfcError(400, 'invalid_target', description);
const CODE_REFUSED = invalidGrant('the authorization code is invalid, expired or already used');
const REFRESH_REFUSED = invalidGrant('the refresh token is invalid, expired or revoked');
const VERIFIER_SYNTAX = invalidRequest('code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)');
const NOT_FORM = invalidRequest('the request body must be application/x-www-form-urlencoded');

/** Seeds a code for web-app (S256 PKCE, redirect http://localhost:3000/callback) and returns what redeeming it needs. */
async function seededCode(overrides: Partial<AuthorizationCodeGrant> = {}) {
  const code = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  await codes.save(sha256Hash(code), {
    grantId: `grant-${randomBytes(8).toString('hex')}`,
    clientId: CLIENTS.webApp.id,
    redirectUri: 'http://localhost:3000/callback',
    scopes: ['openid', 'api:read'],
    subject: 'alice',
    authTime: now - 5,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    issuedAt: now,
    expiresAt: now + 60,
    ...overrides,
  });
  return { code, verifier, form: (extra = '') => `grant_type=authorization_code&code=${code}&redirect_uri=${WEB_REDIRECT}&code_verifier=${verifier}${extra}` };
}

async function refreshTokenOfWebApp(): Promise<string> {
  const { form } = await seededCode();
  const response = await token(form(), WEB);
  expect(response.statusCode).toBe(200);
  return (response.json() as { refresh_token: string }).refresh_token;
}

describe('POST /token: the body (RFC 6749 §3.2, Appendix B)', () => {
  it.each<[string, () => Promise<LightMyRequestResponse>, Expected]>([
    ['media type in capitals', () => token('grant_type=client_credentials', SERVICE, 'APPLICATION/X-WWW-FORM-URLENCODED'), tokenResponse({ scope: 'api:read' })],
    ['; charset=UTF-8', () => token('grant_type=client_credentials', SERVICE, `${FORM}; charset=UTF-8`), tokenResponse({ scope: 'api:read' })],
    ['; charset="utf-8" (quoted)', () => token('grant_type=client_credentials', SERVICE, `${FORM}; charset="utf-8"`), tokenResponse({ scope: 'api:read' })],
    ['all scopes requested again in another order: no scope member (RFC 6749 §5.1)', () => token('grant_type=client_credentials&scope=api%3Awrite+api%3Aread', SERVICE), tokenResponse()],
    ['a duplicated scope token (one scope, so the same as requested)', () => token('grant_type=client_credentials&scope=api%3Aread+api%3Aread', SERVICE), tokenResponse()],
    ['5000 times the same allowed scope', () => token(`grant_type=client_credentials&scope=${Array(5000).fill('api%3Aread').join('+')}`, SERVICE), tokenResponse()],
    ['resource repeated with the same value (RFC 8707 §2 allows repetition)', () => token(`grant_type=client_credentials&resource=${encodeURIComponent(API)}&resource=${encodeURIComponent(API)}`, SERVICE), tokenResponse({ scope: 'api:read' })],
    ['an empty resource next to a valid one (empty = omitted)', () => token(`grant_type=client_credentials&resource=&resource=${encodeURIComponent(API)}`, SERVICE), tokenResponse({ scope: 'api:read' })],
    ['an empty client_id next to Basic credentials (empty = omitted)', () => token('grant_type=client_credentials&client_id=', SERVICE), tokenResponse({ scope: 'api:read' })],
    ['the Basic client_id repeated in the body', () => token('grant_type=client_credentials&client_id=demo-service', SERVICE), tokenResponse({ scope: 'api:read' })],
  ])('issues a token for %s', async (_name, request, expected) => {
    expect(seen(await request())).toEqual(expected);
  });

  it.each<[string, () => Promise<LightMyRequestResponse>, Expected]>([
    // RFC 6749 Appendix B: the body is UTF-8; a declared other charset would make %XX mean other characters.
    ['; charset=latin1', () => token('grant_type=client_credentials', SERVICE, `${FORM}; charset=latin1`), invalidRequest('the request body must be UTF-8 (RFC 6749 appendix B)')],
    ['; charset=ISO-8859-1', () => token('grant_type=client_credentials', SERVICE, `${FORM}; charset=ISO-8859-1`), invalidRequest('the request body must be UTF-8 (RFC 6749 appendix B)')],
    ['no content type', () => token('grant_type=client_credentials', SERVICE, null), NOT_FORM],
    ['a JSON body', () => token('{"grant_type":"client_credentials"}', SERVICE, 'application/json'), NOT_FORM],
    ['malformed JSON', () => token('{', SERVICE, 'application/json'), invalidRequest("Body is not valid JSON but content-type is set to 'application/json'")],
    ['a multipart body', () => token('--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n', SERVICE, 'multipart/form-data; boundary=x'), NOT_FORM],
    ['a content type Fastify cannot parse', () => token('grant_type=client_credentials', SERVICE, ';;;'), rfcError(415, 'invalid_request', 'Unsupported Media Type')],
    ['a body of 64 KiB + 1 byte', () => token(`grant_type=client_credentials&pad=${'x'.repeat(64 * 1024 + 1 - 'grant_type=client_credentials&pad='.length)}`, SERVICE), rfcError(413, 'invalid_request', 'Request body is too large')],
    ['raw bytes that are not UTF-8', () => token(Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), Buffer.from([0xc3, 0x28])]), SERVICE), invalidRequest('the request body is not valid UTF-8')],
    ['a 0-length form body', () => token('', SERVICE), invalidRequest("parameter 'grant_type' is missing")],
    ['a percent-encoded NUL in grant_type', () => token('grant_type=client%00credentials', SERVICE), rfcError(400, 'unsupported_grant_type', "grant_type 'client?credentials' is not supported")],
    ['a raw NUL after grant_type', () => token('grant_type=client_credentials\u0000', SERVICE), rfcError(400, 'unsupported_grant_type', "grant_type 'client_credentials?' is not supported")],
    ['a percent-encoded newline in the scope', () => token('grant_type=client_credentials&scope=api%3Aread%0A', SERVICE), invalidScope('the scope parameter is malformed')],
    ['two spaces between scopes', () => token('grant_type=client_credentials&scope=api%3Aread++api%3Awrite', SERVICE), invalidScope('the scope parameter is malformed')],
    ['a leading space in the scope', () => token('grant_type=client_credentials&scope=+api%3Aread', SERVICE), invalidScope('the scope parameter is malformed')],
    ['a quote in the scope (outside RFC 6749 §3.3)', () => token('grant_type=client_credentials&scope=%22', SERVICE), invalidScope('the scope parameter is malformed')],
    [
      '10 000 unknown scopes',
      () => token(`grant_type=client_credentials&scope=${Array.from({ length: 10_000 }, (_, i) => `s${i}`).join('+')}`, SERVICE),
      invalidScope(`the client may not request: ${Array.from({ length: 60 }, (_, i) => `s${i}`).join(' ')}`.slice(0, 197) + '...'),
    ],
    ['an unknown scope', () => token('grant_type=client_credentials&scope=api%3Aread+admin', SERVICE), invalidScope('the client may not request: admin')],
    // RFC 8707 §2: a resource is an absolute URI; one with a space is none, not two resources.
    ['a resource with a space (not two resources)', () => token(`grant_type=client_credentials&resource=${encodeURIComponent(`${API} ${API}`)}`, SERVICE), invalidTarget('a resource must be an absolute URI without a fragment')],
    ['a resource with a space in its path', () => token(`grant_type=client_credentials&resource=${encodeURIComponent(`${API}/a b`)}`, SERVICE), invalidTarget('a resource must be an absolute URI without a fragment')],
    ['a relative resource', () => token('grant_type=client_credentials&resource=%2Fapi', SERVICE), invalidTarget('a resource must be an absolute URI without a fragment')],
    ['a resource with a fragment', () => token(`grant_type=client_credentials&resource=${encodeURIComponent(`${API}#x`)}`, SERVICE), invalidTarget('a resource must be an absolute URI without a fragment')],
    ['a resource outside the client', () => token(`grant_type=client_credentials&resource=${encodeURIComponent('https://evil.example')}`, SERVICE), invalidTarget('the client may not obtain a token for: https://evil.example')],
  ])('answers %s with the exact RFC error', async (_name, request, expected) => {
    expect(seen(await request())).toEqual(expected);
  });

  // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once" (resource excepted, RFC 8707 §2).
  it.each([
    ['grant_type', 'grant_type=client_credentials'],
    ['client_id', 'client_id=web-app'],
    ['client_secret', 'client_secret=x'],
    ['code', 'code=abc'],
    ['redirect_uri', `redirect_uri=${WEB_REDIRECT}`],
    ['code_verifier', `code_verifier=${'v'.repeat(43)}`],
    ['refresh_token', 'refresh_token=abc'],
    ['scope', 'scope=api%3Aread'],
    ['username', 'username=alice'],
    ['password', 'password=alice-password'],
    ['client_assertion', 'client_assertion=a.b.c'],
    ['client_assertion_type', `client_assertion_type=${ASSERTION_TYPE}`],
  ])('refuses a repeated %s with invalid_request', async (name, pair) => {
    expect(seen(await token(`grant_type=authorization_code&${pair}&${pair}`.replace('grant_type=authorization_code&grant_type', 'grant_type'), WEB))).toEqual(
      invalidRequest(`parameter '${name}' is included more than once`),
    );
  });
});

describe('POST /token: client authentication (RFC 6749 §2.3, §5.2; RFC 7523)', () => {
  it.each<[string, string, Expected]>([
    ['"basic" in lower case (auth schemes are case-insensitive, RFC 9110 §11.1)', SERVICE.replace('Basic', 'basic'), tokenResponse({ scope: 'api:read' })],
    ['"Basic" followed by three spaces', SERVICE.replace('Basic ', 'Basic   '), tokenResponse({ scope: 'api:read' })],
    ['"Basic" followed by a tab (RFC 9110: 1*SP)', SERVICE.replace('Basic ', 'Basic\t'), invalidClient('malformed Basic credentials', TOKEN_CHALLENGE)],
    ['an empty Authorization header', ' ', invalidClient('malformed Basic credentials', TOKEN_CHALLENGE)],
    ['an empty secret', basic('demo-service', ''), invalidClient('client authentication failed', TOKEN_CHALLENGE)],
    ['a public client (spa) with an empty secret in Basic', basic('spa', ''), invalidClient('client authentication failed', TOKEN_CHALLENGE)],
    ['an unknown client', basic('nobody', 'x'), invalidClient('client authentication failed', TOKEN_CHALLENGE)],
    ['Basic with the secret of another client', basic('demo-service', CLIENTS.webApp.secret), invalidClient('client authentication failed', TOKEN_CHALLENGE)],
  ])('client_credentials with %s', async (_name, authorization, expected) => {
    expect(seen(await token('grant_type=client_credentials', authorization))).toEqual(expected);
  });

  it.each<[string, string, Expected]>([
    ['no authentication at all', 'grant_type=client_credentials', invalidClient('client authentication is required')],
    ['client_secret_post for an unknown client', 'grant_type=client_credentials&client_id=nobody&client_secret=x', invalidClient('client authentication failed')],
    ['a public client asking for client_credentials', 'grant_type=client_credentials&client_id=spa', rfcError(400, 'unauthorized_client', 'the client is not registered for the client_credentials grant')],
    ['a public client asking for the password grant', 'grant_type=password&client_id=spa&username=alice&password=alice-password', rfcError(400, 'unauthorized_client', 'the client is not registered for the password grant')],
    ['an empty client_secret (= omitted): a public-client request by a confidential client', 'grant_type=client_credentials&client_id=demo-service&client_secret=', invalidClient('client authentication failed')],
  ])('answers %s', async (_name, form, expected) => {
    expect(seen(await token(form))).toEqual(expected);
  });

  it('answers Basic and client_secret in the body (two methods) with invalid_request and no challenge', async () => {
    expect(seen(await token(`grant_type=client_credentials&client_id=demo-service&client_secret=${CLIENTS.demoService.secret}`, SERVICE))).toEqual(
      invalidRequest('more than one client authentication method was used'),
    );
  });

  describe('private_key_jwt (RFC 7523 §3)', () => {
    let privateKey: CryptoKey;
    let clientId: string;

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256');
      privateKey = pair.privateKey;
      const response = await post(
        '/register',
        { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
        JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] }, scope: 'x', default_scope: 'x' }),
      );
      expect(response.statusCode).toBe(201);
      clientId = (response.json() as { client_id: string }).client_id;
    });

    const now = () => Math.floor(Date.now() / 1000);
    const signed = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = { alg: 'ES256', kid: 'k1' }) =>
      new SignJWT({ iss: clientId, sub: clientId, aud: ISSUER, exp: now() + 60, jti: randomBytes(8).toString('hex'), ...claims })
        .setProtectedHeader(header as { alg: string })
        .sign(privateKey);
    const withAssertion = (assertion: string, extra = '') => token(`grant_type=client_credentials&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${assertion}${extra}`);
    const encodedJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    it.each<[string, () => Promise<string>, string, Expected]>([
      ['aud as an array holding the issuer', () => signed({ aud: [ISSUER, 'https://other.example'] }), '', tokenResponse({ scope: 'x' })],
      ['an exp a day ahead', () => signed({ exp: now() + 86_400 }), '', invalidClient('the client assertion exp is too far in the future')],
      ['an exp as a string', () => signed({ exp: String(now() + 60) }), '', invalidClient('the client assertion must have an exp')],
      ['an nbf an hour ahead', () => signed({ nbf: now() + 3600 }), '', invalidClient('client authentication failed')],
      ['an unknown kid', () => signed({}, { alg: 'ES256', kid: 'unknown' }), '', invalidClient('client authentication failed')],
      ['a header claiming RS256 over an ES256 signature', async () => (await signed()).replace(/^[^.]+/, encodedJson({ alg: 'RS256', kid: 'k1' })), '', invalidClient('client authentication failed')],
      ['a payload that is a JSON array', async () => `${encodedJson({ alg: 'ES256' })}.${encodedJson([1])}.c2ln`, '', invalidClient('the client assertion is not a well-formed JWT')],
      ['a numeric iss and sub', () => signed({ iss: 5, sub: 5 }), '', invalidClient('the client assertion iss and sub must both be the client_id')],
      ['iss not equal to sub', () => signed({ sub: 'demo-service' }), '', invalidClient('the client assertion iss and sub must both be the client_id')],
      ['a numeric jti', () => signed({ jti: 5 }), '', invalidClient('the client assertion must have a jti')],
      ['another client_id in the body', () => signed(), '&client_id=demo-service', invalidClient('client_id does not match the client assertion')],
      ['an assertion naming a client_secret_basic client', () => signed({ iss: 'demo-service', sub: 'demo-service' }), '', invalidClient('client authentication failed')],
      ['client_assertion_type sent twice, once empty', () => signed(), '&client_assertion_type=', invalidRequest("parameter 'client_assertion_type' is included more than once")],
    ])('%s', async (_name, assertion, extra, expected) => {
      expect(seen(await withAssertion(await assertion(), extra))).toEqual(expected);
    });

    it('refuses an HS256 assertion keyed with the client secret (RFC 7523 client_secret_jwt is not offered)', async () => {
      const hs256 = await new SignJWT({ iss: 'demo-service', sub: 'demo-service', aud: ISSUER, exp: now() + 60, jti: 'hs' })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(CLIENTS.demoService.secret));
      expect(seen(await withAssertion(hs256))).toEqual(invalidClient('the client assertion must be signed with one of ES256, RS256, PS256, EdDSA'));
    });

    it('answers an assertion whose type was sent empty with invalid_request', async () => {
      expect(seen(await token(`grant_type=client_credentials&client_assertion_type=&client_assertion=${await signed()}`))).toEqual(invalidRequest("parameter 'client_assertion_type' is missing"));
    });
  });
});

/** Sends raw HTTP/1.1 to a listening suite (inject cannot repeat a header) and answers status, headers and body. */
function rawHttp(port: number, head: string[], body: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${[...head, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'].join('\r\n')}\r\n\r\n${body}`));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, ...rest] = received.split('\r\n\r\n');
      const headers = head!.toLowerCase();
      let body = rest.join('\r\n\r\n');
      if (headers.includes('transfer-encoding: chunked')) {
        let decoded = '';
        for (let at = 0, size = 0; (size = parseInt(body.slice(at, body.indexOf('\r\n', at)), 16)) > 0; at = body.indexOf('\r\n', at) + 2 + size + 2) {
          decoded += body.substr(body.indexOf('\r\n', at) + 2, size);
        }
        body = decoded;
      }
      resolve({ status: Number(head!.split(' ')[1]), headers, body });
    });
  });
}

describe('a header that must appear once, sent twice over real HTTP (RFC 9110 §5.3)', () => {
  let port: number;

  beforeAll(async () => {
    await app.listen(0, '127.0.0.1');
    port = Number(new URL(await app.getUrl()).port);
  });

  // Node keeps the first of repeated Authorization or Content-Type fields and drops the others
  // silently; a proxy that reads the last one would disagree with us about who the client is.
  it.each([
    ['a valid Authorization, then another', ['POST /token HTTP/1.1', 'host: x', `authorization: ${SERVICE}`, `authorization: ${WEB}`, `content-type: ${FORM}`], 'authorization'],
    ['a garbage Authorization, then a valid one', ['POST /token HTTP/1.1', 'host: x', 'authorization: Basic !!!', `authorization: ${SERVICE}`, `content-type: ${FORM}`], 'authorization'],
    ['two content types', ['POST /token HTTP/1.1', 'host: x', `authorization: ${SERVICE}`, 'content-type: text/plain', `content-type: ${FORM}`], 'content-type'],
    ['two Authorization headers at /introspect', ['POST /introspect HTTP/1.1', 'host: x', `authorization: ${INTROSPECTOR}`, `authorization: ${INTROSPECTOR}`, `content-type: ${FORM}`], 'authorization'],
    ['Authorization and AUTHORIZATION (names are case-insensitive)', ['POST /introspect HTTP/1.1', 'host: x', `Authorization: ${INTROSPECTOR}`, `AUTHORIZATION: ${INTROSPECTOR}`, `content-type: ${FORM}`], 'authorization'],
    ['two content types at /verify', ['POST /verify HTTP/1.1', 'host: x', `Content-Type: ${FORM}`, `content-TYPE: ${FORM}`], 'content-type'],
    ['both repeated (the first of the two named)', ['POST /token HTTP/1.1', 'host: x', `content-type: ${FORM}`, `content-type: ${FORM}`, `authorization: ${SERVICE}`, `authorization: ${SERVICE}`], 'authorization'],
  ])('refuses %s with 400 invalid_request', async (_name, head, header) => {
    const response = await rawHttp(port, head, 'grant_type=client_credentials&token=x');
    expect({ status: response.status, body: JSON.parse(response.body) as unknown, noStore: response.headers.includes('cache-control: no-store'), noCache: response.headers.includes('pragma: no-cache') }).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: `the ${header} header is included more than once` },
      noStore: true,
      noCache: true,
    });
  });

  // Node's HTTP parser refuses these before any route runs; Fastify's clientErrorHandler answers them.
  it.each([
    ['an Authorization header of 20 KB (over Node\'s 16 KiB of headers)', ['POST /token HTTP/1.1', 'host: x', `authorization: Basic ${'A'.repeat(20 * 1024)}`, `content-type: ${FORM}`], 431, 'the request headers are too large'],
    ['a request line that is not HTTP', ['POST /token HTTP/9.9 extra', 'host: x', `content-type: ${FORM}`], 400, 'the request is not valid HTTP/1.1'],
    ['a header without a colon', ['POST /token HTTP/1.1', 'host: x', 'authorization Basic abc', `content-type: ${FORM}`], 400, 'the request is not valid HTTP/1.1'],
  ])('answers %s with the RFC error body', async (_name, head, status, description) => {
    const response = await rawHttp(port, head, 'grant_type=client_credentials');
    expect({ status: response.status, body: JSON.parse(response.body) as unknown, json: response.headers.includes(`content-type: ${JSON_UTF8}`), noStore: response.headers.includes('cache-control: no-store'), noCache: response.headers.includes('pragma: no-cache') }).toEqual({
      status,
      body: { error: 'invalid_request', error_description: description },
      json: true,
      noStore: true,
      noCache: true,
    });
  });

  it('still issues a token for one Authorization header over real HTTP', async () => {
    const response = await rawHttp(port, ['POST /token HTTP/1.1', 'host: x', `authorization: ${SERVICE}`, `content-type: ${FORM}`], 'grant_type=client_credentials');
    expect({ status: response.status, body: JSON.parse(response.body) as unknown }).toEqual({
      status: 200,
      body: { access_token: expect.stringMatching(ACCESS_TOKEN), token_type: 'Bearer', expires_in: 600, scope: 'api:read' },
    });
  });
});

describe('POST /token: authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.5)', () => {
  it('issues the token once; the same code again is invalid_grant', async () => {
    const { form } = await seededCode();
    expect(seen(await token(form(), WEB))).toEqual(tokenResponse({ refreshToken: true, scope: 'openid api:read' }));
    expect(seen(await token(form(), WEB))).toEqual(CODE_REFUSED);
  });

  it.each<[string, (seed: Awaited<ReturnType<typeof seededCode>>) => string, string | undefined, Expected]>([
    ['a 42-character code_verifier', (s) => `grant_type=authorization_code&code=${s.code}&redirect_uri=${WEB_REDIRECT}&code_verifier=${'a'.repeat(42)}`, WEB, VERIFIER_SYNTAX],
    ['a 129-character code_verifier', (s) => `grant_type=authorization_code&code=${s.code}&redirect_uri=${WEB_REDIRECT}&code_verifier=${'a'.repeat(129)}`, WEB, VERIFIER_SYNTAX],
    ['a code_verifier with "+"', (s) => `grant_type=authorization_code&code=${s.code}&redirect_uri=${WEB_REDIRECT}&code_verifier=${'a'.repeat(50)}%2B`, WEB, VERIFIER_SYNTAX],
    ['a wrong code_verifier', (s) => `grant_type=authorization_code&code=${s.code}&redirect_uri=${WEB_REDIRECT}&code_verifier=${'a'.repeat(43)}`, WEB, invalidGrant('PKCE verification failed')],
    ['no code_verifier', (s) => `grant_type=authorization_code&code=${s.code}&redirect_uri=${WEB_REDIRECT}`, WEB, invalidGrant('PKCE verification failed')],
    ['a redirect_uri with a trailing slash', (s) => s.form().replace(WEB_REDIRECT, `${WEB_REDIRECT}%2F`), WEB, invalidGrant('redirect_uri does not match the authorization request')],
    ['no redirect_uri', (s) => s.form().replace(`&redirect_uri=${WEB_REDIRECT}`, ''), WEB, invalidGrant('redirect_uri does not match the authorization request')],
    ['the code of web-app redeemed by spa', (s) => `${s.form()}&client_id=spa`, undefined, invalidGrant('the authorization code was issued to another client')],
    ['a resource outside the client', (s) => s.form(`&resource=${encodeURIComponent('https://evil.example')}`), WEB, invalidTarget('the client may not obtain a token for: https://evil.example')],
    ['a garbage code', () => 'grant_type=authorization_code&code=garbage', WEB, CODE_REFUSED],
    ['a 60 000-character code', () => `grant_type=authorization_code&code=${'c'.repeat(60_000)}`, WEB, CODE_REFUSED],
    ['an empty code (= omitted)', () => 'grant_type=authorization_code&code=', WEB, invalidRequest("parameter 'code' is missing")],
  ])('answers %s', async (_name, form, authorization, expected) => {
    expect(seen(await token(form(await seededCode()), authorization))).toEqual(expected);
  });

  it('answers an expired code with invalid_grant', async () => {
    const { form } = await seededCode({ expiresAt: Math.floor(Date.now() / 1000) + 1 });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(seen(await token(form(), WEB))).toEqual(CODE_REFUSED);
  });
});

describe('POST /token: refresh_token (RFC 6749 §6)', () => {
  it.each<[string, (refreshToken: string) => string, string | undefined, Expected]>([
    ['a narrower scope', (rt) => `grant_type=refresh_token&refresh_token=${rt}&scope=api%3Aread`, WEB, tokenResponse({ refreshToken: true })],
    ['a wider scope', (rt) => `grant_type=refresh_token&refresh_token=${rt}&scope=api%3Awrite`, WEB, invalidScope('scope beyond the original grant: api:write')],
    ['a malformed scope', (rt) => `grant_type=refresh_token&refresh_token=${rt}&scope=a%0Ab`, WEB, invalidScope('the scope parameter is malformed')],
    ['the refresh token of web-app presented by spa', (rt) => `grant_type=refresh_token&refresh_token=${rt}&client_id=spa`, undefined, REFRESH_REFUSED],
    ['a resource outside the grant', (rt) => `grant_type=refresh_token&refresh_token=${rt}&resource=${encodeURIComponent('https://evil.example')}`, WEB, invalidTarget('the client may not obtain a token for: https://evil.example')],
    ['a garbage refresh token', () => 'grant_type=refresh_token&refresh_token=garbage', WEB, REFRESH_REFUSED],
    ['a 60 000-character refresh token', () => `grant_type=refresh_token&refresh_token=${'r'.repeat(60_000)}`, WEB, REFRESH_REFUSED],
    ['no refresh token', () => 'grant_type=refresh_token', WEB, invalidRequest("parameter 'refresh_token' is missing")],
  ])('answers %s', async (_name, form, authorization, expected) => {
    expect(seen(await token(form(await refreshTokenOfWebApp()), authorization))).toEqual(expected);
  });
});

describe('POST /token: password (RFC 6749 §4.3)', () => {
  it.each<[string, string, Expected]>([
    ['the right password', 'username=alice&password=alice-password', tokenResponse({ refreshToken: true, scope: 'api:read' })],
    ['an empty username (= omitted)', 'username=&password=alice-password', invalidRequest("parameter 'username' is missing")],
    ['an empty password (= omitted)', 'username=alice&password=', invalidRequest("parameter 'password' is missing")],
    ['a wrong password', 'username=bob&password=not-bobs-password', invalidGrant('the resource owner credentials are invalid')],
    ['a 5000-character password', `username=carol&password=${'p'.repeat(5000)}`, invalidGrant('the resource owner credentials are invalid')],
    ['a 5000-character username', `username=${'u'.repeat(5000)}&password=x`, invalidGrant('the resource owner credentials are invalid')],
    ['a NUL in the username', 'username=car%00ol&password=carol-password', invalidGrant('the resource owner credentials are invalid')],
    ['an LDAP filter in the username', 'username=*)(uid%3D*&password=x', invalidGrant('the resource owner credentials are invalid')],
  ])('answers %s', async (_name, credentials, expected) => {
    expect(seen(await token(`grant_type=password&${credentials}`, LEGACY))).toEqual(expected);
  });
});

describe('POST /introspect: client authentication (RFC 7662 §2.1, §2.3)', () => {
  const introspect = (form: string, authorization?: string) => post('/introspect', { 'content-type': FORM, ...(authorization ? { authorization } : {}) }, form);

  it.each<[string, string, string | undefined, Expected]>([
    ['no client authentication', 'token=x', undefined, invalidClient('client authentication is required', INTROSPECT_CHALLENGE)],
    ['a public client (client_id only)', 'token=x&client_id=spa', undefined, invalidClient('introspection requires a confidential client', INTROSPECT_CHALLENGE)],
    ['client_secret_post by a client_secret_basic client', `token=x&client_id=demo-api&client_secret=${CLIENTS.demoApi.secret}`, undefined, invalidClient('client authentication failed', INTROSPECT_CHALLENGE)],
    ['a client assertion (not accepted here)', `token=x&client_assertion_type=${ASSERTION_TYPE}&client_assertion=a.b.c`, undefined, invalidClient('client assertions are not accepted at this endpoint', INTROSPECT_CHALLENGE)],
    ['a wrong secret', 'token=x', basic('demo-api', 'wrong'), invalidClient('client authentication failed', INTROSPECT_CHALLENGE)],
  ])('answers %s with 401 and a challenge', async (_name, form, authorization, expected) => {
    expect(seen(await introspect(form, authorization))).toEqual(expected);
  });

  it.each([
    ['a garbage token', 'token=garbage'],
    ['a 60 000-character token', `token=${'t'.repeat(60_000)}`],
    ['an unknown token_type_hint (RFC 7662 §2.1: the server may ignore it)', 'token=x&token_type_hint=foo'],
    ['an unsigned JWT (alg none)', `token=${Buffer.from('{"alg":"none","kid":"x"}').toString('base64url')}.e30.`],
  ])('answers %s with exactly { active: false }', async (_name, form) => {
    const response = await introspect(form, INTROSPECTOR);
    expect({ status: response.statusCode, body: response.json(), cacheControl: response.headers['cache-control'] }).toEqual({ status: 200, body: { active: false }, cacheControl: 'no-store' });
  });
});

describe('no secret in a log line, an event or a storage key', () => {
  it('runs every grant and client authentication method, then finds none of the secrets it sent or received', async () => {
    const secrets: string[] = [CLIENTS.demoService.secret, CLIENTS.webApp.secret, CLIENTS.legacyApp.secret, CLIENTS.demoApi.secret, INITIAL_ACCESS_TOKEN, 'alice-password', 'wrong-password-of-alice'];
    const collect = (response: LightMyRequestResponse) => {
      const body = response.json() as Record<string, unknown>;
      for (const name of ['access_token', 'refresh_token', 'client_secret', 'registration_access_token']) if (typeof body[name] === 'string') secrets.push(body[name] as string);
      return body;
    };

    collect(await token('grant_type=client_credentials', SERVICE));
    collect(await token(`grant_type=client_credentials&client_id=demo-service&client_secret=${CLIENTS.demoService.secret}`));
    const seed = await seededCode();
    secrets.push(seed.code, seed.verifier);
    const redeemed = collect(await token(seed.form(), WEB));
    const refreshed = collect(await token(`grant_type=refresh_token&refresh_token=${String(redeemed.refresh_token)}`, WEB));
    collect(await token(`grant_type=refresh_token&refresh_token=${String(redeemed.refresh_token)}`, WEB)); // reuse: revokes the family
    collect(await token(seed.form(), WEB)); // a replayed code
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    const fresh = await seededCode();
    secrets.push(fresh.code, fresh.verifier);
    const second = collect(await token(fresh.form(), WEB));
    const rotated = collect(await token(`grant_type=refresh_token&refresh_token=${String(second.refresh_token)}`, WEB));
    collect(await token(`grant_type=refresh_token&refresh_token=${String(rotated.refresh_token)}`, WEB));
    collect(await token('grant_type=password&username=alice&password=alice-password', LEGACY));
    collect(await token('grant_type=password&username=alice&password=wrong-password-of-alice', LEGACY));
    const registration = collect(
      await post('/register', { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` }, JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'y' })),
    );
    collect(await token(`grant_type=client_credentials&client_id=${String(registration.client_id)}&client_secret=${String(registration.client_secret)}&scope=y`));
    const pair = await generateKeyPair('ES256');
    const jwtClient = collect(
      await post(
        '/register',
        { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
        JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(pair.publicKey)] }, scope: 'z' }),
      ),
    );
    const assertion = await new SignJWT({ iss: String(jwtClient.client_id), sub: String(jwtClient.client_id), aud: `${ISSUER}/token`, exp: Math.floor(Date.now() / 1000) + 60, jti: 'jti-secret-check' })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(pair.privateKey);
    secrets.push(assertion);
    collect(await token(`grant_type=client_credentials&scope=z&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${assertion}`));
    collect(await token(`grant_type=client_credentials&scope=z&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${assertion}`)); // replayed jti
    const accessToken = secrets.find((value) => ACCESS_TOKEN.test(value) && value.split('.').length === 3)!;
    await post('/introspect', { 'content-type': FORM, authorization: INTROSPECTOR }, `token=${accessToken}`);
    await post('/introspect', { 'content-type': FORM }, `token=${accessToken}&client_id=demo-api&client_secret=${CLIENTS.demoApi.secret}`);
    await post('/verify', { 'content-type': FORM }, `token=${accessToken}`);
    await app.inject({ method: 'GET', url: `/register/${String(registration.client_id)}`, headers: { authorization: `Bearer ${String(registration.registration_access_token)}` } });

    expect(secrets.length).toBeGreaterThan(20);
    const events = ALL_TOPICS.flatMap((topic) => bus.readTopic(topic).map((record) => `${record.key ?? ''} ${record.value.toString('utf8')} ${JSON.stringify(record.headers)}`));
    const ttlKeys = [...(app.get(TTL_STORE) as unknown as { entries: Map<string, { value: string }> }).entries.entries()].map(([key, entry]) => `${key} ${JSON.stringify(entry)}`);
    const database = app.get<SqlDatabase>(SQL_DATABASE);
    const tables = await database.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    const rows: string[] = [];
    for (const { table_name } of tables.rows) {
      const result = await database.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table_name}" t`);
      rows.push(...result.rows.map((row) => row.row));
    }
    expect(events.length).toBeGreaterThan(10);
    expect(rows.length).toBeGreaterThan(5);
    const everywhere = { logs: logLines.join(''), events: events.join('\n'), ttlStore: ttlKeys.join('\n'), sql: rows.join('\n') };
    // The search sees what was written: the hashes that stand for the secrets are there.
    expect({
      codeHashInTtlStore: everywhere.ttlStore.includes(sha256Hash(fresh.code)),
      accessTokenHashInEvents: everywhere.events.includes(sha256Hash(String(redeemed.access_token))),
      refreshTokenHashInSql: everywhere.sql.includes(sha256Hash(String(rotated.refresh_token))),
      loginInLogs: everywhere.logs.includes('login succeeded'),
    }).toEqual({ codeHashInTtlStore: true, accessTokenHashInEvents: true, refreshTokenHashInSql: true, loginInLogs: true });
    const leaks = Object.entries(everywhere).flatMap(([where, text]) => secrets.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret.slice(0, 12)}...`));
    expect(leaks).toEqual([]);
  });
});
