import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { MemoryEventBus, MemorySigningKeyStore, migrate, MIGRATIONS_DIR, PgliteDatabase, SqlSigningKeyStore } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { loadSettings } from '@authz/platform';
import { type Clock, EventLogUnavailableError, silentLogger, type SigningKeyStore } from '@authz/ports';
import { KeyEncryption } from './key-encryption';
import { SigningKeyRotation } from './signing-key-rotation';
import { rotationPolicyOf, SigningKeysService } from './signing-keys.service';

// PGlite starts in one to a few seconds: one migrated database per file, a clone (0.5 s) per test.
jest.setTimeout(60_000);

/** 2026-01-01T00:00:00Z. */
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const KID = /^[A-Za-z0-9_-]{22}$/;
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const ISSUER = 'https://issuer.test';
/** Rotation every hour, JWKS cached 5 minutes, a pass a minute, retired keys published 15 minutes. */
const ENV = {
  ISSUER,
  ACCESS_TOKEN_TTL: '300',
  SIGNING_KEY_ROTATION_INTERVAL: '3600',
  JWKS_MAX_AGE: '300',
  SIGNING_KEY_SCHEDULER_INTERVAL: '60',
  SIGNING_KEY_RETENTION: '900',
  INSTANCE_ID: 'replica',
};
const s = (seconds: number) => new Date(T0 + seconds * 1000);
const epoch = (seconds: number) => T0 / 1000 + seconds;

type Row = {
  kid: string;
  alg: string;
  status: string;
  public_jwk: Record<string, string>;
  encrypted_private_jwk: string;
  created_at: Date;
  published_at: Date | null;
  activates_at: Date | null;
  retired_at: Date | null;
  unpublish_at: Date | null;
  revoked_at: Date | null;
  announced: string | null;
};

let base: PgliteDatabase;
const opened: PgliteDatabase[] = [];
const started: SigningKeysService[] = [];

beforeAll(async () => {
  base = await PgliteDatabase.create();
  await migrate(base);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.onModuleDestroy()));
});

afterAll(async () => {
  await Promise.all([...opened, base].map((db) => db?.close()));
});

/** A clock the test moves. */
function testClock(at = 0): Clock & { set(seconds: number): void } {
  let now = s(at);
  return { now: () => now, set: (seconds) => (now = s(seconds)) };
}

/** Lets the in-memory bus deliver what was published (delivery is asynchronous). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 50; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
}

/** What one token deployment shares: a migrated database, the event log, a key-encryption key, a clock. */
async function deployment(options: { store?: SigningKeyStore; db?: PgliteDatabase } = {}) {
  const db = options.db ?? (await base.clone());
  opened.push(db);
  const store = options.store ?? new SqlSigningKeyStore(db);
  const bus = new MemoryEventBus({ source: 'urn:authz:token' });
  const encryption = new KeyEncryption(randomBytes(32).toString('base64url'));
  const clock = testClock();
  let replicas = 0;
  return {
    db,
    store,
    bus,
    encryption,
    clock,
    /** One token replica (a SigningKeysService as Nest builds it: publisher and subscriber are the bus). */
    replica: (overrides: { encryption?: KeyEncryption; env?: Record<string, string>; subscribe?: boolean } = {}) => {
      const settings = loadSettings('token', {}, { ...ENV, INSTANCE_ID: `replica-${++replicas}`, ...overrides.env });
      const service = new SigningKeysService(store, overrides.encryption ?? encryption, bus, clock, silentLogger, settings, overrides.subscribe === false ? undefined : bus);
      started.push(service);
      return service;
    },
    rows: async () => (await db.query<Row>('SELECT * FROM signing_keys ORDER BY created_at, kid')).rows,
    keyEvents: () => bus.readTopic(Topics.keys).map((record) => deserializeEnvelope(record.value)),
    eventSummary: () => bus.readTopic(Topics.keys).map((record) => `${deserializeEnvelope(record.value).type} ${record.key}`),
  };
}

async function verifyWith(token: string, jwks: { keys: Array<Record<string, string>> }, at: Date) {
  const { kid, alg } = decodeProtectedHeader(token);
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`kid ${kid} is not in the JWK Set`);
  return (await jwtVerify(token, await importJWK(jwk as JWK, alg), { typ: 'at+jwt', algorithms: [alg!], currentDate: at })).payload;
}

const claimsAt = (seconds: number) => ({ iss: ISSUER, sub: 'demo-service', client_id: 'demo-service', aud: 'https://api.example.org', iat: epoch(seconds), exp: epoch(seconds) + 300, jti: `jti-${seconds}`, scope: 'api:read' });

describe('SigningKeysService: first start', () => {
  it('creates one active ES256 key, stores the private JWK encrypted, announces published.v1 then activated.v1, and signs with it', async () => {
    const { replica, rows, keyEvents, encryption, clock } = await deployment();

    const service = replica();
    await service.onModuleInit();

    const stored = await rows();
    expect(stored).toEqual([
      {
        kid: expect.stringMatching(KID),
        alg: 'ES256',
        status: 'active',
        public_jwk: { kty: 'EC', crv: 'P-256', x: expect.stringMatching(COORDINATE), y: expect.stringMatching(COORDINATE), kid: stored[0]!.kid, alg: 'ES256', use: 'sig' },
        encrypted_private_jwk: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        created_at: s(0),
        published_at: s(0),
        activates_at: s(0),
        retired_at: null,
        unpublish_at: null,
        revoked_at: null,
        announced: 'active',
      },
    ]);
    const [row] = stored as [Row];

    // The private JWK opens with the key-encryption key, and its "d" is nowhere in the stored row.
    const privateJwk = JSON.parse(encryption.decrypt(row.encrypted_private_jwk)) as Record<string, string>;
    expect(privateJwk).toEqual({ kty: 'EC', crv: 'P-256', x: row.public_jwk.x, y: row.public_jwk.y, d: expect.stringMatching(COORDINATE), kid: row.kid, alg: 'ES256' });
    expect(JSON.stringify(row)).not.toContain(privateJwk.d);
    expect(Buffer.from(row.encrypted_private_jwk, 'base64url').includes(Buffer.from(privateJwk.d!))).toBe(false);

    expect(keyEvents()).toEqual([
      {
        specversion: '1.0',
        id: expect.any(String),
        source: 'urn:authz:token',
        type: 'oauth.signing_key.published.v1',
        time: expect.any(String),
        subject: row.kid,
        datacontenttype: 'application/json',
        data: { kid: row.kid, alg: 'ES256', publicJwk: row.public_jwk, createdAt: epoch(0) },
      },
      {
        specversion: '1.0',
        id: expect.any(String),
        source: 'urn:authz:token',
        type: 'oauth.signing_key.activated.v1',
        time: expect.any(String),
        subject: row.kid,
        datacontenttype: 'application/json',
        data: { kid: row.kid, alg: 'ES256', activatedAt: epoch(0) },
      },
    ]);
    expect(service.current()).toEqual({ kid: row.kid, alg: 'ES256', publicJwk: row.public_jwk });
    expect(service.jwks()).toEqual({ keys: [row.public_jwk] });

    const token = service.signAccessToken(claimsAt(0));
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg: 'ES256', typ: 'at+jwt', kid: row.kid });
    expect(await verifyWith(token, service.jwks(), clock.now())).toStrictEqual(claimsAt(0));
  });

  it('a second replica on the same database loads the same kid and announces nothing new', async () => {
    const { replica, rows, keyEvents } = await deployment();
    const first = replica();
    await first.onModuleInit();
    const before = { rows: await rows(), events: keyEvents() };

    const second = replica();
    await second.onModuleInit();

    expect(second.current()).toEqual(first.current());
    expect(second.jwks()).toEqual(first.jwks());
    expect(await rows()).toEqual(before.rows);
    expect(keyEvents()).toEqual(before.events);
  });

  it('two replicas starting at once agree on ONE key (the rotation lock serializes their first pass)', async () => {
    const { replica, rows, keyEvents } = await deployment();
    const [a, b] = [replica(), replica()];

    await Promise.all([a.onModuleInit(), b.onModuleInit()]);

    const stored = await rows();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'active', published_at: s(0), announced: 'active' });
    expect(a.current().kid).toBe(stored[0]!.kid);
    expect(b.current().kid).toBe(stored[0]!.kid);
    // Announcements run outside the lock: both replicas may send them (consumers are idempotent by kid).
    expect(new Set(keyEvents().map((event) => event.subject))).toEqual(new Set([stored[0]!.kid]));
  });

  it.each([
    ['EdDSA', 'oauth.signing_key.published.v2', { kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(COORDINATE) }],
    ['RS256', 'oauth.signing_key.published.v2', { kty: 'RSA', n: expect.stringMatching(/^[A-Za-z0-9_-]{342}$/), e: 'AQAB' }],
    ['PS256', 'oauth.signing_key.published.v2', { kty: 'RSA', n: expect.stringMatching(/^[A-Za-z0-9_-]{342}$/), e: 'AQAB' }],
  ])('with SIGNING_KEY_ALG=%s: a key of that algorithm, announced by %s, signing tokens jose verifies', async (alg, type, members) => {
    const { replica, keyEvents, clock } = await deployment();
    const service = replica({ env: { SIGNING_KEY_ALG: alg } });
    await service.onModuleInit();

    const { kid } = service.current();
    const publicJwk = { ...members, kid, alg, use: 'sig' };
    expect(service.jwks()).toEqual({ keys: [publicJwk] });
    expect(keyEvents().map(({ type: eventType, data }) => ({ type: eventType, data }))).toEqual([
      { type, data: { kid, alg, publicJwk, createdAt: epoch(0) } },
      { type: 'oauth.signing_key.activated.v1', data: { kid, alg, activatedAt: epoch(0) } },
    ]);
    const token = service.signAccessToken(claimsAt(0));
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg, typ: 'at+jwt', kid });
    expect(await verifyWith(token, service.jwks(), clock.now())).toStrictEqual(claimsAt(0));
  });

  it('has no key before onModuleInit: signing throws and the JWK Set is empty', async () => {
    const { replica } = await deployment();
    const service = replica();

    expect(() => service.signAccessToken(claimsAt(0))).toThrow(new Error('signing keys are not loaded'));
    expect(() => service.current()).toThrow(new Error('signing keys are not loaded'));
    expect(service.jwks()).toEqual({ keys: [] });
  });

  it('fails loudly when the key-encryption key does not open the stored key, and announces nothing', async () => {
    const { replica, keyEvents } = await deployment();
    await replica().onModuleInit();
    const events = keyEvents();

    const misconfigured = replica({ encryption: new KeyEncryption(randomBytes(32).toString('base64url')) });

    await expect(misconfigured.onModuleInit()).rejects.toThrow(/^cannot decrypt signing key [A-Za-z0-9_-]{22}: KEY_ENCRYPTION_KEY is not the key it was encrypted with$/);
    expect(() => misconfigured.signAccessToken(claimsAt(0))).toThrow(new Error('signing keys are not loaded'));
    expect(misconfigured.jwks()).toEqual({ keys: [] });
    expect(keyEvents()).toEqual(events);
  });

  it('with the event log down the first start fails and the key stays unannounced; the next start announces it before using it', async () => {
    const { replica, rows, eventSummary, bus } = await deployment();
    bus.setUnavailable(true);

    const first = replica({ subscribe: false });
    await expect(first.onModuleInit()).rejects.toThrow(EventLogUnavailableError);

    const [unannounced] = await rows();
    expect(unannounced).toMatchObject({ status: 'active', published_at: null, announced: null });
    expect(() => first.signAccessToken(claimsAt(0))).toThrow(new Error('signing keys are not loaded'));
    expect(first.jwks()).toEqual({ keys: [] });
    bus.setUnavailable(false);
    expect(eventSummary()).toEqual([]);

    const next = replica();
    await next.onModuleInit();

    expect(next.current().kid).toBe(unannounced!.kid);
    expect(eventSummary()).toEqual([`oauth.signing_key.published.v1 ${unannounced!.kid}`, `oauth.signing_key.activated.v1 ${unannounced!.kid}`]);
    expect(await rows()).toEqual([{ ...unannounced, published_at: s(0), announced: 'active' }]);
  });

  it('refuses a rotation interval that leaves no time to publish a key before it signs', () => {
    expect(() => rotationPolicyOf(loadSettings('token', {}, { ...ENV, SIGNING_KEY_ROTATION_INTERVAL: '360' }))).toThrow(
      'SIGNING_KEY_ROTATION_INTERVAL must be longer than JWKS_MAX_AGE plus SIGNING_KEY_SCHEDULER_INTERVAL',
    );
    expect(() => rotationPolicyOf(loadSettings('token', {}, { ...ENV, SIGNING_KEY_RETENTION: '299' }))).toThrow('SIGNING_KEY_RETENTION must be at least ACCESS_TOKEN_TTL');
  });
});

describe('SigningKeysService: scheduled rotation (injected clock, two replicas)', () => {
  it('publishes the next key a JWKS cache lifetime before it signs, both replicas switch at its activation with no database read, the old key retires and leaves the JWK Set after the retention', async () => {
    const { replica, rows, eventSummary, clock, store } = await deployment();
    const [a, b] = [replica(), replica()];
    await a.onModuleInit();
    await b.onModuleInit();
    const k1 = a.current();
    expect(b.current()).toEqual(k1);

    // Not due yet: the interval (3600) minus one cache lifetime (300) minus one pass (60), one second early.
    clock.set(3600 - 360 - 1);
    expect(await Promise.all([a.tick(), b.tick()])).toEqual([undefined, undefined]);
    expect(await rows()).toHaveLength(1);

    // Due: the replica whose pass runs creates the next key, to sign at the end of the interval.
    clock.set(3600 - 360);
    await a.tick();
    await settle();
    const [, k2row] = await rows();
    expect(k2row).toMatchObject({ status: 'pending', created_at: s(3240), published_at: s(3240), activates_at: s(3600), announced: 'pending' });
    const k2 = k2row!.public_jwk;
    // Replica b learnt it from the event alone.
    expect(a.jwks()).toEqual({ keys: [k1.publicJwk, k2] });
    expect(b.jwks()).toEqual({ keys: [k1.publicJwk, k2] });
    expect(decodeProtectedHeader(b.signAccessToken(claimsAt(3599))).kid).toBe(k1.kid);

    // The activation instant: both replicas switch without any pass, event or database read.
    const listLive = jest.spyOn(store, 'listLive');
    clock.set(3600);
    for (const service of [a, b]) {
      const token = service.signAccessToken(claimsAt(3600));
      expect(decodeProtectedHeader(token).kid).toBe(k2.kid);
      expect(await verifyWith(token, service.jwks(), clock.now())).toStrictEqual(claimsAt(3600));
    }
    expect(listLive).not.toHaveBeenCalled();
    expect(a.jwks()).toEqual({ keys: [k2, k1.publicJwk] });

    // The next pass records it: k2 active, k1 retired at the activation instant, published 900 s more.
    clock.set(3630);
    await b.tick();
    await settle();
    expect((await rows()).map(({ kid, status, retired_at, unpublish_at, announced }) => ({ kid, status, retired_at, unpublish_at, announced }))).toEqual([
      { kid: k1.kid, status: 'retired', retired_at: s(3600), unpublish_at: s(4500), announced: 'retired' },
      { kid: k2.kid, status: 'active', retired_at: null, unpublish_at: null, announced: 'active' },
    ]);
    expect(eventSummary()).toEqual([
      `oauth.signing_key.published.v1 ${k1.kid}`,
      `oauth.signing_key.activated.v1 ${k1.kid}`,
      `oauth.signing_key.published.v1 ${k2.kid}`,
      `oauth.signing_key.retired.v1 ${k1.kid}`,
      `oauth.signing_key.activated.v1 ${k2.kid}`,
    ]);

    // A token of k1 signed just before the switch still verifies against the published set until it expires.
    const lastOfK1 = claimsAt(3599);
    clock.set(4499);
    expect(a.jwks()).toEqual({ keys: [k2, k1.publicJwk] });
    clock.set(4500);
    expect(a.jwks()).toEqual({ keys: [k2] });
    expect(b.jwks()).toEqual({ keys: [k2] });
    expect(lastOfK1.exp).toBeLessThan(epoch(4500));
  });

  it('an active key of another algorithm than SIGNING_KEY_ALG is rotated out by the next pass (one cache lifetime later)', async () => {
    const { replica, rows, clock } = await deployment();
    const es256 = replica();
    await es256.onModuleInit();

    const ps256 = replica({ env: { SIGNING_KEY_ALG: 'PS256' } });
    await ps256.onModuleInit();

    const byAlg = (await rows()).map(({ alg, status, activates_at }) => ({ alg, status, activates_at })).sort((x, y) => (x.alg < y.alg ? -1 : 1));
    expect(byAlg).toEqual([
      { alg: 'ES256', status: 'active', activates_at: s(0) },
      { alg: 'PS256', status: 'pending', activates_at: s(300) },
    ]);
    await settle();
    expect(decodeProtectedHeader(es256.signAccessToken(claimsAt(299))).alg).toBe('ES256');
    clock.set(300);
    expect(decodeProtectedHeader(es256.signAccessToken(claimsAt(300))).alg).toBe('PS256');
  });

  it('only one of two replicas rotates when their passes overlap (the other finds the lock taken and does nothing)', async () => {
    const store = new MemorySigningKeyStore();
    const { replica, clock } = await deployment({ store });
    const [a, b] = [replica(), replica()];
    await a.onModuleInit();
    await b.onModuleInit();
    clock.set(3300);

    const passes = jest.spyOn(SigningKeyRotation.prototype, 'rotate');
    await Promise.all([a.tick(), b.tick()]);

    const outcomes = await Promise.all(passes.mock.results.map((result) => result.value));
    passes.mockRestore();
    expect(outcomes).toEqual([{ created: expect.stringMatching(KID), activated: [], retired: [], revoked: [] }, null]);
    expect((await store.listAll()).map((key) => key.status).sort()).toEqual(['active', 'pending']);
  });
});

describe('keys rotate (an operator rotation)', () => {
  it('publishes a new key now, signing one JWKS cache lifetime later; a second call while it is pending changes nothing', async () => {
    const { replica, rows, eventSummary, clock, store, bus, encryption } = await deployment();
    const a = replica();
    await a.onModuleInit();
    const k1 = a.current().kid;
    clock.set(100);
    const cli = new SigningKeyRotation(store, encryption, bus, clock, rotationPolicyOf(loadSettings('token', {}, ENV)), silentLogger);

    const outcome = await cli.rotateNow();
    await settle();

    expect(outcome).toEqual({ created: expect.stringMatching(KID), activated: [], retired: [], revoked: [] });
    expect((await rows()).map(({ kid, status, activates_at, published_at }) => ({ kid, status, activates_at, published_at }))).toEqual([
      { kid: k1, status: 'active', activates_at: s(0), published_at: s(0) },
      { kid: outcome.created, status: 'pending', activates_at: s(400), published_at: s(100) },
    ]);
    expect(eventSummary().slice(2)).toEqual([`oauth.signing_key.published.v1 ${outcome.created}`]);
    expect(a.jwks().keys.map((key) => key.kid)).toEqual([k1, outcome.created]);
    expect(await cli.rotateNow()).toEqual({ created: null, activated: [], retired: [], revoked: [] });
    clock.set(400);
    expect(a.current().kid).toBe(outcome.created);
  });
});

describe('SigningKeysService: emergency revocation', () => {
  it('revokes the key in use at once, activates the pending key as its replacement, and both replicas switch on the events', async () => {
    const { replica, rows, eventSummary, clock, store, bus, encryption } = await deployment();
    const [a, b] = [replica(), replica()];
    await a.onModuleInit();
    await b.onModuleInit();
    clock.set(3300);
    await a.tick();
    await settle();
    const [k1, k2] = (await rows()).map((row) => row.public_jwk);

    // What `npm run keys -- revoke <kid>` does, from another process.
    clock.set(3400);
    const cli = new SigningKeyRotation(store, encryption, bus, clock, rotationPolicyOf(loadSettings('token', {}, ENV)), silentLogger);
    expect(await cli.revoke(k1!.kid!)).toEqual({ created: null, activated: [k2!.kid], retired: [], revoked: [k1!.kid] });
    await settle();

    expect((await rows()).map(({ status, activates_at, revoked_at, announced }) => ({ status, activates_at, revoked_at, announced }))).toEqual([
      { status: 'revoked', activates_at: s(0), revoked_at: s(3400), announced: 'revoked' },
      { status: 'active', activates_at: s(3400), revoked_at: null, announced: 'active' },
    ]);
    // The replacement is announced before the revocation: a replica reading the revocation finds it.
    expect(eventSummary().slice(-2)).toEqual([`oauth.signing_key.activated.v1 ${k2!.kid}`, `oauth.signing_key.revoked.v1 ${k1!.kid}`]);
    for (const service of [a, b]) {
      expect(service.jwks()).toEqual({ keys: [k2] });
      expect(decodeProtectedHeader(service.signAccessToken(claimsAt(3400))).kid).toBe(k2!.kid);
    }
  });

  it('revoking the only key creates a new one, active at once, announced before the replicas use it', async () => {
    const { replica, eventSummary, clock, store, bus, encryption } = await deployment();
    const a = replica();
    await a.onModuleInit();
    const k1 = a.current().kid;
    clock.set(100);

    const cli = new SigningKeyRotation(store, encryption, bus, clock, rotationPolicyOf(loadSettings('token', {}, ENV)), silentLogger);
    const outcome = await cli.revoke(k1);
    await settle();

    expect(outcome).toEqual({ created: expect.stringMatching(KID), activated: [outcome.created], retired: [], revoked: [k1] });
    expect(eventSummary().slice(2)).toEqual([`oauth.signing_key.published.v1 ${outcome.created}`, `oauth.signing_key.activated.v1 ${outcome.created}`, `oauth.signing_key.revoked.v1 ${k1}`]);
    expect(a.current().kid).toBe(outcome.created);
    expect(a.jwks().keys.map((key) => key.kid)).toEqual([outcome.created]);
    await expect(cli.revoke(k1)).rejects.toThrow(`signing key ${k1} is revoked already`);
    await expect(cli.revoke('no-such-kid')).rejects.toThrow('no signing key no-such-kid');
  });
});

describe('SigningKeysService on a database of the first schema (0001)', () => {
  it('keeps its active key: activation dated from its publication, activated.v1 sent by the first pass', async () => {
    const db = await PgliteDatabase.create();
    const only0001 = await mkdtemp(join(tmpdir(), 'migrations-'));
    await copyFile(join(MIGRATIONS_DIR, '0001_foundation.sql'), join(only0001, '0001_foundation.sql'));
    await migrate(db, { dir: only0001 });
    await rm(only0001, { recursive: true });
    const { replica, rows, eventSummary, encryption } = await deployment({ db });
    const publicJwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'legacy-key', alg: 'ES256', use: 'sig' };
    const privateJwk = { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: publicJwk.y, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI', kid: 'legacy-key', alg: 'ES256' };
    await db.query(
      `INSERT INTO signing_keys (kid, alg, status, public_jwk, encrypted_private_jwk, created_at, published_at) VALUES ('legacy-key', 'ES256', 'active', $1, $2, $3, $4)`,
      [JSON.stringify(publicJwk), encryption.encrypt(JSON.stringify(privateJwk)), s(-1000), s(-900)],
    );
    await migrate(db);

    const service = replica();
    await service.onModuleInit();

    expect(service.current().kid).toBe('legacy-key');
    expect(await rows()).toMatchObject([{ kid: 'legacy-key', status: 'active', activates_at: s(-900), published_at: s(-900), announced: 'active' }]);
    expect(eventSummary()).toEqual(['oauth.signing_key.activated.v1 legacy-key']);
  });
});
