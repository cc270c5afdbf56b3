/**
 * demo-api with the resource-server guard, as separate processes on the real services: token and
 * introspection on Kafka, PostgreSQL and Redis; demo-api verifying tokens against the token service's
 * JWK Set and following `oauth.revocations`. A client_credentials token of demo-service is accepted,
 * then refused once its grant (or the token alone) is revoked, by the running demo-api and by one
 * started afterwards. The revocation events are published here directly, in the suite's envelope
 * (createEnvelope), as the revocation service will: POST /revoke is the lead's part of the issue.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { createEnvelope, type DomainEvent, serializeEnvelope, Topics } from '@authz/contracts';
import { cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'https://issuer.demo-api.test';
const DEMO_SERVICE = `Basic ${Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const REVOKED = {
  status: 401,
  challenge: 'Bearer realm="demo-api", error="invalid_token"',
  body: { error: 'invalid_token', error_description: 'the token has been revoked' },
};

const e2e = e2eRun('demoapi');
const services: Record<string, RunningService> = {};
const extraApis: RunningService[] = [];
let env: Record<string, string>;
let producer: Producer;

async function accessToken(scope: string): Promise<{ token: string; claims: ReturnType<typeof decodeJwt> }> {
  const response = await fetch(`${services.token!.url}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: DEMO_SERVICE }, body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString() });
  expect(response.status).toBe(200);
  const { access_token: token } = (await response.json()) as { access_token: string };
  return { token, claims: decodeJwt(token) };
}

async function call(api: RunningService, path: string, token?: string) {
  const response = await fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as unknown };
}

async function publish(event: DomainEvent): Promise<void> {
  const envelope = createEnvelope(event, { source: 'demo-api.int-spec', id: randomUUID() });
  await producer.send({ topic: `${e2e.prefix}${Topics.revocations}`, acks: -1, messages: [{ key: envelope.subject, value: serializeEnvelope(envelope), headers: { 'content-type': 'application/cloudevents+json', ce_type: envelope.type, ce_id: envelope.id } }] });
}

/** Calls until the answer is not 200 any more; answers it and how long it took after the publish was acknowledged. */
async function untilRefused(api: RunningService, token: string, since: number) {
  for (;;) {
    const answer = await call(api, '/api/me', token);
    if (answer.status !== 200) return { answer, ms: Math.round(performance.now() - since) };
    if (performance.now() - since > 15_000) throw new Error('the revocation did not reach demo-api within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeAll(async () => {
  await createRunDatabase(e2e);
  env = serviceEnv(e2e, { ISSUER, LOG_LEVEL: 'warn', SESSION_KEYS: randomBytes(32).toString('base64url') });
  // The token service creates the topics (oauth.revocations among them) and publishes its key first.
  services.token = await startServiceProcess('token', env);
  services.introspection = await startServiceProcess('introspection', env);
  services['demo-api'] = await startServiceProcess('demo-api', demoApiEnv());
  producer = new Kafka({ brokers: kafkaBrokers(), clientId: 'demo-api-e2e', logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await Promise.all([...extraApis, ...Object.values(services)].map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

function demoApiEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...env, RESOURCE_JWKS_URL: `${services.token!.url}/jwks`, INTROSPECTION_URL: `${services.introspection!.url}/verify`, ...extra };
}

describe('demo-api behind the resource-server guard, on the real services', () => {
  it('is ready once its revocation feed has caught up, and answers RFC 6750 errors', async () => {
    const ready = await fetch(`${services['demo-api']!.url}/healthz/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', checks: { revocations: 'up' } } });
    const api = services['demo-api']!;
    expect(await call(api, '/api/me')).toEqual({ status: 401, challenge: 'Bearer realm="demo-api"', body: { error: 'unauthorized', error_description: 'a bearer access token is required' } });
    expect(await call(api, '/api/me', 'not-a-token')).toEqual({ status: 401, challenge: 'Bearer realm="demo-api", error="invalid_token"', body: { error: 'invalid_token', error_description: 'the token is not a signed JWT' } });
    const write = await accessToken('api:write');
    expect(await call(api, '/api/hello', write.token)).toEqual({
      status: 403,
      challenge: 'Bearer realm="demo-api", error="insufficient_scope", scope="api:read"',
      body: { error: 'insufficient_scope', error_description: 'the token lacks the scope: api:read' },
    });
    expect(await call(api, '/api/me', write.token)).toEqual({ status: 200, challenge: null, body: { sub: 'demo-service', client_id: 'demo-service', scope: 'api:write', expires_at: write.claims.exp } });
  });

  it('refuses a token once its grant is revoked, in the running demo-api and in one started afterwards', async () => {
    const api = services['demo-api']!;
    const { token, claims } = await accessToken('api:read');
    expect(claims.grant_id).toEqual(expect.any(String));
    expect(await call(api, '/api/hello', token)).toEqual({ status: 200, challenge: null, body: { message: 'hello', sub: 'demo-service', client_id: 'demo-service', scope: 'api:read' } });

    const grantId = claims.grant_id as string;
    await publish({
      type: 'oauth.grant.revoked.v1',
      subject: grantId,
      data: { grantId, clientId: 'demo-service', subject: 'demo-service', reason: 'client_request', revokedAt: Math.floor(Date.now() / 1000), coversUntil: claims.exp! },
    });
    const { answer, ms } = await untilRefused(api, token, performance.now());
    console.log(`grant revocation refused by the running demo-api ${ms} ms after Kafka acknowledged the event`);
    expect(answer).toEqual(REVOKED);
    expect(await call(api, '/api/hello', token)).toEqual(REVOKED);

    // A token of another grant is untouched; one revoked alone (by jti) is refused too.
    const other = await accessToken('api:read');
    expect((await call(api, '/api/hello', other.token)).status).toBe(200);
    const single = await accessToken('api:read');
    await publish({
      type: 'oauth.access_token.revoked.v1',
      subject: single.claims.grant_id as string,
      data: { jti: single.claims.jti!, grantId: single.claims.grant_id as string, clientId: 'demo-service', sub: 'demo-service', reason: 'client_request', revokedAt: Math.floor(Date.now() / 1000), expiresAt: single.claims.exp! },
    });
    const refusedSingle = await untilRefused(api, single.token, performance.now());
    console.log(`access-token revocation refused by the running demo-api ${refusedSingle.ms} ms after Kafka acknowledged the event`);
    expect(refusedSingle.answer).toEqual(REVOKED);
    expect((await call(api, '/api/hello', other.token)).status).toBe(200);

    const later = await startServiceProcess('demo-api', demoApiEnv());
    extraApis.push(later);
    expect(await call(later, '/api/hello', token)).toEqual(REVOKED);
    expect(await call(later, '/api/hello', single.token)).toEqual(REVOKED);
    expect((await call(later, '/api/hello', other.token)).status).toBe(200);
  });

  it('verifies through RFC 7662 introspection with its client credentials when told to (no Kafka)', async () => {
    const api = await startServiceProcess(
      'demo-api',
      demoApiEnv({
        RESOURCE_REVOCATION: 'introspection',
        INTROSPECTION_URL: `${services.introspection!.url}/introspect`,
        RESOURCE_INTROSPECTION_CLIENT_ID: 'demo-api',
        RESOURCE_INTROSPECTION_CLIENT_SECRET: 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU',
      }),
    );
    extraApis.push(api);
    const ready = await fetch(`${api.url}/healthz/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', checks: { revocations: 'up' } } });
    const { token } = await accessToken('api:read');
    expect(await call(api, '/api/hello', token)).toEqual({ status: 200, challenge: null, body: { message: 'hello', sub: 'demo-service', client_id: 'demo-service', scope: 'api:read' } });
    // Wrong credentials: introspection answers 401, the guard fails closed.
    const wrong = await startServiceProcess('demo-api', demoApiEnv({ RESOURCE_REVOCATION: 'introspection', INTROSPECTION_URL: `${services.introspection!.url}/introspect`, RESOURCE_INTROSPECTION_CLIENT_ID: 'demo-api', RESOURCE_INTROSPECTION_CLIENT_SECRET: 'wrong' }));
    extraApis.push(wrong);
    expect(await call(wrong, '/api/hello', token)).toEqual({ status: 503, challenge: null, body: { error: 'temporarily_unavailable', error_description: 'the token revocation status cannot be checked, retry later' } });
  });
});
