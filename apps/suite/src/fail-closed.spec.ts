/**
 * Fail closed: no token leaves the server unless the event log has acknowledged its
 * oauth.access_token.issued.v1 event. With the in-process bus down, /token answers 503
 * temporarily_unavailable (RFC 6749 §4.1.2.1 / §5.2) and records nothing; readiness reports the bus
 * down; once the bus is back, tokens are issued again and each one's event is in the log before its
 * response exists.
 */
import 'reflect-metadata';
import type { LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt } from 'jose';
import { type MemoryEventBus } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { createHttpApp, loadSettings } from '@authz/platform';
import { EVENT_PUBLISHER, silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

const FORM = 'application/x-www-form-urlencoded';
const SERVICE_BASIC = `Basic ${Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64')}`;
const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' };
const READY_CHECKS = { 'event-bus': 'up', pglite: 'up', 'ttl-store': 'up', ldif: 'up' };

let app: NestFastifyApplication;
let bus: MemoryEventBus;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER: 'https://issuer.test', LOG_LEVEL: 'silent' });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
}, 60_000);

afterEach(() => {
  bus?.setUnavailable(false);
  jest.restoreAllMocks();
});

afterAll(async () => {
  await app?.close();
});

function requestToken(requestId: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': FORM, authorization: SERVICE_BASIC, 'x-request-id': requestId },
    payload: 'grant_type=client_credentials',
  });
}

/** The oauth.access_token.issued.v1 events in the log, decoded. */
function issuedEvents() {
  return bus.readTopic(Topics.tokens).map((record) => ({ headers: record.headers, envelope: deserializeEnvelope(record.value) }));
}

describe('with the event log down', () => {
  it('answers POST /token with 503 temporarily_unavailable, Retry-After: 1 and no token', async () => {
    bus.setUnavailable(true);

    const response = await requestToken('outage-1');

    expect({
      status: response.statusCode,
      body: response.json(),
      retryAfter: response.headers['retry-after'],
      cacheControl: response.headers['cache-control'],
      pragma: response.headers.pragma,
      contentType: response.headers['content-type'],
      requestId: response.headers['x-request-id'],
    }).toEqual({
      status: 503,
      body: UNAVAILABLE,
      retryAfter: '1',
      cacheControl: 'no-store',
      pragma: 'no-cache',
      contentType: 'application/json; charset=utf-8',
      requestId: 'outage-1',
    });
    expect(response.body).not.toMatch(/eyJ/);
  });

  it('records no event for the refused request', async () => {
    const before = issuedEvents().length;
    bus.setUnavailable(true);

    const refused = await Promise.all(['outage-2a', 'outage-2b', 'outage-2c'].map((id) => requestToken(id)));

    expect(refused.map((response) => response.statusCode)).toEqual([503, 503, 503]);
    bus.setUnavailable(false);
    const events = issuedEvents();
    expect(events).toHaveLength(before);
    expect(events.filter(({ envelope }) => envelope.correlationid?.startsWith('outage-2'))).toEqual([]);
  });

  it('answers GET /healthz/ready with 503 and the event-bus check down', async () => {
    bus.setUnavailable(true);

    const response = await app.inject({ method: 'GET', url: '/healthz/ready' });

    expect({ status: response.statusCode, cacheControl: response.headers['cache-control'], body: response.json() }).toEqual({
      status: 503,
      cacheControl: 'no-store',
      body: { status: 'unavailable', checks: { ...READY_CHECKS, 'event-bus': 'down' } },
    });
  });

  it('still answers GET /healthz/live with 200', async () => {
    bus.setUnavailable(true);

    const response = await app.inject({ method: 'GET', url: '/healthz/live' });

    expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 200, body: { status: 'live' } });
  });
});

describe('after the event log is back', () => {
  it('issues tokens again and reports ready', async () => {
    bus.setUnavailable(true);
    expect((await requestToken('outage-3')).statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/healthz/ready' })).statusCode).toBe(503);

    bus.setUnavailable(false);
    const issued = await requestToken('recovered-3');
    const ready = await app.inject({ method: 'GET', url: '/healthz/ready' });

    expect({ status: issued.statusCode, body: issued.json(), cacheControl: issued.headers['cache-control'], pragma: issued.headers.pragma }).toEqual({
      status: 200,
      body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'api:read' },
      cacheControl: 'no-store',
      pragma: 'no-cache',
    });
    expect({ status: ready.statusCode, body: ready.json() }).toEqual({ status: 200, body: { status: 'ready', checks: READY_CHECKS } });
  });

  it("has the token's event in the log as soon as the response arrives", async () => {
    const response = await requestToken('recorded-4');
    // Read synchronously, before anything else can run: the event must already be there.
    const events = issuedEvents();

    const accessToken = (response.json() as { access_token: string }).access_token;
    const claims = decodeJwt(accessToken);
    const matching = events.filter(({ envelope }) => envelope.type === 'oauth.access_token.issued.v1' && envelope.data.jti === claims.jti);
    expect(matching).toHaveLength(1);
    const [{ headers, envelope }] = matching as [(typeof matching)[number]];
    expect(envelope).toEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'urn:authz:suite',
      type: 'oauth.access_token.issued.v1',
      time: expect.any(String),
      subject: expect.any(String),
      datacontenttype: 'application/json',
      correlationid: 'recorded-4',
      data: {
        jti: claims.jti,
        grantId: envelope.subject,
        grantType: 'client_credentials',
        clientId: 'demo-service',
        sub: 'demo-service',
        scope: 'api:read',
        audience: ['https://api.example.org'],
        issuedAt: claims.iat,
        expiresAt: claims.exp,
        tokenHash: sha256Hash(accessToken),
      },
    });
    expect(headers).toEqual({ 'content-type': 'application/cloudevents+json', ce_type: 'oauth.access_token.issued.v1', ce_id: envelope.id, correlation_id: 'recorded-4' });
  });

  it('holds the response until the log acknowledges the event', async () => {
    // The bus acknowledges only when the test lets it: the response must wait for it.
    const publish = bus.publish.bind(bus);
    let acknowledge!: () => void;
    const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
    let reachedPublish!: () => void;
    const publishing = new Promise<void>((resolve) => (reachedPublish = resolve));
    jest.spyOn(bus, 'publish').mockImplementation(async (event, meta) => {
      reachedPublish();
      await acknowledged;
      return publish(event, meta);
    });
    let answered = false;

    const pending = requestToken('held-5').then((response) => {
      answered = true;
      return response;
    });
    await publishing;
    // Let every queued callback run: nothing can complete the response while the publish is pending.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    expect(issuedEvents().some(({ envelope }) => envelope.correlationid === 'held-5')).toBe(false);

    acknowledge();
    const response = await pending;
    const jti = decodeJwt((response.json() as { access_token: string }).access_token).jti;
    expect(issuedEvents().filter(({ envelope }) => envelope.type === 'oauth.access_token.issued.v1' && envelope.data.jti === jti)).toHaveLength(1);
  });
});
