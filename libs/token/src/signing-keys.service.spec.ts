import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { MemoryEventBus, migrate, PgliteDatabase, SqlSigningKeyStore } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { type Clock, EventLogUnavailableError, silentLogger } from '@authz/ports';
import { KeyEncryption } from './key-encryption';
import { SigningKeysService } from './signing-keys.service';

// PGlite starts in one to a few seconds: one migrated database per file, a clone (0.5 s) per test.
jest.setTimeout(60_000);

/** 2026-01-01T00:00:00Z. */
const NOW = new Date('2026-01-01T00:00:00.000Z');
const clock: Clock = { now: () => NOW };
const KID = /^[A-Za-z0-9_-]{22}$/;
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

type Row = {
  kid: string;
  alg: string;
  status: string;
  public_jwk: Record<string, string>;
  encrypted_private_jwk: string;
  created_at: Date;
  published_at: Date | null;
};

let base: PgliteDatabase;
const opened: PgliteDatabase[] = [];

beforeAll(async () => {
  base = await PgliteDatabase.create();
  await migrate(base);
});

afterAll(async () => {
  await Promise.all([...opened, base].map((db) => db?.close()));
});

/** A fresh migrated database, a bus and a key-encryption key: what one token deployment shares. */
async function deployment() {
  const db = await base.clone();
  opened.push(db);
  const store = new SqlSigningKeyStore(db);
  const bus = new MemoryEventBus({ source: 'urn:authz:token' });
  const encryption = new KeyEncryption(randomBytes(32).toString('base64url'));
  return {
    db,
    bus,
    encryption,
    /** One token replica (a SigningKeysService as Nest would build it). */
    replica: (options: { encryption?: KeyEncryption } = {}) => new SigningKeysService(store, options.encryption ?? encryption, bus, clock, silentLogger),
    rows: async () => (await db.query<Row>('SELECT kid, alg, status, public_jwk, encrypted_private_jwk, created_at, published_at FROM signing_keys')).rows,
    keyEvents: () => bus.readTopic(Topics.keys).map((record) => deserializeEnvelope(record.value)),
  };
}

const publicJwkOf = (kid: string) => ({ kty: 'EC', crv: 'P-256', x: expect.stringMatching(COORDINATE), y: expect.stringMatching(COORDINATE), kid, alg: 'ES256', use: 'sig' });

describe('SigningKeysService on PGlite with a MemoryEventBus', () => {
  it('first start: creates one ES256 key, stores the private JWK encrypted, announces the public JWK once, marks it published', async () => {
    const { replica, rows, keyEvents, encryption } = await deployment();

    const service = replica();
    await service.onModuleInit();

    const stored = await rows();
    expect(stored).toEqual([
      {
        kid: expect.stringMatching(KID),
        alg: 'ES256',
        status: 'active',
        public_jwk: publicJwkOf(stored[0]!.kid),
        encrypted_private_jwk: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        created_at: NOW,
        published_at: NOW,
      },
    ]);
    const [row] = stored as [Row];

    // The private JWK opens with the key-encryption key, and its "d" is nowhere in the stored row.
    const privateJwk = JSON.parse(encryption.decrypt(row.encrypted_private_jwk)) as Record<string, string>;
    expect(privateJwk).toEqual({ kty: 'EC', crv: 'P-256', x: row.public_jwk.x, y: row.public_jwk.y, d: expect.stringMatching(COORDINATE), kid: row.kid, alg: 'ES256' });
    expect(row.encrypted_private_jwk).not.toContain(privateJwk.d);
    expect(JSON.stringify(row)).not.toContain(privateJwk.d);
    expect(Buffer.from(row.encrypted_private_jwk, 'base64url').includes(Buffer.from(privateJwk.d!))).toBe(false);
    expect(row.public_jwk).not.toHaveProperty('d');

    // Exactly one announcement, with the public JWK only, keyed by the kid.
    const records = keyEvents();
    expect(records).toEqual([
      {
        specversion: '1.0',
        id: expect.any(String),
        source: 'urn:authz:token',
        type: 'oauth.signing_key.published.v1',
        time: expect.any(String),
        subject: row.kid,
        datacontenttype: 'application/json',
        data: {
          kid: row.kid,
          alg: 'ES256',
          publicJwk: { kty: 'EC', crv: 'P-256', x: row.public_jwk.x, y: row.public_jwk.y, kid: row.kid, alg: 'ES256', use: 'sig' },
          createdAt: NOW.getTime() / 1000,
        },
      },
    ]);
    expect(service.current()).toEqual({ kid: row.kid, privateKey: expect.anything(), publicJwk: row.public_jwk });
  });

  it('signs with the private half of the key it announced', async () => {
    const { replica, keyEvents } = await deployment();
    const service = replica();
    await service.onModuleInit();

    const { kid, privateKey } = service.current();
    const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    const [announced] = keyEvents();
    if (announced?.type !== 'oauth.signing_key.published.v1') throw new Error('no key was announced');

    expect(decodeProtectedHeader(token).kid).toBe(announced.subject);
    const { payload } = await jwtVerify(token, await importJWK(announced.data.publicJwk as JWK, 'ES256'));
    expect(payload).toEqual({ sub: 'x' });
  });

  it('a second replica on the same database loads the same kid and announces nothing new', async () => {
    const { replica, rows, keyEvents } = await deployment();
    const first = replica();
    await first.onModuleInit();
    const before = { rows: await rows(), events: keyEvents() };

    const second = replica();
    await second.onModuleInit();

    expect(second.current().kid).toBe(first.current().kid);
    expect(second.current().publicJwk).toEqual(first.current().publicJwk);
    expect(second.jwks()).toEqual(first.jwks());
    expect(await rows()).toEqual(before.rows);
    expect(keyEvents()).toEqual(before.events);
    expect(keyEvents()).toHaveLength(1);
  });

  it('two replicas starting at once agree on ONE active key (PGlite has one session: the two starts interleave, they do not run in parallel)', async () => {
    const { replica, rows, keyEvents } = await deployment();
    const [a, b] = [replica(), replica()];

    await Promise.all([a.onModuleInit(), b.onModuleInit()]);

    const stored = await rows();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'active', published_at: NOW });
    expect(a.current().kid).toBe(stored[0]!.kid);
    expect(b.current().kid).toBe(stored[0]!.kid);
    expect(a.jwks()).toEqual(b.jwks());
    // Both replicas may have seen the winner unpublished and announced it (idempotent for consumers,
    // which key by kid); the key that lost the insert is never announced.
    const events = keyEvents();
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(new Set(events.map((event) => event.subject))).toEqual(new Set([stored[0]!.kid]));
  });

  it('jwks() is the JWK Set (RFC 7517 §5) of the public key alone', async () => {
    const { replica } = await deployment();
    const service = replica();
    await service.onModuleInit();

    const jwks = service.jwks();

    expect(jwks).toEqual({ keys: [publicJwkOf(service.current().kid)] });
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('has no key before onModuleInit: current() throws and jwks() is empty', () => {
    const service = new SigningKeysService(
      { findActive: async () => null, insertActiveIfNone: async (key) => key, markPublished: async () => undefined },
      new KeyEncryption(randomBytes(32).toString('base64url')),
      new MemoryEventBus({ source: 'urn:authz:token' }),
      clock,
      silentLogger,
    );

    expect(() => service.current()).toThrow(new Error('signing keys are not loaded'));
    expect(service.jwks()).toEqual({ keys: [] });
  });

  it('fails loudly when the key-encryption key does not open the stored key, and announces nothing', async () => {
    const { replica, keyEvents } = await deployment();
    await replica().onModuleInit();
    const events = keyEvents();

    const misconfigured = replica({ encryption: new KeyEncryption(randomBytes(32).toString('base64url')) });

    await expect(misconfigured.onModuleInit()).rejects.toThrow(/^cannot decrypt signing key [A-Za-z0-9_-]{22}: KEY_ENCRYPTION_KEY is not the key it was encrypted with$/);
    expect(() => misconfigured.current()).toThrow(new Error('signing keys are not loaded'));
    expect(misconfigured.jwks()).toEqual({ keys: [] });
    expect(keyEvents()).toEqual(events);
  });

  it('with the event log down the first start fails and the key stays unannounced; the next start announces it before using it', async () => {
    const { replica, rows, keyEvents, bus } = await deployment();
    bus.setUnavailable(true);

    const first = replica();
    await expect(first.onModuleInit()).rejects.toThrow(EventLogUnavailableError);

    const [unannounced] = await rows();
    expect(unannounced).toMatchObject({ status: 'active', published_at: null });
    expect(() => first.current()).toThrow(new Error('signing keys are not loaded'));
    bus.setUnavailable(false);
    expect(keyEvents()).toEqual([]);

    const next = replica();
    await next.onModuleInit();

    expect(next.current().kid).toBe(unannounced!.kid);
    expect(keyEvents().map((event) => event.subject)).toEqual([unannounced!.kid]);
    expect(await rows()).toEqual([{ ...unannounced, published_at: NOW }]);
  });
});
