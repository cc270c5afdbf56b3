import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { KafkaRevocationFeed, RevocationFeed } from './revocation-feed';
import { IntrospectionServer, JwksServer, signAccessToken, type TestKey, testKey } from './test-servers';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier';

const ISSUER = 'https://issuer.example.org';
const AUDIENCE = 'https://api.example.org';
const T0 = 1_800_000_000;
const CHALLENGE = 'Bearer realm="demo-api", error="invalid_token"';
const invalid = (description: string) => ({ ok: false, status: 401, headers: { 'www-authenticate': CHALLENGE }, body: { error: 'invalid_token', error_description: description } });

let jwks: JwksServer;
let key: TestKey;
let nowMs: number;
let feed: RevocationFeed;
const verifiers: Verifier[] = [];

function verifier(options: Partial<VerifierOptions> = {}): Verifier {
  const made = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url, realm: 'demo-api', revocations: feed, now: () => nowMs, ...options });
  verifiers.push(made);
  return made;
}

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'alice',
  aud: AUDIENCE,
  client_id: 'web-app',
  iat: T0,
  exp: T0 + 600,
  jti: 'jti-1',
  grant_id: 'grant-1',
  scope: 'profile api:read',
  ...extra,
});
const token = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer = key) => signAccessToken(signer, claims(extra), header);
const bearer = async (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => `Bearer ${await token(extra, header)}`;

beforeEach(async () => {
  jwks = await new JwksServer().start();
  key = await testKey('k1');
  jwks.keys = [key.jwk];
  nowMs = (T0 + 10) * 1000;
  feed = new RevocationFeed({ maxTokenLifetimeSeconds: 86_400, clockSkewSeconds: 30, now: () => nowMs });
});

afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((made) => made.close()));
  await jwks.stop();
});

describe('createVerifier: the request (RFC 6750 §2.1, §3.1)', () => {
  it('accepts a valid token and answers its claims and scopes', async () => {
    expect(await verifier().verify(await bearer(), { scopes: ['api:read'] })).toEqual({ ok: true, claims: claims(), scopes: ['profile', 'api:read'] });
  });

  it('answers a bare challenge without credentials or with another scheme, invalid_request for a malformed Bearer header', async () => {
    const bare = { ok: false, status: 401, headers: { 'www-authenticate': 'Bearer realm="demo-api"' }, body: { error: 'unauthorized', error_description: 'a bearer access token is required' } };
    const malformed = {
      ok: false,
      status: 400,
      headers: { 'www-authenticate': 'Bearer realm="demo-api", error="invalid_request"' },
      body: { error: 'invalid_request', error_description: 'the Authorization header must be Bearer followed by a token' },
    };
    const made = verifier();
    for (const header of [undefined, null, '', '   ', 'Basic ZGVtbzpzZWNyZXQ=']) expect(await made.verify(header)).toEqual(bare);
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a"b', 'Bearer\tabc']) expect({ header, result: await made.verify(header) }).toEqual({ header, result: malformed });
    expect(jwks.hits).toBe(0);
  });

  it('takes the scheme case-insensitively (RFC 9110 §11.1)', async () => {
    expect(await verifier().verify((await bearer()).replace('Bearer', 'bEARER'))).toMatchObject({ ok: true });
  });

  it('answers 403 insufficient_scope naming every scope the route needs', async () => {
    expect(await verifier().verify(await bearer({ scope: 'api:read' }), { scopes: ['api:read', 'api:write'] })).toEqual({
      ok: false,
      status: 403,
      headers: { 'www-authenticate': 'Bearer realm="demo-api", error="insufficient_scope", scope="api:read api:write"' },
      body: { error: 'insufficient_scope', error_description: 'the token lacks the scope: api:read api:write' },
    });
    expect(await verifier().verify(await bearer({ scope: undefined }), { scopes: ['api:read'] })).toMatchObject({ status: 403 });
    expect(await verifier().verify(await bearer({ scope: undefined }))).toMatchObject({ ok: true, scopes: [] });
  });
});

describe('createVerifier: the JWS header', () => {
  const unsecured = (payload: object) => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'k1' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

  it('refuses alg none, HS256 keyed with the public key (algorithm confusion) and any algorithm not configured, without fetching the keys', async () => {
    const made = verifier({ algorithms: ['ES256'] });
    const hs256 = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }).sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
    const rs256 = await token({}, {}, await testKey('k1', 'RS256'));
    for (const forged of [unsecured(claims()), hs256, rs256]) expect(await made.verify(`Bearer ${forged}`)).toEqual(invalid('the token algorithm is not accepted'));
    expect(jwks.hits).toBe(0);
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url, skipRevocationCheck: true, algorithms: ['HS256'] })).toThrow(
      'createVerifier: algorithms must be asymmetric JWS algorithms, not HS256',
    );
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url })).toThrow(
      'createVerifier: give kafka, introspection or revocations (or skipRevocationCheck: true) so that revoked tokens are refused',
    );
  });

  it('refuses a token whose alg is not the one of its JWK', async () => {
    const rsa = await testKey('k2', 'RS256');
    jwks.keys = [key.jwk, { ...rsa.jwk, alg: 'PS256' }];
    expect(await verifier().verify(`Bearer ${await token({}, {}, rsa)}`)).toEqual(invalid('the token signing key is unknown'));
  });

  it('accepts typ at+jwt and application/at+jwt only (RFC 9068 §4)', async () => {
    const made = verifier();
    expect(await made.verify(await bearer({}, { typ: 'application/at+jwt' }))).toMatchObject({ ok: true });
    for (const typ of ['JWT', 'jwt', 'application/jwt', undefined]) expect(await made.verify(await bearer({}, { typ }))).toEqual(invalid('the token is not an access token (typ)'));
  });

  it('refuses what is not a JWS and a tampered signature or payload', async () => {
    const made = verifier();
    const good = await token();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify(claims({ scope: 'admin' }))).toString('base64url');
    expect(await made.verify('Bearer not-a-token')).toEqual(invalid('the token is not a signed JWT'));
    expect(await made.verify('Bearer a.b.c')).toEqual(invalid('the token header is not JSON'));
    expect(await made.verify(`Bearer ${header}.${forgedPayload}.${signature}`)).toEqual(invalid('the token signature is invalid'));
    // As @authz/testing's withTamperedSignature (not importable here: testing depends on this lib).
    expect(await made.verify(`Bearer ${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`)).toEqual(invalid('the token signature is invalid'));
    expect(await made.verify(`Bearer ${'a'.repeat(9000)}`)).toEqual(invalid('the token is too large'));
  });
});

describe('createVerifier: the claims (RFC 9068 §2.2, §4)', () => {
  it('checks iss exactly and that aud contains the audience', async () => {
    const made = verifier();
    expect(await made.verify(await bearer({ iss: `${ISSUER}/` }))).toEqual(invalid('the token is from another issuer'));
    expect(await made.verify(await bearer({ aud: 'https://other.example.org' }))).toEqual(invalid('the token is for another audience'));
    expect(await made.verify(await bearer({ aud: ['https://other.example.org', AUDIENCE] }))).toMatchObject({ ok: true });
  });

  it('refuses a token without a required claim (and without grant_id)', async () => {
    const made = verifier();
    for (const name of ['iss', 'sub', 'client_id', 'jti', 'grant_id', 'exp', 'iat', 'aud']) {
      expect({ name, result: await made.verify(await bearer({ [name]: undefined })) }).toEqual({ name, result: invalid(`the token lacks the ${name} claim`) });
    }
  });

  it('accepts an expired token within the clock skew and refuses it outside', async () => {
    const made = verifier({ clockSkewSeconds: 30 });
    nowMs = (T0 + 600 + 29) * 1000;
    expect(await made.verify(await bearer())).toMatchObject({ ok: true });
    nowMs = (T0 + 600 + 30) * 1000;
    expect(await made.verify(await bearer())).toEqual(invalid('the token has expired'));
  });

  it('refuses a token not valid yet or issued in the future beyond the skew, and a lifetime over the maximum', async () => {
    const made = verifier({ maxTokenLifetimeSeconds: 600 });
    expect(await made.verify(await bearer({ nbf: T0 + 10 + 30 }))).toMatchObject({ ok: true });
    expect(await made.verify(await bearer({ nbf: T0 + 10 + 31 }))).toEqual(invalid('the token is not valid yet'));
    expect(await made.verify(await bearer({ iat: T0 + 10 + 31, exp: T0 + 600 }))).toEqual(invalid('the token was issued in the future'));
    expect(await made.verify(await bearer({ exp: T0 + 601 }))).toEqual(invalid('the token lifetime is longer than accepted'));
  });
});

describe('createVerifier: the JWK Set', () => {
  it('refetches the set once for an unknown kid (concurrent requests share it), then not again within the cooldown', async () => {
    const made = verifier({ jwks: { unknownKidCooldownMs: 30_000 } });
    expect(await made.verify(await bearer())).toMatchObject({ ok: true });
    expect(jwks.hits).toBe(1);
    const next = await testKey('k2');
    jwks.keys = [key.jwk, next.jwk];
    const rotated = `Bearer ${await token({}, {}, next)}`;
    const results = await Promise.all([made.verify(rotated), made.verify(rotated), made.verify(rotated)]);
    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
    expect(jwks.hits).toBe(2);
    const garbage = await testKey('garbage');
    // Within the cooldown of that refetch: no fetch for garbage kids.
    for (let i = 0; i < 5; i += 1) expect(await made.verify(`Bearer ${await token({}, {}, garbage)}`)).toEqual(invalid('the token signing key is unknown'));
    expect(jwks.hits).toBe(2);
    nowMs += 30_000;
    for (let i = 0; i < 5; i += 1) expect(await made.verify(`Bearer ${await token({}, {}, garbage)}`)).toEqual(invalid('the token signing key is unknown'));
    expect(jwks.hits).toBe(3);
  });

  it('keeps the set for its Cache-Control max-age, or the default without one', async () => {
    jwks.cacheControl = 'public, max-age=60';
    const made = verifier();
    await made.verify(await bearer());
    nowMs += 59_000;
    await made.verify(await bearer());
    expect(jwks.hits).toBe(1);
    nowMs += 1000;
    await made.verify(await bearer());
    expect(jwks.hits).toBe(2);
    jwks.cacheControl = undefined;
    nowMs += 60_000;
    await made.verify(await bearer());
    nowMs += 299_000;
    await made.verify(await bearer());
    expect(jwks.hits).toBe(3);
    jwks.cacheControl = 'no-store';
    nowMs += 1000;
    await made.verify(await bearer());
    await made.verify(await bearer());
    expect(jwks.hits).toBe(5);
  });

  it('uses an expired set while the server is down for staleIfErrorSeconds, then answers 503', async () => {
    jwks.cacheControl = 'max-age=60';
    const made = verifier({ jwks: { staleIfErrorSeconds: 120 } });
    await made.verify(await bearer());
    jwks.down = true;
    nowMs += 179_000;
    expect(await made.verify(await bearer())).toMatchObject({ ok: true });
    nowMs += 1000;
    expect(await made.verify(await bearer())).toEqual({
      ok: false,
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: 'temporarily_unavailable', error_description: 'the signing keys cannot be fetched, retry later' },
    });
  });
});

describe('createVerifier: revocation', () => {
  const envelope = (type: string, data: unknown) => JSON.stringify({ specversion: '1.0', id: 'e1', source: 'test', type, time: '2027-01-15T08:00:00.000Z', subject: 'grant-1', datacontenttype: 'application/json', data });

  it('refuses every token of a revoked grant and a revoked jti, until the tokens would have expired anyway', async () => {
    const made = verifier();
    expect(feed.apply(envelope('oauth.grant.revoked.v1', { grantId: 'grant-1', clientId: 'web-app', reason: 'user_request', revokedAt: T0 + 5, coversUntil: T0 + 600 }))).toBe(true);
    expect(await made.verify(await bearer({ jti: 'jti-a' }))).toEqual(invalid('the token has been revoked'));
    expect(await made.verify(await bearer({ jti: 'jti-b', grant_id: 'grant-2' }))).toMatchObject({ ok: true });
    expect(feed.apply(envelope('oauth.access_token.revoked.v1', { jti: 'jti-b', grantId: 'grant-2', clientId: 'web-app', sub: 'alice', reason: 'client_request', revokedAt: T0 + 6, expiresAt: T0 + 600 }))).toBe(true);
    expect(await made.verify(await bearer({ jti: 'jti-b', grant_id: 'grant-2' }))).toEqual(invalid('the token has been revoked'));
    expect(await made.verify(await bearer({ jti: 'jti-c', grant_id: 'grant-2' }))).toMatchObject({ ok: true });
    // Kept until exp + skew (the verifier accepts a token that long), then forgotten.
    nowMs = (T0 + 629) * 1000;
    expect(feed.sweep()).toBe(0);
    nowMs = (T0 + 630) * 1000;
    expect(feed.sweep()).toBe(2);
    expect(feed.set.size).toEqual({ grants: 0, tokens: 0 });
  });

  it('keeps a grant revocation without coversUntil for the longest accepted lifetime, and skips one whose tokens have expired', async () => {
    expect(feed.apply(envelope('oauth.grant.revoked.v1', { grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay', revokedAt: T0 }))).toBe(true);
    nowMs = (T0 + 86_400 + 29) * 1000;
    expect(feed.sweep()).toBe(0);
    nowMs = (T0 + 86_400 + 30) * 1000;
    expect(feed.sweep()).toBe(1);
    expect(feed.apply(envelope('oauth.access_token.revoked.v1', { jti: 'old', grantId: 'g', clientId: 'c', sub: 's', reason: 'client_request', revokedAt: T0, expiresAt: T0 }))).toBe(false);
    expect(feed.counts).toEqual({ applied: 1, ignored: 1 });
  });

  it('ignores poison messages and unknown event types without throwing', async () => {
    const poison = [
      null,
      '',
      'not json',
      '[]',
      '42',
      JSON.stringify({ data: {} }),
      envelope('oauth.grant.revoked.v1', null),
      envelope('oauth.grant.revoked.v1', { grantId: '', revokedAt: 1 }),
      envelope('oauth.grant.revoked.v1', { grantId: 'grant-1', revokedAt: '1' }),
      envelope('oauth.grant.revoked.v1', { grantId: 'grant-1', revokedAt: 1, coversUntil: -5 }),
      envelope('oauth.access_token.revoked.v1', { jti: 'jti-1', expiresAt: 'soon' }),
      envelope('oauth.access_token.revoked.v1', { grantId: 'grant-1', expiresAt: T0 + 600 }),
      envelope('oauth.access_token.issued.v1', { jti: 'jti-1', grantId: 'grant-1' }),
      Buffer.from([0xff, 0xfe, 0x00]),
    ];
    for (const value of poison) expect(feed.apply(value)).toBe(false);
    expect(feed.counts).toEqual({ applied: 0, ignored: poison.length });
    expect(feed.set.size).toEqual({ grants: 0, tokens: 0 });
    expect(await verifier().verify(await bearer())).toMatchObject({ ok: true });
  });

  it('answers 503 while a Kafka feed has not caught up and no introspection fallback is configured', async () => {
    const notStarted = new KafkaRevocationFeed({ brokers: ['127.0.0.1:1'], maxTokenLifetimeSeconds: 86_400, clockSkewSeconds: 30 });
    expect(await verifier({ revocations: notStarted }).verify(await bearer())).toEqual({
      ok: false,
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: 'temporarily_unavailable', error_description: 'the token revocation status cannot be checked, retry later' },
    });
    expect(verifier({ revocations: notStarted }).health()).toEqual({ ready: false, revocations: 'custom' });
  });
});

describe('createVerifier: introspection (alone, or the fallback of a feed that is behind)', () => {
  let introspection: IntrospectionServer;
  beforeEach(async () => {
    introspection = await new IntrospectionServer().start();
  });
  afterEach(() => introspection.stop());

  it('asks introspection with client credentials, caches an active answer briefly (never beyond exp), never an inactive one', async () => {
    const made = verifier({ revocations: undefined, introspection: { url: introspection.url, clientId: 'demo api', clientSecret: 's3cr:t', cacheSeconds: 5 } });
    const good = await bearer();
    expect(await made.verify(good)).toMatchObject({ ok: true });
    expect(introspection.requests).toEqual([
      { authorization: `Basic ${Buffer.from('demo+api:s3cr%3At').toString('base64')}`, body: `token=${good.slice(7)}&token_type_hint=access_token` },
    ]);
    nowMs += 4999;
    expect(await made.verify(good)).toMatchObject({ ok: true });
    expect(introspection.requests).toHaveLength(1);
    nowMs += 1;
    introspection.answer = () => ({ status: 200, body: { active: false } });
    expect(await made.verify(good)).toEqual(invalid('the token is not active'));
    expect(await made.verify(good)).toEqual(invalid('the token is not active'));
    expect(introspection.requests).toHaveLength(3);
    // Near exp, the cache holds only until exp.
    introspection.answer = () => ({ status: 200, body: { active: true } });
    nowMs = (T0 + 598) * 1000;
    await made.verify(good);
    nowMs = (T0 + 600) * 1000;
    await made.verify(good);
    expect(introspection.requests).toHaveLength(5);
  });

  it('answers 503 when introspection fails, and is not used while the feed is available', async () => {
    introspection.answer = () => ({ status: 500, body: {} });
    const fallback = verifier({ revocations: undefined, introspection: { url: introspection.url } });
    expect(await fallback.verify(await bearer())).toEqual({
      ok: false,
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: 'temporarily_unavailable', error_description: 'the token revocation status cannot be checked, retry later' },
    });
    expect(introspection.requests[0]!.authorization).toBeUndefined();
    const both = verifier({ introspection: { url: introspection.url } });
    expect(await both.verify(await bearer())).toMatchObject({ ok: true });
    expect(introspection.requests).toHaveLength(1);
    const behind = verifier({ revocations: new KafkaRevocationFeed({ brokers: ['127.0.0.1:1'], maxTokenLifetimeSeconds: 86_400, clockSkewSeconds: 30 }), introspection: { url: introspection.url } });
    introspection.answer = () => ({ status: 200, body: { active: true } });
    expect(await behind.verify(await bearer())).toMatchObject({ ok: true });
    expect(introspection.requests).toHaveLength(2);
  });
});

describe('the package', () => {
  it('imports nothing but jose, kafkajs (lazily), @nestjs/common (in nestjs/) and node: modules, never another @authz library', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.includes('spec') && entry.name !== 'test-servers.ts' ? [join(dir, entry.name)] : []));
    const imported = new Set<string>();
    for (const file of sources(__dirname)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)) imported.add(match[1]!.startsWith('node:') ? 'node:' : match[1]!);
    }
    expect([...imported].sort()).toEqual(['@nestjs/common', 'jose', 'kafkajs', 'node:']);
  });
});
