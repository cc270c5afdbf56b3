import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { MemoryEventBus, MemorySigningKeyStore } from '@authz/adapters';
import { deserializeEnvelope, type DomainEvent, type Envelope, Topics } from '@authz/contracts';
import { type AccessTokenRequest, type RegisteredClient, sha256Hash } from '@authz/oauth';
import { loadSettings } from '@authz/platform';
import { type Clock, EventLogUnavailableError, type EventPublisher, silentLogger } from '@authz/ports';
import { KeyEncryption } from './key-encryption';
import { SigningKeysService } from './signing-keys.service';
import { TokenIssuerService } from './token-issuer.service';

const ISSUER = 'https://issuer.test';
/** 2026-01-01T00:00:00Z, in seconds. */
const NOW = 1_767_225_600;
const clock: Clock = { now: () => new Date(NOW * 1000) };
const IDENTIFIER = /^[A-Za-z0-9_-]{22}$/;
const settings = loadSettings('token', {}, { ISSUER });

const client: RegisteredClient = {
  clientId: 'demo-service',
  clientName: 'Demo back-end service',
  secretHash: sha256Hash('secret'),
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  scope: ['api:read', 'api:write'],
  defaultScope: ['api:read'],
  audience: ['https://api.example.org'],
  redirectUris: [],
};

const request = (overrides: Partial<AccessTokenRequest> = {}): AccessTokenRequest => ({
  client,
  grantType: 'client_credentials',
  subject: client.clientId,
  scopes: ['api:read', 'api:write'],
  audience: client.audience,
  ...overrides,
});

let keys: SigningKeysService;
let publicJwk: JWK;

beforeAll(async () => {
  keys = new SigningKeysService(new MemorySigningKeyStore(), new KeyEncryption(randomBytes(32).toString('base64url')), new MemoryEventBus({ source: 'urn:authz:token' }), clock, silentLogger, settings);
  await keys.onModuleInit();
  publicJwk = keys.jwks().keys[0]!;
});

function issuerWith(publisher: EventPublisher): TokenIssuerService {
  return new TokenIssuerService(keys, publisher, clock, settings);
}

async function verify(token: string) {
  return (await jwtVerify(token, await importJWK(publicJwk, 'ES256'), { issuer: ISSUER, typ: 'at+jwt', algorithms: ['ES256'], currentDate: clock.now() })).payload;
}

function issuedEvents(bus: MemoryEventBus): Array<Envelope<Extract<DomainEvent, { type: 'oauth.access_token.issued.v1' }>>> {
  return bus.readTopic(Topics.tokens).map((record) => deserializeEnvelope(record.value)) as Array<Envelope<Extract<DomainEvent, { type: 'oauth.access_token.issued.v1' }>>>;
}

describe('TokenIssuerService (RFC 9068 access tokens, recorded before they are returned)', () => {
  it('signs a JWT whose header and claims are exactly the RFC 9068 profile', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });
    const issued = await issuerWith(bus).issueAccessToken(request());

    expect(issued).toEqual({ accessToken: expect.any(String), expiresIn: 600, scope: 'api:read api:write' });
    expect(decodeProtectedHeader(issued.accessToken)).toStrictEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.current().kid });
    expect(await verify(issued.accessToken)).toStrictEqual({
      iss: ISSUER,
      exp: NOW + 600,
      aud: 'https://api.example.org',
      sub: 'demo-service',
      client_id: 'demo-service',
      iat: NOW,
      jti: expect.stringMatching(IDENTIFIER),
      scope: 'api:read api:write',
      // The grant's id (the revocation key), the same as in the event.
      grant_id: issuedEvents(bus)[0]!.data.grantId,
    });
  });

  it('records oauth.access_token.issued.v1 with exactly the token’s facts and its hash, never its value', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });

    const { accessToken } = await issuerWith(bus).issueAccessToken(request(), 'request-42');

    const claims = await verify(accessToken);
    const events = issuedEvents(bus);
    expect(events).toHaveLength(1);
    const [event] = events as [(typeof events)[number]];
    expect(event).toStrictEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'urn:authz:token',
      type: 'oauth.access_token.issued.v1',
      time: expect.any(String),
      subject: event.data.grantId,
      datacontenttype: 'application/json',
      correlationid: 'request-42',
      data: {
        jti: claims.jti,
        grantId: expect.stringMatching(IDENTIFIER),
        grantType: 'client_credentials',
        clientId: 'demo-service',
        sub: 'demo-service',
        scope: 'api:read api:write',
        audience: ['https://api.example.org'],
        issuedAt: NOW,
        expiresAt: NOW + 600,
        tokenHash: sha256Hash(accessToken),
      },
    });
    expect(event.data.grantId).not.toBe(claims.jti);
    expect(bus.readTopic(Topics.tokens)[0]!.value.toString()).not.toContain(accessToken.split('.')[2]);
  });

  it('records no correlation id when the request has none', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });

    await issuerWith(bus).issueAccessToken(request());

    expect(issuedEvents(bus)[0]).not.toHaveProperty('correlationid');
  });

  it('gives every token a fresh jti and grant id', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });
    const issuer = issuerWith(bus);

    const tokens = await Promise.all(Array.from({ length: 5 }, () => issuer.issueAccessToken(request())));

    const events = issuedEvents(bus);
    expect(new Set(events.map((event) => event.data.jti)).size).toBe(5);
    expect(new Set(events.map((event) => event.data.grantId)).size).toBe(5);
    expect(events.map((event) => event.data.tokenHash).sort()).toEqual(tokens.map(({ accessToken }) => sha256Hash(accessToken)).sort());
  });

  it("uses the client's accessTokenTtl over the server's ACCESS_TOKEN_TTL", async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });

    const issued = await issuerWith(bus).issueAccessToken(request({ client: { ...client, accessTokenTtl: 60 } }));

    expect(issued.expiresIn).toBe(60);
    expect(await verify(issued.accessToken)).toMatchObject({ iat: NOW, exp: NOW + 60 });
    expect(issuedEvents(bus)[0]!.data).toMatchObject({ issuedAt: NOW, expiresAt: NOW + 60 });
  });

  it('uses ACCESS_TOKEN_TTL from the settings when the client has no override', async () => {
    const issuer = new TokenIssuerService(keys, new MemoryEventBus({ source: 'urn:authz:token' }), clock, loadSettings('token', {}, { ISSUER, ACCESS_TOKEN_TTL: '900' }));

    const issued = await issuer.issueAccessToken(request());

    expect(issued.expiresIn).toBe(900);
    expect(await verify(issued.accessToken)).toMatchObject({ exp: NOW + 900 });
  });

  it('defaults the audience to the client id when the client has none (a single aud is a string, RFC 7519 §4.1.3)', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });
    const noAudience = { ...client, audience: [] };

    const issued = await issuerWith(bus).issueAccessToken(request({ client: noAudience, audience: noAudience.audience }));

    expect((await verify(issued.accessToken)).aud).toBe('demo-service');
    expect(issuedEvents(bus)[0]!.data.audience).toEqual(['demo-service']);
  });

  it('carries several audiences as an array', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });
    const audience = ['https://api.example.org', 'https://reports.example.org'];

    const issued = await issuerWith(bus).issueAccessToken(request({ audience }));

    expect((await verify(issued.accessToken)).aud).toEqual(audience);
    expect(issuedEvents(bus)[0]!.data.audience).toEqual(audience);
  });

  it('names the resource owner as sub and the client as client_id when they differ', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });

    const issued = await issuerWith(bus).issueAccessToken(request({ subject: 'alice', grantType: 'authorization_code', scopes: ['api:read'] }));

    expect(await verify(issued.accessToken)).toMatchObject({ sub: 'alice', client_id: 'demo-service', scope: 'api:read' });
    expect(issuedEvents(bus)[0]!.data).toMatchObject({ sub: 'alice', clientId: 'demo-service', grantType: 'authorization_code', scope: 'api:read' });
  });

  it('carries the grant id it is given and auth_time when a user authenticated (RFC 9068 §2.2.1)', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:token' });

    const issued = await issuerWith(bus).issueAccessToken(request({ subject: 'alice', grantType: 'authorization_code', grantId: 'grant-7', authTime: NOW - 30 }));

    expect(await verify(issued.accessToken)).toMatchObject({ sub: 'alice', auth_time: NOW - 30 });
    expect(issuedEvents(bus)[0]).toMatchObject({ subject: 'grant-7', data: { grantId: 'grant-7', sub: 'alice' } });
  });

  describe('awaits the log', () => {
    it('rejects, and returns no token, when the publish rejects', async () => {
      const refusal = new EventLogUnavailableError('the event log is unavailable');
      const publisher: EventPublisher = { publish: jest.fn().mockRejectedValue(refusal), ping: async () => undefined, close: async () => undefined };

      await expect(issuerWith(publisher).issueAccessToken(request(), 'request-43')).rejects.toBe(refusal);
      expect(publisher.publish).toHaveBeenCalledTimes(1);
    });

    it('rejects with the bus unavailable, and the log holds nothing', async () => {
      const bus = new MemoryEventBus({ source: 'urn:authz:token' });
      bus.setUnavailable(true);

      await expect(issuerWith(bus).issueAccessToken(request())).rejects.toThrow(EventLogUnavailableError);
      expect(bus.readTopic(Topics.tokens)).toEqual([]);
    });

    it('resolves only after the publish has resolved', async () => {
      const bus = new MemoryEventBus({ source: 'urn:authz:token' });
      let acknowledge!: () => void;
      const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
      const publisher: EventPublisher = {
        publish: async (event, meta) => {
          await acknowledged;
          return bus.publish(event, meta);
        },
        ping: async () => undefined,
        close: async () => undefined,
      };
      let settled = false;

      const issuing = issuerWith(publisher)
        .issueAccessToken(request())
        .finally(() => (settled = true));
      for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);

      acknowledge();
      const { accessToken } = await issuing;
      expect(issuedEvents(bus).map((event) => event.data.tokenHash)).toEqual([sha256Hash(accessToken)]);
    });

    it('issues nothing before the signing key is loaded', async () => {
      const unloaded = new SigningKeysService(new MemorySigningKeyStore(), new KeyEncryption(randomBytes(32).toString('base64url')), new MemoryEventBus({ source: 'urn:authz:token' }), clock, silentLogger, settings);
      const bus = new MemoryEventBus({ source: 'urn:authz:token' });

      await expect(new TokenIssuerService(unloaded, bus, clock, settings).issueAccessToken(request())).rejects.toThrow('signing keys are not loaded');
      expect(bus.readTopic(Topics.tokens)).toEqual([]);
    });
  });
});
