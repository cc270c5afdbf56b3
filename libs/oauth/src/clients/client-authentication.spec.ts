import { type CryptoKey, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { InvalidClient, InvalidRequest, OAuthError } from '../errors';
import { sha256Hash } from '../hash';
import {
  authenticateClient,
  type ClientAssertionOptions,
  type ClientAuthenticationOptions,
  JWT_BEARER_CLIENT_ASSERTION_TYPE,
  parseBasicAuthorization,
} from './client-authentication';
import { ClientSecretHasher } from './client-secret';
import type { ClientJwk, RegisteredClient } from './registered-client';

describe('parseBasicAuthorization (RFC 6749 §2.3.1, RFC 9110 §11.4)', () => {
  const encoded = Buffer.from('a%3Ab:s+cret').toString('base64');

  it.each([`Basic ${encoded}`, `Basic   ${encoded}`, `basic ${encoded}`, `  BASIC ${encoded}  `])('accepts %j (1*SP after the scheme, any case)', (header) => {
    expect(parseBasicAuthorization(header)).toEqual({ clientId: 'a:b', clientSecret: 's cret' });
  });

  it.each([
    ['"+" is a space', 'my+client:pa+ss', { clientId: 'my client', clientSecret: 'pa ss' }],
    ['%2B is a plus sign', 'my%2Bclient:pa%2Bss', { clientId: 'my+client', clientSecret: 'pa+ss' }],
    ['%3A is a colon, inside the id and the secret', 'urn%3Aexample%3Aclient:a%3Ab', { clientId: 'urn:example:client', clientSecret: 'a:b' }],
    ['%25 is a percent sign', '100%25:%25%25', { clientId: '100%', clientSecret: '%%' }],
    ['%XX sequences are UTF-8', 'caf%C3%A9:%E2%82%AC', { clientId: 'café', clientSecret: '€' }],
    ['a colon in the secret after the first one is kept', 'client:a:b:c', { clientId: 'client', clientSecret: 'a:b:c' }],
    ['an empty secret', 'client:', { clientId: 'client', clientSecret: '' }],
  ])('form-decodes the id and the secret after base64 (%s)', (_case, credentials, expected) => {
    expect(parseBasicAuthorization(`Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`)).toEqual(expected);
  });

  it.each(['Basic', `Bearer ${encoded}`, `Basic${encoded}`, `Basic ${encoded} x`, `Basic ${Buffer.from('a%:b').toString('base64')}`])('refuses %j with invalid_client', (header) => {
    expect(() => parseBasicAuthorization(header)).toThrow(InvalidClient);
  });
});

const ISSUER = 'https://as.example.org';
const TOKEN_ENDPOINT = 'https://as.example.org/token';
const NOW = new Date('2026-01-02T03:04:05Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const PEPPER = Buffer.alloc(32, 3);
const hasher = new ClientSecretHasher(PEPPER);

type Keys = { privateKey: CryptoKey; jwk: ClientJwk };

async function keyPair(alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA', kid: string): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } as ClientJwk };
}

let es256: Keys;
let rs256: Keys;
let ps256: Keys;
let eddsa: Keys;
let stranger: Keys;
let jwtClient: RegisteredClient;
let clients: RegisteredClient[];

beforeAll(async () => {
  [es256, rs256, ps256, eddsa, stranger] = await Promise.all([
    keyPair('ES256', 'es'),
    keyPair('RS256', 'rs'),
    keyPair('PS256', 'ps'),
    keyPair('EdDSA', 'ed'),
    keyPair('ES256', 'es'),
  ]);
  jwtClient = {
    clientId: 'jwt-client',
    clientName: 'private_key_jwt client',
    tokenEndpointAuthMethod: 'private_key_jwt',
    grantTypes: ['client_credentials'],
    scope: ['reports'],
    defaultScope: ['reports'],
    audience: [],
    redirectUris: [],
    jwks: { keys: [es256.jwk, rs256.jwk, ps256.jwk, eddsa.jwk] },
  };
  clients = [
    jwtClient,
    { ...jwtClient, clientId: 'jwt-client-without-keys', jwks: { keys: [] } },
    { ...jwtClient, clientId: 'secret-client', tokenEndpointAuthMethod: 'client_secret_basic', secretHash: hasher.hash('the-secret') },
    { ...jwtClient, clientId: 'post-client', tokenEndpointAuthMethod: 'client_secret_post', secretHash: hasher.hash('the-post-secret') },
    { ...jwtClient, clientId: 'seed-client', tokenEndpointAuthMethod: 'client_secret_basic', secretHash: sha256Hash('seed-secret') },
    { ...jwtClient, clientId: 'public-client', tokenEndpointAuthMethod: 'none' },
  ];
});

const findClient = async (clientId: string) => clients.find((client) => client.clientId === clientId) ?? null;

/** The jti replay memory: what was remembered, for how long. */
class ReplayMemory {
  readonly remembered = new Map<string, number>();
  rememberOnce = async (key: string, ttlMs: number) => {
    if (this.remembered.has(key)) return false;
    this.remembered.set(key, ttlMs);
    return true;
  };
}

let replay: ReplayMemory;
let assertionOptions: ClientAssertionOptions;
let options: ClientAuthenticationOptions;
beforeEach(() => {
  replay = new ReplayMemory();
  assertionOptions = { audiences: [ISSUER, TOKEN_ENDPOINT], now: () => NOW, rememberOnce: replay.rememberOnce };
  options = { secrets: hasher, assertions: assertionOptions };
});

type Claims = Record<string, unknown>;
const GOOD_CLAIMS: Claims = { iss: 'jwt-client', sub: 'jwt-client', aud: TOKEN_ENDPOINT, exp: NOW_S + 60, iat: NOW_S, jti: 'jti-1' };

function sign(claims: Claims, keys: Keys = es256, header: Record<string, unknown> = {}): Promise<string> {
  const alg = keys.jwk.alg!;
  return new SignJWT(claims).setProtectedHeader({ alg, kid: keys.jwk.kid, ...header }).sign(keys.privateKey);
}

function form(fields: Record<string, string>): ReadonlyMap<string, string> {
  return new Map(Object.entries(fields));
}

function withAssertion(assertion: string, extra: Record<string, string> = {}) {
  return form({ client_assertion_type: JWT_BEARER_CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...extra });
}

/** Everything a client sees of an error: its class, HTTP status, headers and JSON body. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { type: error.constructor, status: error.status, headers: error.headers, body: error.toBody() };
  }
  throw new Error('expected the authentication to be refused');
}

const invalidClient400 = (description: string) => ({ type: InvalidClient, status: 400, headers: {}, body: { error: 'invalid_client', error_description: description } });
const invalidRequest = (description: string) => ({ type: InvalidRequest, status: 400, headers: {}, body: { error: 'invalid_request', error_description: description } });
const CHALLENGE = { 'www-authenticate': 'Basic realm="token", error="invalid_client"' };

describe('authenticateClient: client secrets (RFC 6749 §2.3.1) with keyed hashes', () => {
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('authenticates client_secret_basic against an hmac-sha256 hash', async () => {
    await expect(authenticateClient(form({}), basic('secret-client', 'the-secret'), findClient, options)).resolves.toEqual({
      client: clients[2],
      method: 'client_secret_basic',
    });
  });

  it('authenticates client_secret_post against an hmac-sha256 hash', async () => {
    await expect(authenticateClient(form({ client_id: 'post-client', client_secret: 'the-post-secret' }), undefined, findClient, options)).resolves.toEqual({
      client: clients[3],
      method: 'client_secret_post',
    });
  });

  it('authenticates a seed client whose hash is the unkeyed sha256: form', async () => {
    await expect(authenticateClient(form({}), basic('seed-client', 'seed-secret'), findClient, options)).resolves.toEqual({
      client: clients[4],
      method: 'client_secret_basic',
    });
  });

  it('authenticates a public client (none) by its client_id alone', async () => {
    await expect(authenticateClient(form({ client_id: 'public-client' }), undefined, findClient, options)).resolves.toEqual({ client: clients[5], method: 'none' });
  });

  it('cannot match a keyed hash without the pepper (no hasher given)', async () => {
    expect(await refusal(authenticateClient(form({}), basic('secret-client', 'the-secret'), findClient))).toEqual({
      type: InvalidClient,
      status: 401,
      headers: CHALLENGE,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
    });
  });

  it('answers 401 with a challenge to a wrong Basic secret, 400 without one to a wrong posted secret', async () => {
    expect(await refusal(authenticateClient(form({}), basic('secret-client', 'wrong'), findClient, options))).toEqual({
      type: InvalidClient,
      status: 401,
      headers: CHALLENGE,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
    });
    expect(await refusal(authenticateClient(form({ client_id: 'post-client', client_secret: 'wrong' }), undefined, findClient, options))).toEqual(
      invalidClient400('client authentication failed'),
    );
  });

  it('refuses a secret for a private_key_jwt client, and client_id alone for a confidential one', async () => {
    expect(await refusal(authenticateClient(form({ client_id: 'jwt-client', client_secret: 'x' }), undefined, findClient, options))).toEqual(
      invalidClient400('client authentication failed'),
    );
    expect(await refusal(authenticateClient(form({ client_id: 'jwt-client' }), undefined, findClient, options))).toEqual(invalidClient400('client authentication failed'));
    expect(await refusal(authenticateClient(form({ client_id: 'secret-client' }), undefined, findClient, options))).toEqual(invalidClient400('client authentication failed'));
  });
});

describe('authenticateClient: private_key_jwt (RFC 7523 §2.2, §3)', () => {
  describe('success', () => {
    it.each([
      ['ES256, aud the token endpoint', () => es256, TOKEN_ENDPOINT],
      ['RS256, aud the issuer', () => rs256, ISSUER],
      ['PS256, aud an array holding the issuer', () => ps256, [ISSUER, 'https://other.example.org']],
      ['EdDSA (Ed25519)', () => eddsa, TOKEN_ENDPOINT],
    ])('authenticates an assertion signed with %s', async (_case, keys, aud) => {
      const assertion = await sign({ ...GOOD_CLAIMS, aud }, keys());

      await expect(authenticateClient(withAssertion(assertion), undefined, findClient, options)).resolves.toEqual({ client: jwtClient, method: 'private_key_jwt' });
    });

    it('accepts a client_id parameter equal to the assertion sub (RFC 7523 §2.2)', async () => {
      const assertion = await sign(GOOD_CLAIMS);

      await expect(authenticateClient(withAssertion(assertion, { client_id: 'jwt-client' }), undefined, findClient, options)).resolves.toEqual({
        client: jwtClient,
        method: 'private_key_jwt',
      });
    });

    it('remembers the jti under a hash of client id and jti until exp plus the tolerance, never the assertion', async () => {
      const assertion = await sign(GOOD_CLAIMS);
      await authenticateClient(withAssertion(assertion), undefined, findClient, options);

      expect([...replay.remembered]).toEqual([[`client-assertion:${sha256Hash(JSON.stringify(['jwt-client', 'jti-1']))}`, (60 + 30) * 1000]]);
    });
  });

  describe('keys at a jwks_uri (RFC 7591)', () => {
    const uriClient = () => ({ ...jwtClient, clientId: 'uri-client', jwks: undefined, jwksUri: 'https://uri-client.example.org/jwks' });
    const claims = { ...GOOD_CLAIMS, iss: 'uri-client', sub: 'uri-client' };
    const findWithUri = async (clientId: string) => (clientId === 'uri-client' ? uriClient() : findClient(clientId));

    it('verifies with the key set at the URI, fetching again once when the cached set lacks the key (rotation)', async () => {
      const calls: Array<[string, boolean]> = [];
      const keySetAt = async (uri: string, refresh: boolean) => {
        calls.push([uri, refresh]);
        return { keys: refresh ? [rs256.jwk, es256.jwk] : [rs256.jwk] };
      };

      await expect(authenticateClient(withAssertion(await sign(claims)), undefined, findWithUri, { ...options, assertions: { ...assertionOptions, keySetAt } })).resolves.toEqual({
        client: uriClient(),
        method: 'private_key_jwt',
      });
      expect(calls).toEqual([
        ['https://uri-client.example.org/jwks', false],
        ['https://uri-client.example.org/jwks', true],
      ]);
    });

    it('answers invalid_client when the key set cannot be had, or when nothing can fetch it', async () => {
      const unreachable = async () => Promise.reject(new Error('jwks_uri unreachable'));

      expect(await refusal(authenticateClient(withAssertion(await sign(claims)), undefined, findWithUri, { ...options, assertions: { ...assertionOptions, keySetAt: unreachable } }))).toEqual(
        invalidClient400('client authentication failed'),
      );
      expect(await refusal(authenticateClient(withAssertion(await sign({ ...claims, jti: 'other' })), undefined, findWithUri, options))).toEqual(
        invalidClient400('client authentication failed'),
      );
      expect(replay.remembered.size).toBe(0);
    });

    it('does not fetch again for a bad signature by a known kid', async () => {
      const calls: boolean[] = [];
      const keySetAt = async (_uri: string, refresh: boolean) => {
        calls.push(refresh);
        return { keys: [es256.jwk] };
      };

      expect(await refusal(authenticateClient(withAssertion(await sign(claims, stranger)), undefined, findWithUri, { ...options, assertions: { ...assertionOptions, keySetAt } }))).toEqual(
        invalidClient400('client authentication failed'),
      );
      expect(calls).toEqual([false]);
    });
  });

  describe('replay', () => {
    it('refuses the same jti a second time, even in another assertion', async () => {
      await authenticateClient(withAssertion(await sign(GOOD_CLAIMS)), undefined, findClient, options);

      expect(await refusal(authenticateClient(withAssertion(await sign(GOOD_CLAIMS)), undefined, findClient, options))).toEqual(
        invalidClient400('the client assertion was already used'),
      );
      expect(await refusal(authenticateClient(withAssertion(await sign({ ...GOOD_CLAIMS, exp: NOW_S + 120 })), undefined, findClient, options))).toEqual(
        invalidClient400('the client assertion was already used'),
      );
    });

    it('lets the replay store failure through (the endpoint answers 503, fail closed)', async () => {
      const outage = new Error('store down');
      const failing = { ...options, assertions: { ...assertionOptions, rememberOnce: () => Promise.reject(outage) } };

      await expect(authenticateClient(withAssertion(await sign(GOOD_CLAIMS)), undefined, findClient, failing)).rejects.toBe(outage);
    });

    it('does not remember the jti of an assertion it refused', async () => {
      await refusal(authenticateClient(withAssertion(await sign(GOOD_CLAIMS, stranger)), undefined, findClient, options));

      expect(replay.remembered.size).toBe(0);
    });
  });

  describe('refusals', () => {
    it.each<[string, () => Promise<string>, string]>([
      ['iss different from sub', () => sign({ ...GOOD_CLAIMS, iss: 'someone-else' }), 'the client assertion iss and sub must both be the client_id'],
      ['no iss', () => sign({ ...GOOD_CLAIMS, iss: undefined }), 'the client assertion iss and sub must both be the client_id'],
      ['a numeric sub', () => sign({ ...GOOD_CLAIMS, sub: 5 }), 'the client assertion iss and sub must both be the client_id'],
      ['another audience', () => sign({ ...GOOD_CLAIMS, aud: 'https://rs.example.org' }), 'the client assertion aud must be the issuer or the token endpoint'],
      ['no audience', () => sign({ ...GOOD_CLAIMS, aud: undefined }), 'the client assertion aud must be the issuer or the token endpoint'],
      ['no exp', () => sign({ ...GOOD_CLAIMS, exp: undefined }), 'the client assertion must have an exp'],
      ['exp as a string', () => sign({ ...GOOD_CLAIMS, exp: String(NOW_S + 60) }), 'the client assertion must have an exp'],
      ['an expired exp (beyond the 30 s tolerance)', () => sign({ ...GOOD_CLAIMS, exp: NOW_S - 31 }), 'the client assertion has expired'],
      ['exp more than 5 minutes ahead', () => sign({ ...GOOD_CLAIMS, exp: NOW_S + 331 }), 'the client assertion exp is too far in the future'],
      ['no jti', () => sign({ ...GOOD_CLAIMS, jti: undefined }), 'the client assertion must have a jti'],
      ['an empty jti', () => sign({ ...GOOD_CLAIMS, jti: '' }), 'the client assertion must have a jti'],
    ])('refuses an assertion with %s as invalid_client (RFC 7521 §4.2.1)', async (_case, assertion, description) => {
      expect(await refusal(authenticateClient(withAssertion(await assertion()), undefined, findClient, options))).toEqual(invalidClient400(description));
      expect(replay.remembered.size).toBe(0);
    });

    it.each<[string, () => Promise<string> | string]>([
      ['alg none (an unsecured JWT)', () => new UnsecuredJWT(GOOD_CLAIMS).encode()],
      ['HS256', () => new SignJWT(GOOD_CLAIMS).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32))],
      ['ES384', async () => new SignJWT(GOOD_CLAIMS).setProtectedHeader({ alg: 'ES384' }).sign((await generateKeyPair('ES384')).privateKey)],
    ])('refuses an assertion signed with %s', async (_case, assertion) => {
      expect(await refusal(authenticateClient(withAssertion(await assertion()), undefined, findClient, options))).toEqual(
        invalidClient400('the client assertion must be signed with one of ES256, RS256, PS256, EdDSA'),
      );
    });

    it.each([
      ['a word', 'not-a-jwt'],
      ['three dots of garbage', 'a.b.c'],
      ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.e30.sig`],
      ['a payload that is not JSON', `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('[').toString('base64url')}.sig`],
      ['a payload that is a JSON array', `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('[]').toString('base64url')}.sig`],
      ['an empty value', ''],
      ['a JWE (5 parts)', `${Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM"}').toString('base64url')}.a.b.c.d`],
    ])('refuses a malformed assertion (%s) as invalid_client', async (_case, assertion) => {
      // An empty parameter counts as omitted (RFC 6749 §3.1), so the form parser never sends '': tested directly here.
      const parameters = assertion === '' ? form({ client_assertion_type: JWT_BEARER_CLIENT_ASSERTION_TYPE, client_assertion: '' }) : withAssertion(assertion);
      expect(await refusal(authenticateClient(parameters, undefined, findClient, options))).toEqual(invalidClient400('the client assertion is not a well-formed JWT'));
    });

    it.each<[string, () => Promise<string>]>([
      ['an unknown client', () => sign({ ...GOOD_CLAIMS, iss: 'nobody', sub: 'nobody' })],
      ['a client registered for client_secret_basic', () => sign({ ...GOOD_CLAIMS, iss: 'secret-client', sub: 'secret-client' })],
      ['a client without keys', () => sign({ ...GOOD_CLAIMS, iss: 'jwt-client-without-keys', sub: 'jwt-client-without-keys' })],
      ['a key the client did not register (same kid)', () => sign(GOOD_CLAIMS, stranger)],
      ['an unknown kid', () => sign(GOOD_CLAIMS, es256, { kid: 'unknown' })],
      ['nbf in the future', () => sign({ ...GOOD_CLAIMS, nbf: NOW_S + 120 })],
    ])('answers %s with the same invalid_client', async (_case, assertion) => {
      expect(await refusal(authenticateClient(withAssertion(await assertion()), undefined, findClient, options))).toEqual(invalidClient400('client authentication failed'));
    });

    it('refuses a client_id parameter different from the assertion sub', async () => {
      expect(await refusal(authenticateClient(withAssertion(await sign(GOOD_CLAIMS), { client_id: 'secret-client' }), undefined, findClient, options))).toEqual(
        invalidClient400('client_id does not match the client assertion'),
      );
    });

    it('refuses another assertion type', async () => {
      const parameters = form({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: await sign(GOOD_CLAIMS) });

      expect(await refusal(authenticateClient(parameters, undefined, findClient, options))).toEqual(invalidClient400('unsupported client_assertion_type'));
    });

    it('refuses an assertion where client assertions are not enabled (no replay store)', async () => {
      expect(await refusal(authenticateClient(withAssertion(await sign(GOOD_CLAIMS)), undefined, findClient, { secrets: hasher }))).toEqual(
        invalidClient400('client assertions are not accepted at this endpoint'),
      );
    });

    it('answers invalid_request to one of the two parameters without the other', async () => {
      expect(await refusal(authenticateClient(form({ client_assertion: await sign(GOOD_CLAIMS) }), undefined, findClient, options))).toEqual(
        invalidRequest("parameter 'client_assertion_type' is missing"),
      );
      expect(await refusal(authenticateClient(form({ client_assertion_type: JWT_BEARER_CLIENT_ASSERTION_TYPE }), undefined, findClient, options))).toEqual(
        invalidRequest("parameter 'client_assertion' is missing"),
      );
    });

    it('answers invalid_request to an assertion together with Basic or a client_secret (RFC 6749 §2.3)', async () => {
      const assertion = await sign(GOOD_CLAIMS);
      const basic = `Basic ${Buffer.from('jwt-client:x').toString('base64')}`;

      expect(await refusal(authenticateClient(withAssertion(assertion), basic, findClient, options))).toEqual(invalidRequest('more than one client authentication method was used'));
      expect(await refusal(authenticateClient(withAssertion(assertion, { client_secret: 'x' }), undefined, findClient, options))).toEqual(
        invalidRequest('more than one client authentication method was used'),
      );
    });
  });
});
