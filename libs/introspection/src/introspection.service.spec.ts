import { constants, createHmac, KeyObject, randomBytes, sign, type webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { MemoryEventBus, migrate, PgliteDatabase } from '@authz/adapters';
import { loadSettings } from '@authz/platform';
import { type Clock, silentLogger, type SqlDatabase } from '@authz/ports';
import { RevocationFeedService } from '@authz/projections';
import { AccessTokenVerifier } from './access-token-verifier';
import { withTamperedSignature } from '@authz/testing';
import { IntrospectionService } from './introspection.service';
import { KeyRingService } from './key-ring.service';

const ISSUER = 'https://issuer.test';
const KID = 'key-2026-01';
/** 2026-01-01T00:00:00Z: the clock of every case, in seconds. */
const NOW = 1_767_225_600;
const clock: Clock = { now: () => new Date(NOW * 1000) };

/** RFC 9068 §2.2 claims of a client_credentials token, valid at NOW. */
const CLAIMS = {
  iss: ISSUER,
  exp: NOW + 300,
  aud: 'https://api.example.org',
  sub: 'demo-service',
  client_id: 'demo-service',
  iat: NOW - 10,
  jti: 'jti-0001',
  scope: 'api:read api:write',
  grant_id: 'grant-0001',
};
const HEADER = { alg: 'ES256', typ: 'at+jwt', kid: KID };

type KeyPair = { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };

let ours: KeyPair;
let other: KeyPair;
let bus: MemoryEventBus;
let keyRing: KeyRingService;
let db: SqlDatabase;
let revocations: RevocationFeedService;
let service: IntrospectionService;

async function publishKey(kid: string, publicKey: webcrypto.CryptoKey): Promise<void> {
  const { x, y } = await exportJWK(publicKey);
  await bus.publish({
    type: 'oauth.signing_key.published.v1',
    subject: kid,
    data: { kid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: x!, y: y!, kid, alg: 'ES256', use: 'sig' }, createdAt: NOW - 3600 },
  });
}

beforeAll(async () => {
  ours = (await generateKeyPair('ES256', { extractable: true })) as KeyPair;
  other = (await generateKeyPair('ES256', { extractable: true })) as KeyPair;
  const settings = loadSettings('introspection', {}, { ISSUER });
  bus = new MemoryEventBus({ source: 'urn:authz:token' });
  await publishKey(KID, ours.publicKey);
  keyRing = new KeyRingService(bus, settings, silentLogger);
  await keyRing.onModuleInit();
  db = await PgliteDatabase.create({ logger: silentLogger });
  await migrate(db, { logger: silentLogger });
  revocations = new RevocationFeedService(db, bus, clock, settings, silentLogger);
  await revocations.onModuleInit();
  service = new IntrospectionService(new AccessTokenVerifier(keyRing, clock, settings), revocations);
});

afterAll(async () => {
  await revocations?.onModuleDestroy();
  await db?.close();
  await keyRing?.onModuleDestroy();
  await bus?.close();
});

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A JWS signed with ES256 through jose (header and claims as given). */
function es256(claims: Record<string, unknown>, header: Record<string, unknown> = HEADER, key: webcrypto.CryptoKey = ours.privateKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

/** A JWS built by hand: any header, any payload bytes, an ES256 signature (JWS §3.4 form: r || s) with `key`. */
function es256Raw(header: Record<string, unknown>, payload: string | Buffer, key: webcrypto.CryptoKey = ours.privateKey): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: KeyObject.from(key), dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(signature)}`;
}

function hs256(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}

function without(...names: Array<keyof typeof CLAIMS>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(CLAIMS).filter(([name]) => !names.includes(name as keyof typeof CLAIMS)));
}

const active = (claims: Record<string, unknown>) => ({
  active: true,
  scope: claims.scope,
  client_id: claims.client_id,
  sub: claims.sub,
  aud: claims.aud,
  iss: claims.iss,
  exp: claims.exp,
  iat: claims.iat,
  jti: claims.jti,
  token_type: 'Bearer',
});

describe('IntrospectionService (RFC 7662 §2.2 over RFC 9068 tokens, keys from the event log)', () => {
  it('answers a well-formed RFC 9068 token (typ at+jwt, ES256, known kid) with the whole active response', async () => {
    expect(await service.introspect(await es256(CLAIMS))).toStrictEqual({
      active: true,
      scope: 'api:read api:write',
      client_id: 'demo-service',
      sub: 'demo-service',
      aud: 'https://api.example.org',
      iss: ISSUER,
      exp: NOW + 300,
      iat: NOW - 10,
      jti: 'jti-0001',
      token_type: 'Bearer',
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['an audience array', { ...CLAIMS, aud: ['https://api.example.org', 'https://reports.example.org'] }, HEADER],
    ['typ application/at+jwt (RFC 9068 §4 allows both forms)', CLAIMS, { ...HEADER, typ: 'application/at+jwt' }],
    ['typ AT+JWT (media types are case-insensitive)', CLAIMS, { ...HEADER, typ: 'AT+JWT' }],
    ['exp one second after now (still valid)', { ...CLAIMS, exp: NOW + 1 }, HEADER],
    // Audience restriction is the resource server's check (RFC 9068 §4); introspection answers for any aud.
    ['an audience of another resource server (no audience check at introspection)', { ...CLAIMS, aud: 'https://other.example.org' }, HEADER],
    // RFC 9068 and RFC 7519 §4.1.6 do not ask to reject an iat in the future, and the code does not (jose checks iat only with maxTokenAge).
    ['iat in the future (not checked: documented behaviour)', { ...CLAIMS, iat: NOW + 3600 }, HEADER],
    ['nbf in the past', { ...CLAIMS, nbf: NOW - 1 }, HEADER],
  ])('is active for a token with %s', async (_name, claims, header) => {
    expect(await service.introspect(await es256(claims, header))).toStrictEqual(active(claims));
  });

  it('is active for a token signed by hand (the helper the malformed cases below are built with)', async () => {
    expect(await service.introspect(es256Raw(HEADER, JSON.stringify(CLAIMS)))).toStrictEqual(active(CLAIMS));
  });

  it('returns only the RFC 7662 members: other claims of the token are not echoed', async () => {
    const claims = { ...CLAIMS, admin: true, username: 'alice' };
    expect(await service.introspect(await es256(claims))).toStrictEqual(active(CLAIMS));
  });

  describe('is exactly { active: false } for', () => {
    const inactive: Array<[string, () => Promise<string> | string]> = [
      ['an expired token (exp one second ago)', () => es256({ ...CLAIMS, exp: NOW - 1 })],
      ['a token expiring exactly now (exp == now)', () => es256({ ...CLAIMS, exp: NOW })],
      ['a token expired long ago', () => es256({ ...CLAIMS, iat: NOW - 7200, exp: NOW - 3600 })],
      ['a token not yet valid (nbf in the future)', () => es256({ ...CLAIMS, nbf: NOW + 60 })],
      ['another issuer', () => es256({ ...CLAIMS, iss: 'https://evil.test' })],
      ['the issuer with a trailing slash', () => es256({ ...CLAIMS, iss: `${ISSUER}/` })],
      ['typ JWT', () => es256(CLAIMS, { ...HEADER, typ: 'JWT' })],
      ['no typ', () => es256(CLAIMS, { alg: 'ES256', kid: KID })],
      ['typ application/jwt', () => es256(CLAIMS, { ...HEADER, typ: 'application/jwt' })],
      ['alg none with an empty signature', () => `${b64(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: KID }))}.${b64(JSON.stringify(CLAIMS))}.`],
      ['alg none with a signature copied from a valid token', async () => {
        const signature = (await es256(CLAIMS)).split('.')[2]!;
        return `${b64(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: KID }))}.${b64(JSON.stringify(CLAIMS))}.${signature}`;
      }],
      ['alg HS256 with an arbitrary secret', () => hs256({ alg: 'HS256', typ: 'at+jwt', kid: KID }, CLAIMS, 'secret')],
      ['alg HS256 keyed with the public key (algorithm confusion)', async () => hs256({ alg: 'HS256', typ: 'at+jwt', kid: KID }, CLAIMS, JSON.stringify(await exportJWK(ours.publicKey)))],
      ['an unknown kid', () => es256(CLAIMS, { ...HEADER, kid: 'no-such-key' })],
      ['no kid', () => es256(CLAIMS, { alg: 'ES256', typ: 'at+jwt' })],
      ['a numeric kid', () => es256Raw({ ...HEADER, kid: 5 }, JSON.stringify(CLAIMS))],
      ['kid __proto__', () => es256Raw({ ...HEADER, kid: '__proto__' }, JSON.stringify(CLAIMS))],
      ['our kid on a signature by another key', () => es256(CLAIMS, HEADER, other.privateKey)],
      ['a valid token whose payload was changed (scope widened)', async () => {
        const [header, , signature] = (await es256(CLAIMS)).split('.');
        return `${header}.${b64(JSON.stringify({ ...CLAIMS, scope: 'admin' }))}.${signature}`;
      }],
      ['a valid token with its signature cut short', async () => (await es256(CLAIMS)).slice(0, -4)],
      ['a valid token with a zeroed signature', async () => `${(await es256(CLAIMS)).split('.').slice(0, 2).join('.')}.${b64(Buffer.alloc(64))}`],
      ['a valid token with a trailing dot', async () => `${await es256(CLAIMS)}.`],
      ['an unknown critical header parameter', () => es256Raw({ ...HEADER, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }, JSON.stringify(CLAIMS))],
      ['a payload that is a JSON array', () => es256Raw(HEADER, '[]')],
      ['a payload that is not JSON', () => es256Raw(HEADER, 'not json')],
      ['a payload that is not UTF-8', () => es256Raw(HEADER, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
      ['a missing client_id', () => es256(without('client_id'))],
      ['a missing grant_id (every verifier needs it to apply grant revocations)', () => es256(without('grant_id'))],
      ['a numeric grant_id', () => es256({ ...CLAIMS, grant_id: 7 })],
      ['a missing scope', () => es256(without('scope'))],
      ['a missing jti', () => es256(without('jti'))],
      ['a missing sub', () => es256(without('sub'))],
      ['a missing aud', () => es256(without('aud'))],
      ['a missing iat', () => es256(without('iat'))],
      ['a missing exp', () => es256(without('exp'))],
      ['a missing iss', () => es256(without('iss'))],
      ['a numeric client_id', () => es256({ ...CLAIMS, client_id: 42 })],
      ['a scope given as an array', () => es256({ ...CLAIMS, scope: ['api:read'] })],
      ['exp given as a string', () => es256({ ...CLAIMS, exp: String(NOW + 300) })],
      ['iat given as a string', () => es256({ ...CLAIMS, iat: String(NOW) })],
      ['the empty string', () => ''],
      ['a space', () => ' '],
      ['a garbage string', () => 'not-a-token'],
      ['three dots', () => '...'],
      ['a.b.c', () => 'a.b.c'],
      ['two segments', async () => (await es256(CLAIMS)).split('.').slice(0, 2).join('.')],
      ['five segments (a JWE shape)', () => `${b64('{"alg":"dir","enc":"A256GCM","kid":"key-2026-01"}')}..${b64('iv')}.${b64('ct')}.${b64('tag')}`],
      ['a header that is not JSON', () => `${b64('not json')}.${b64(JSON.stringify(CLAIMS))}.sig`],
      ['a header that is a JSON array', () => `${b64('[]')}.${b64(JSON.stringify(CLAIMS))}.sig`],
      ['a JWS in JSON serialization', async () => {
        const [header, payload, signature] = (await es256(CLAIMS)).split('.');
        return JSON.stringify({ protected: header, payload, signature });
      }],
      ['a refresh-token-looking opaque string (32 random bytes, base64url)', () => randomBytes(32).toString('base64url')],
      ['100 KB of base64url', () => 'A'.repeat(100_000)],
    ];

    it.each(inactive)('%s', async (_name, build) => {
      expect(await service.introspect(await build())).toStrictEqual({ active: false });
    });
  });
});

describe('KeyRingService (keys learnt from the oauth.signing_key.* lifecycle events)', () => {
  /** Waits until the key ring has handled everything published so far (delivery is asynchronous). */
  async function learnt(kid: string): Promise<void> {
    for (let turn = 0; turn < 1000 && !keyRing.find(kid); turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(keyRing.find(kid)).toBeDefined();
  }

  it('knows the keys published before it started, once onModuleInit resolves', () => {
    expect(keyRing.find(KID)).toBeDefined();
    expect(keyRing.find('no-such-key')).toBeUndefined();
  });

  it('learns a key published after it started: its tokens become active', async () => {
    const next = (await generateKeyPair('ES256', { extractable: true })) as KeyPair;
    const token = await es256(CLAIMS, { ...HEADER, kid: 'key-2026-02' }, next.privateKey);
    expect(await service.introspect(token)).toStrictEqual({ active: false });

    await publishKey('key-2026-02', next.publicKey);
    await learnt('key-2026-02');

    expect(await service.introspect(token)).toStrictEqual(active(CLAIMS));
  });

  it('keeps the first key of a kid: a later event with the same kid and another key changes nothing', async () => {
    await publishKey(KID, other.publicKey);
    // Events are handled in log order: once this later key is known, the one before was handled too.
    await publishKey('key-2026-03', other.publicKey);
    await learnt('key-2026-03');

    expect(await service.introspect(await es256(CLAIMS, HEADER, other.privateKey))).toStrictEqual({ active: false });
    expect(await service.introspect(await es256(CLAIMS))).toStrictEqual(active(CLAIMS));
  });

  it('knows nothing before onModuleInit, and a fresh replica learns every key from the start of the topic', async () => {
    const settings = loadSettings('introspection', {}, { ISSUER });
    const replica = new KeyRingService(bus, settings, silentLogger);
    expect(replica.find(KID)).toBeUndefined();

    await replica.onModuleInit();
    try {
      const fresh = new IntrospectionService(new AccessTokenVerifier(replica, clock, settings), revocations);
      expect(await fresh.introspect(await es256(CLAIMS))).toStrictEqual(active(CLAIMS));
    } finally {
      await replica.onModuleDestroy();
    }
  });
  it('keeps verifying a retired key (its tokens stay active until they expire); activation changes nothing either', async () => {
    const token = await es256(CLAIMS);
    await bus.publish({ type: 'oauth.signing_key.activated.v1', subject: KID, data: { kid: KID, alg: 'ES256', activatedAt: NOW - 3600 } });
    await bus.publish({ type: 'oauth.signing_key.retired.v1', subject: KID, data: { kid: KID, retiredAt: NOW - 60, unpublishAt: NOW + 86_340 } });
    await publishKey('key-2026-04', other.publicKey);
    await learnt('key-2026-04');

    expect(keyRing.find(KID)).toEqual({ key: expect.anything(), alg: 'ES256' });
    expect(await service.introspect(token)).toStrictEqual(active(CLAIMS));
  });

  it('drops a revoked key at once: its tokens are inactive, and a replayed publication does not bring it back', async () => {
    const revokedPair = (await generateKeyPair('ES256', { extractable: true })) as KeyPair;
    await publishKey('key-2026-05', revokedPair.publicKey);
    await learnt('key-2026-05');
    const token = await es256(CLAIMS, { ...HEADER, kid: 'key-2026-05' }, revokedPair.privateKey);
    expect(await service.introspect(token)).toStrictEqual(active(CLAIMS));

    await bus.publish({ type: 'oauth.signing_key.revoked.v1', subject: 'key-2026-05', data: { kid: 'key-2026-05', revokedAt: NOW } });
    await publishKey('key-2026-05', revokedPair.publicKey);
    await publishKey('key-2026-06', other.publicKey);
    await learnt('key-2026-06');

    expect(keyRing.find('key-2026-05')).toBeUndefined();
    expect(await service.introspect(token)).toStrictEqual({ active: false });
    expect(await service.introspect(await es256(CLAIMS))).toStrictEqual(active(CLAIMS));
  });

  it.each([['EdDSA'], ['RS256'], ['PS256']] as const)('verifies %s tokens of a key published with published.v2, with that algorithm only', async (alg) => {
    const kid = `key-${alg}`;
    const pair = (await generateKeyPair(alg, { extractable: true })) as KeyPair;
    const jwk = await exportJWK(pair.publicKey);
    const publicJwk = alg === 'EdDSA' ? { kty: 'OKP' as const, crv: 'Ed25519' as const, x: jwk.x!, kid, alg, use: 'sig' as const } : { kty: 'RSA' as const, n: jwk.n!, e: jwk.e!, kid, alg, use: 'sig' as const };
    await bus.publish({ type: 'oauth.signing_key.published.v2', subject: kid, data: { kid, alg, publicJwk, createdAt: NOW - 60 } });
    await learnt(kid);

    expect(await service.introspect(await es256(CLAIMS, { alg, typ: 'at+jwt', kid }, pair.privateKey))).toStrictEqual(active(CLAIMS));
    if (alg !== 'EdDSA') {
      // The same RSA key under the other RSA algorithm is refused: a key verifies its own algorithm alone.
      const otherAlg = alg === 'RS256' ? 'PS256' : 'RS256';
      const input = `${b64(JSON.stringify({ alg: otherAlg, typ: 'at+jwt', kid }))}.${b64(JSON.stringify(CLAIMS))}`;
      const padding = otherAlg === 'PS256' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {};
      const signature = sign('sha256', Buffer.from(input), { key: KeyObject.from(pair.privateKey), ...padding });
      expect(await service.introspect(`${input}.${b64(signature)}`)).toStrictEqual({ active: false });
    }
  });
});

describe('IntrospectionService with the revocation feed (oauth.revocations)', () => {
  /** Waits until the feed has applied what was published (delivery is asynchronous). */
  async function applied(check: () => boolean): Promise<void> {
    for (let turn = 0; turn < 1000 && !check(); turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(check()).toBe(true);
  }

  it('is inactive once the token\'s grant is revoked, for every token of the grant, and only those', async () => {
    const first = await es256({ ...CLAIMS, jti: 'jti-g1', grant_id: 'grant-revoked-1' });
    const second = await es256({ ...CLAIMS, jti: 'jti-g2', grant_id: 'grant-revoked-1' });
    const other = await es256({ ...CLAIMS, jti: 'jti-g3', grant_id: 'grant-kept' });
    expect(await service.introspect(first)).toStrictEqual(active({ ...CLAIMS, jti: 'jti-g1' }));

    await bus.publish({
      type: 'oauth.grant.revoked.v1',
      subject: 'grant-revoked-1',
      data: { grantId: 'grant-revoked-1', clientId: 'demo-service', subject: 'demo-service', reason: 'client_request', revokedAt: NOW, coversUntil: NOW + 600 },
    });
    await applied(() => revocations.isGrantRevoked('grant-revoked-1'));

    expect(await service.introspect(first)).toStrictEqual({ active: false });
    expect(await service.introspect(second)).toStrictEqual({ active: false });
    expect(await service.introspect(other)).toStrictEqual(active({ ...CLAIMS, jti: 'jti-g3' }));
  });

  it('is inactive once the token itself is revoked by jti; its grant\'s other tokens stay active', async () => {
    const revoked = await es256({ ...CLAIMS, jti: 'jti-t1', grant_id: 'grant-t' });
    const sibling = await es256({ ...CLAIMS, jti: 'jti-t2', grant_id: 'grant-t' });
    await bus.publish({
      type: 'oauth.access_token.revoked.v1',
      subject: 'grant-t',
      data: { jti: 'jti-t1', grantId: 'grant-t', clientId: 'demo-service', sub: 'demo-service', reason: 'client_request', revokedAt: NOW, expiresAt: NOW + 300 },
    });
    await applied(() => revocations.isRevoked({ jti: 'jti-t1' }));

    expect(await service.introspect(revoked)).toStrictEqual({ active: false });
    expect(await service.introspect(sibling)).toStrictEqual(active({ ...CLAIMS, jti: 'jti-t2', grant_id: 'grant-t' }));
  });

  it('ignores a revocation whose tokens have all expired already (nothing to remember)', async () => {
    await bus.publish({
      type: 'oauth.access_token.revoked.v1',
      subject: 'grant-old',
      data: { jti: 'jti-old', grantId: 'grant-old', clientId: 'demo-service', sub: 'demo-service', reason: 'client_request', revokedAt: NOW - 900, expiresAt: NOW - 300 },
    });
    await bus.publish({
      type: 'oauth.grant.revoked.v1',
      subject: 'grant-marker',
      data: { grantId: 'grant-marker', clientId: 'demo-service', reason: 'client_request', revokedAt: NOW, coversUntil: NOW + 1 },
    });
    await applied(() => revocations.isGrantRevoked('grant-marker'));
    expect(revocations.isRevoked({ jti: 'jti-old' })).toBe(false);
  });

  it('a replica started later loads the projection\'s rows still in force and reads only past its position', async () => {
    // The projection holds one revocation in force and one expired; its position covers the first event
    // of the topic, so a replica must not need that event again, and must read the second.
    await db.query(
      `INSERT INTO revocations (kind, id, grant_id, client_id, subject, reason, revoked_at, covers_until, event_id) VALUES
         ('grant', 'grant-from-projection', 'grant-from-projection', 'demo-service', NULL, 'admin_request', to_timestamp($1), to_timestamp($2), 'event-a'),
         ('grant', 'grant-expired', 'grant-expired', 'demo-service', NULL, 'admin_request', to_timestamp($1), to_timestamp($3), 'event-b')`,
      [NOW - 60, NOW + 600, NOW - 1],
    );
    const later = new MemoryEventBus({ source: 'urn:authz:revocation' });
    await later.publish({ type: 'oauth.grant.revoked.v1', subject: 'grant-in-first-event', data: { grantId: 'grant-in-first-event', clientId: 'c', reason: 'admin_request', revokedAt: NOW, coversUntil: NOW + 600 } });
    await later.publish({ type: 'oauth.grant.revoked.v1', subject: 'grant-after-position', data: { grantId: 'grant-after-position', clientId: 'c', reason: 'admin_request', revokedAt: NOW, coversUntil: NOW + 600 } });
    await db.query(`INSERT INTO projection_positions (projection, topic, partition, "offset") VALUES ('revocations', 'oauth.revocations', 0, 0)`);
    const settings = loadSettings('introspection', {}, { ISSUER });
    const replica = new RevocationFeedService(db, later, clock, settings, silentLogger);
    try {
      await replica.onModuleInit();
      expect(replica.isGrantRevoked('grant-from-projection')).toBe(true);
      expect(replica.isGrantRevoked('grant-expired')).toBe(false);
      expect(replica.isGrantRevoked('grant-in-first-event')).toBe(false);
      expect(replica.isGrantRevoked('grant-after-position')).toBe(true);
    } finally {
      await replica.onModuleDestroy();
      await later.close();
    }
  });
});

describe('AccessTokenVerifier: verified tokens remembered by their hash', () => {
  let nowSeconds = NOW;
  const movingClock: Clock = { now: () => new Date(nowSeconds * 1000) };
  afterEach(() => {
    nowSeconds = NOW;
  });

  it('answers a token presented again until its exp, then refuses it exactly as a fresh verification does', async () => {
    const verifier = new AccessTokenVerifier(keyRing, movingClock, loadSettings('introspection', {}, { ISSUER }));
    const token = await es256({ ...CLAIMS, jti: 'jti-cache-1' });
    expect(await verifier.verify(token)).toStrictEqual({ ...CLAIMS, jti: 'jti-cache-1' });
    nowSeconds = NOW + 299;
    expect(await verifier.verify(token)).toStrictEqual({ ...CLAIMS, jti: 'jti-cache-1' });
    nowSeconds = NOW + 300;
    expect(await verifier.verify(token)).toBeNull();
  });

  it('forgets the tokens of a signing key revoked after they were verified', async () => {
    const pair = (await generateKeyPair('ES256', { extractable: true })) as KeyPair;
    await publishKey('key-cache', pair.publicKey);
    for (let turn = 0; turn < 1000 && !keyRing.find('key-cache'); turn += 1) await new Promise((resolve) => setImmediate(resolve));
    const verifier = new AccessTokenVerifier(keyRing, movingClock, loadSettings('introspection', {}, { ISSUER }));
    const token = await es256(CLAIMS, { ...HEADER, kid: 'key-cache' }, pair.privateKey);
    expect(await verifier.verify(token)).toStrictEqual(CLAIMS);

    await bus.publish({ type: 'oauth.signing_key.revoked.v1', subject: 'key-cache', data: { kid: 'key-cache', revokedAt: NOW } });
    for (let turn = 0; turn < 1000 && keyRing.find('key-cache'); turn += 1) await new Promise((resolve) => setImmediate(resolve));

    expect(await verifier.verify(token)).toBeNull();
  });

  it.each([['a capacity of 2 (oldest out)', '2'], ['no cache (0)', '0']])('verifies correctly with %s', async (_name, entries) => {
    const verifier = new AccessTokenVerifier(keyRing, movingClock, loadSettings('introspection', {}, { ISSUER, VERIFIED_TOKEN_CACHE_ENTRIES: entries }));
    const tokens = await Promise.all(['a', 'b', 'c'].map((jti) => es256({ ...CLAIMS, jti })));
    for (let round = 0; round < 2; round += 1) {
      for (const [n, token] of tokens.entries()) expect(await verifier.verify(token)).toStrictEqual({ ...CLAIMS, jti: ['a', 'b', 'c'][n] });
    }
    expect(await verifier.verify(withTamperedSignature(tokens[0]!))).toBeNull();
  });
});
