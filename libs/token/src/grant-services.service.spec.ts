import { randomBytes } from 'node:crypto';
import { MemoryEventBus, MemoryTtlStore, migrate, PgliteDatabase, SqlRefreshFamilyStore, TtlAuthorizationCodeStore } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { type GrantServices, type IssuedAccessToken, type PreparedAccessToken, type RefreshFamilyState, type RegisteredClient, sha256Hash, TemporarilyUnavailable } from '@authz/oauth';
import { loadSettings } from '@authz/platform';
import { type Clock, type CredentialVerifier, EventLogUnavailableError, type EventPublisher, IdentityUnavailableError, silentLogger } from '@authz/ports';
import { GrantServicesService } from './grant-services.service';
import { KeyEncryption } from './key-encryption';

jest.setTimeout(60_000);

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z, seconds
let nowMs = T0 * 1000;
const clock: Clock = { now: () => new Date(nowMs) };
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const ACCESS: IssuedAccessToken = { accessToken: 'access-token', expiresIn: 600, scope: 'openid api:read' };
/** What TokenIssuer.prepareAccessToken answers: the token and its event, not yet published. */
function prepared(jti: string, grantType: 'authorization_code' | 'refresh_token' = 'refresh_token'): PreparedAccessToken {
  return {
    ...ACCESS,
    event: {
      type: 'oauth.access_token.issued.v1',
      subject: 'grant-1',
      data: { jti, grantId: 'grant-1', grantType, clientId: 'web-app', sub: 'alice', scope: 'openid api:read', audience: ['https://api.example.org'], issuedAt: T0, expiresAt: T0 + 600, tokenHash: sha256Hash('access-token') },
    },
  };
}

const webApp: RegisteredClient = {
  clientId: 'web-app',
  clientName: 'Web app',
  secretHash: sha256Hash('web-secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['authorization_code', 'refresh_token'],
  scope: ['openid', 'api:read'],
  defaultScope: [],
  audience: ['https://api.example.org'],
  redirectUris: ['https://web.example.org/callback'],
};

let base: PgliteDatabase;
const opened: PgliteDatabase[] = [];

beforeAll(async () => {
  base = await PgliteDatabase.create({ logger: silentLogger });
  await migrate(base, { logger: silentLogger });
});
afterAll(async () => {
  await Promise.all([...opened, base].map((db) => db.close()));
});
beforeEach(() => {
  nowMs = T0 * 1000;
});

async function deployment(options: { grace?: number; publisher?: EventPublisher; verifier?: CredentialVerifier } = {}) {
  const db = await base.clone();
  opened.push(db);
  const bus = new MemoryEventBus({ source: 'urn:authz:token' });
  const codes = new TtlAuthorizationCodeStore({ store: new MemoryTtlStore({ clock }), clock });
  const settings = loadSettings('token', {}, { REFRESH_TOKEN_TTL: '86400', REFRESH_TOKEN_IDLE_TTL: '3600', REFRESH_GRACE_SECONDS: String(options.grace ?? 0) });
  const service = new GrantServicesService(
    codes,
    new SqlRefreshFamilyStore(db),
    options.publisher ?? bus,
    clock,
    settings,
    new KeyEncryption(randomBytes(32).toString('base64url')),
    silentLogger,
    options.verifier,
  );
  const services: GrantServices = service.forRequest('request-1');
  const minted: RefreshFamilyState[] = [];
  const exchange = (token: string) =>
    services.exchangeRefreshToken({
      tokenHash: sha256Hash(token),
      client: webApp,
      mint: (family) => {
        minted.push(family);
        return prepared(`jti-${minted.length}`);
      },
    });
  const start = () =>
    services.issueRefreshToken(
      { client: webApp, grantId: 'grant-1', grantType: 'authorization_code', subject: 'alice', scopes: ['openid', 'api:read'], audience: ['https://api.example.org'], authTime: T0 - 5 },
      prepared('jti-0', 'authorization_code'),
    );
  // A grant's revocation is on oauth.revocations; here it comes after the grant's other events. The
  // access tokens' events, published with the family's (see 'one acknowledgement'), are left out here.
  const allEvents = () => [...bus.readTopic(Topics.tokens), ...bus.readTopic(Topics.revocations)].map((record) => deserializeEnvelope(record.value));
  const events = () => allEvents().filter((event) => event.type !== 'oauth.access_token.issued.v1');
  const eventData = () => events().map((event) => ({ type: event.type, subject: event.subject, data: event.data }));
  return { db, bus, codes, service, services, exchange, start, events, allEvents, eventData, minted };
}

describe('GrantServicesService: refresh token families on PGlite, events on the bus', () => {
  it('opens a family: a 256-bit token, stored and logged by hash only', async () => {
    const { start, events, db } = await deployment();

    const token = await start();

    expect(token).toMatch(REFRESH_TOKEN);
    expect(events()).toEqual([
      {
        specversion: '1.0',
        id: expect.any(String),
        source: 'urn:authz:token',
        type: 'oauth.refresh_token.issued.v1',
        time: expect.any(String),
        subject: 'grant-1',
        datacontenttype: 'application/json',
        correlationid: 'request-1',
        data: {
          familyId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
          grantId: 'grant-1',
          grantType: 'authorization_code',
          clientId: 'web-app',
          sub: 'alice',
          scope: 'openid api:read',
          audience: ['https://api.example.org'],
          authTime: T0 - 5,
          generation: 0,
          tokenHash: sha256Hash(token),
          issuedAt: T0,
          expiresAt: T0 + 86_400,
          idleExpiresAt: T0 + 3600,
        },
      },
    ]);
    const { rows } = await db.query('SELECT token_hash, generation FROM refresh_tokens');
    expect(rows).toEqual([{ token_hash: sha256Hash(token), generation: 0 }]);
    expect(JSON.stringify((await db.query('SELECT * FROM refresh_families')).rows)).not.toContain(token);
  });

  it('rotates on every use, then revokes the family when a rotated token comes back (RFC 9700 §4.14.2)', async () => {
    const { start, exchange, eventData, minted } = await deployment();
    const first = await start();
    const familyId = (eventData()[0]!.data as { familyId: string }).familyId;
    nowMs += 10_000;

    const rotated = await exchange(first);
    expect(rotated).toEqual({ outcome: 'rotated', refreshToken: expect.stringMatching(REFRESH_TOKEN), accessToken: expect.objectContaining(ACCESS) });
    const second = (rotated as { refreshToken: string }).refreshToken;
    expect(second).not.toBe(first);
    expect(minted.map((family) => family.generation)).toEqual([0]);

    nowMs += 10_000;
    expect(await exchange(first)).toEqual({ outcome: 'reuse_detected' });
    // The whole family is gone: the legitimate holder's child too.
    expect(await exchange(second)).toEqual({ outcome: 'refused', reason: 'revoked' });
    expect(eventData().slice(1)).toEqual([
      {
        type: 'oauth.refresh_token.rotated.v1',
        subject: 'grant-1',
        data: { familyId, grantId: 'grant-1', clientId: 'web-app', parentTokenHash: sha256Hash(first), generation: 1, tokenHash: sha256Hash(second), rotatedAt: T0 + 10, idleExpiresAt: T0 + 10 + 3600 },
      },
      {
        type: 'oauth.refresh_token.reuse_detected.v1',
        subject: 'grant-1',
        data: { familyId, grantId: 'grant-1', clientId: 'web-app', presentedTokenHash: sha256Hash(first), presentedGeneration: 0, currentGeneration: 1, detectedAt: T0 + 20 },
      },
      { type: 'oauth.grant.revoked.v1', subject: 'grant-1', data: { grantId: 'grant-1', clientId: 'web-app', subject: 'alice', reason: 'refresh_token_reuse', revokedAt: T0 + 20, coversUntil: T0 + 20 + 600 } },
    ]);
  });

  it('answers a retry of the parent within the grace window with the same child, and treats it as reuse after', async () => {
    const { start, exchange, eventData } = await deployment({ grace: 5 });
    const first = await start();
    const { refreshToken: child } = (await exchange(first)) as { refreshToken: string };

    nowMs += 4_999;
    expect(await exchange(first)).toEqual({ outcome: 'grace_retry', refreshToken: child, accessToken: expect.objectContaining(ACCESS) });
    expect(await exchange(first)).toEqual({ outcome: 'grace_retry', refreshToken: child, accessToken: expect.objectContaining(ACCESS) });
    expect(eventData().map((event) => event.type)).toEqual(['oauth.refresh_token.issued.v1', 'oauth.refresh_token.rotated.v1']);

    nowMs += 1;
    expect(await exchange(first)).toEqual({ outcome: 'reuse_detected' });
  });

  it('closes the grace window once the child is rotated in turn: the grandparent is reuse', async () => {
    const { start, exchange } = await deployment({ grace: 60 });
    const first = await start();
    const { refreshToken: second } = (await exchange(first)) as { refreshToken: string };
    const { refreshToken: third } = (await exchange(second)) as { refreshToken: string };

    expect(await exchange(second)).toEqual({ outcome: 'grace_retry', refreshToken: third, accessToken: expect.objectContaining(ACCESS) });
    expect(await exchange(first)).toEqual({ outcome: 'reuse_detected' });
  });

  it('refuses an unknown token, another client, and an idle or expired family, without an event', async () => {
    const { start, exchange, services, eventData } = await deployment();
    const token = await start();

    expect(await exchange('never-issued')).toEqual({ outcome: 'refused', reason: 'unknown' });
    expect(
      await services.exchangeRefreshToken({ tokenHash: sha256Hash(token), client: { ...webApp, clientId: 'spa' }, mint: () => prepared('jti-x') }),
    ).toEqual({ outcome: 'refused', reason: 'client_mismatch' });
    nowMs += 3600_000;
    expect(await exchange(token)).toEqual({ outcome: 'refused', reason: 'expired' });
    expect(eventData()).toHaveLength(1);
  });

  it('changes nothing when the log does not acknowledge the rotation (503, the parent still works)', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });
    let failing = false;
    const publisher: EventPublisher = {
      publish: (event, meta) => (failing ? Promise.reject(new EventLogUnavailableError('the event log is unavailable')) : bus.publish(event, meta)),
      ping: async () => undefined,
      close: async () => undefined,
    };
    const { start, exchange } = await deployment({ publisher });
    const first = await start();

    failing = true;
    await expect(exchange(first)).rejects.toBeInstanceOf(EventLogUnavailableError);
    failing = false;
    expect(await exchange(first)).toMatchObject({ outcome: 'rotated' });
  });

  it('leaves the family unchanged when minting refuses (e.g. invalid_scope)', async () => {
    const { start, services, exchange } = await deployment();
    const first = await start();

    await expect(
      services.exchangeRefreshToken({ tokenHash: sha256Hash(first), client: webApp, mint: () => {
          throw new TemporarilyUnavailable('x');
        },
      }),
    ).rejects.toBeInstanceOf(TemporarilyUnavailable);
    expect(await exchange(first)).toMatchObject({ outcome: 'rotated' });
  });
});

describe('GrantServicesService: codes and grant revocation', () => {
  it('revokes the family of a grant whose code is replayed, and records it', async () => {
    const { start, services, exchange, eventData, codes } = await deployment();
    await codes.save(sha256Hash('code-1'), {
      grantId: 'grant-1',
      clientId: 'web-app',
      scopes: ['openid'],
      subject: 'alice',
      authTime: T0,
      issuedAt: T0,
      expiresAt: T0 + 60,
    });
    expect(await services.redeemAuthorizationCode(sha256Hash('code-1'))).toMatchObject({ outcome: 'redeemed' });
    const token = await start();
    expect(await services.redeemAuthorizationCode(sha256Hash('code-1'))).toEqual({ outcome: 'replayed', grantId: 'grant-1', clientId: 'web-app' });

    await services.revokeGrant({ grantId: 'grant-1', clientId: 'web-app', reason: 'code_replay' });

    expect(await exchange(token)).toEqual({ outcome: 'refused', reason: 'revoked' });
    expect(eventData().slice(-1)).toEqual([
      { type: 'oauth.grant.revoked.v1', subject: 'grant-1', data: { grantId: 'grant-1', clientId: 'web-app', subject: 'alice', reason: 'code_replay', revokedAt: T0, coversUntil: T0 + 86_400 } },
    ]);
    // The first redemption, still running when the replay revoked its grant, gets no family.
    await expect(start()).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('records a redemption with the code hash only, with its access token, in one batch', async () => {
    const { services, allEvents } = await deployment();
    const grant = { grantId: 'grant-1', clientId: 'web-app', scopes: [], subject: 'alice', authTime: T0, issuedAt: T0, expiresAt: T0 + 60 };
    expect(await services.completeCodeRedemption(sha256Hash('code-1'), grant, prepared('jti-1', 'authorization_code'))).toBeUndefined();
    expect(allEvents().map((event) => ({ type: event.type, subject: event.subject, correlationid: event.correlationid, data: event.data }))).toEqual([
      { type: 'oauth.access_token.issued.v1', subject: 'grant-1', correlationid: 'request-1', data: prepared('jti-1', 'authorization_code').event.data },
      { type: 'oauth.authorization_code.redeemed.v1', subject: 'grant-1', correlationid: 'request-1', data: { codeHash: sha256Hash('code-1'), grantId: 'grant-1', clientId: 'web-app', sub: 'alice', redeemedAt: T0 } },
    ]);
  });
});

describe('GrantServicesService: one acknowledgement per request', () => {
  /** A publisher that holds every acknowledgement until the test releases them, and records what was handed to it meanwhile. */
  function heldPublisher() {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });
    const pending: Array<{ type: string; release: () => void }> = [];
    let holding = false;
    const publisher: EventPublisher = {
      publish: async (event, meta) => {
        if (!holding) return bus.publish(event, meta);
        await new Promise<void>((release) => pending.push({ type: event.type, release }));
        return bus.publish(event, meta);
      },
      ping: async () => undefined,
      close: async () => undefined,
    };
    return {
      publisher,
      pending,
      hold: () => (holding = true),
      release: () => pending.splice(0).forEach((entry) => entry.release()),
    };
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('hands the access token, the family and the redemption of a code exchange to the log together', async () => {
    const held = heldPublisher();
    const { services } = await deployment({ publisher: held.publisher });
    held.hold();
    const grant = { grantId: 'grant-1', clientId: 'web-app', scopes: ['openid'], subject: 'alice', authTime: T0, issuedAt: T0, expiresAt: T0 + 60 };
    const refresh = { client: webApp, grantId: 'grant-1', grantType: 'authorization_code' as const, subject: 'alice', scopes: ['openid'], audience: ['https://api.example.org'], authTime: T0 };

    const done = services.completeCodeRedemption(sha256Hash('code-1'), grant, prepared('jti-1', 'authorization_code'), refresh);
    await settle();
    // All three wait for their acknowledgement at once: one round trip to the log, not three.
    expect(held.pending.map((entry) => entry.type)).toEqual(['oauth.access_token.issued.v1', 'oauth.refresh_token.issued.v1', 'oauth.authorization_code.redeemed.v1']);
    held.release();
    expect(await done).toMatch(REFRESH_TOKEN);
  });

  it('hands a rotation and its access token to the log together', async () => {
    const held = heldPublisher();
    const { start, exchange } = await deployment({ publisher: held.publisher });
    const first = await start();
    held.hold();

    const done = exchange(first);
    await settle();
    expect(held.pending.map((entry) => entry.type)).toEqual(['oauth.access_token.issued.v1', 'oauth.refresh_token.rotated.v1']);
    held.release();
    expect(await done).toMatchObject({ outcome: 'rotated' });
  });
});

describe('GrantServicesService: resource owner credentials', () => {
  const user = { subject: 'alice', dn: 'uid=alice,ou=people,dc=example,dc=org', username: 'alice', groups: [] };
  const check = { username: 'alice', password: 'alice-password', clientId: 'legacy-app' };

  it('maps the verdicts: authenticated to the subject, invalid or locked to one refusal', async () => {
    const verdicts = [
      { outcome: 'authenticated' as const, user, authTime: T0 },
      { outcome: 'invalid_credentials' as const },
      { outcome: 'locked' as const, retryAfter: 30 },
    ];
    const verifier: CredentialVerifier = { verify: jest.fn(async () => verdicts.shift()!) };
    const { services } = await deployment({ verifier });

    expect(await services.verifyCredentials(check)).toEqual({ outcome: 'authenticated', subject: 'alice', authTime: T0, groups: [] });
    // The request's correlation id goes with the check (the identity events of this login carry it).
    expect((verifier.verify as jest.Mock).mock.calls[0]).toEqual([check, { correlationId: 'request-1' }]);
    expect(await services.verifyCredentials(check)).toEqual({ outcome: 'refused' });
    expect(await services.verifyCredentials(check)).toEqual({ outcome: 'refused' });
    expect(verifier.verify).toHaveBeenCalledTimes(3);
  });

  it("passes the request's client IP to the identity service (brute-force counters per end user, not per ingress)", async () => {
    const verifier: CredentialVerifier = { verify: jest.fn(async () => ({ outcome: 'invalid_credentials' as const })) };
    const { service } = await deployment({ verifier });

    await service.forRequest('request-2', '198.51.100.7').verifyCredentials(check);
    await service.forRequest('request-3').verifyCredentials(check);
    expect((verifier.verify as jest.Mock).mock.calls).toEqual([
      [{ ...check, clientIp: '198.51.100.7' }, { correlationId: 'request-2' }],
      [check, { correlationId: 'request-3' }],
    ]);
  });

  it('answers temporarily_unavailable when the identity service is down or not configured', async () => {
    const down: CredentialVerifier = { verify: async () => Promise.reject(new IdentityUnavailableError('directory down')) };
    await expect((await deployment({ verifier: down })).services.verifyCredentials(check)).rejects.toBeInstanceOf(TemporarilyUnavailable);
    await expect((await deployment()).services.verifyCredentials(check)).rejects.toBeInstanceOf(TemporarilyUnavailable);
  });
});
