/**
 * The walking skeleton over the real services: five processes (authorize, token, introspection,
 * identity, revocation with the projector) against Kafka, PostgreSQL, Redis and slapd. One
 * client_credentials token is followed through the token endpoint, the Kafka topic, the projection
 * row and introspection; then a rebuild of the projection from offset 0 must equal the live rows.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { createKafka, KafkaEventSubscriber, PgDatabase, PrefixedEventSubscriber } from '@authz/adapters';
import { sha256Hash } from '@authz/oauth';
import { silentLogger } from '@authz/ports';
import { accessTokensProjection, rebuildProjection } from '@authz/projections';
import { cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';
import { withTamperedSignature } from '../jws';

const ISSUER = 'https://issuer.e2e.test';
const DEMO_SERVICE = { id: 'demo-service', secret: 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU' };
const DEMO_API = { id: 'demo-api', secret: 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU' };
const basic = (client: { id: string; secret: string }) => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

const e2e = e2eRun('e2e');
const { run, prefix, databaseUrl } = e2e;

let services: Record<string, RunningService> = {};

async function postToken(body: string, headers: Record<string, string> = {}) {
  return fetch(`${services.token!.url}/token`, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body });
}

beforeAll(async () => {
  await createRunDatabase(e2e);
  const env = serviceEnv(e2e, {
    ISSUER,
    SESSION_KEYS: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
    LDAP_BASE_DN: 'ou=people,dc=example,dc=org',
  });
  // The token service first: it creates the topics, migrates and publishes its key; then the rest at once.
  services.token = await startServiceProcess('token', env);
  const rest = await Promise.all(['introspection', 'revocation', 'identity', 'authorize'].map((name) => startServiceProcess(name, env)));
  for (const service of rest) services[service.name] = service;
  services['demo-api'] = await startServiceProcess('demo-api', { ...env, INTROSPECTION_URL: `${services.introspection!.url}/verify`, RESOURCE_JWKS_URL: `${services.token!.url}/jwks` });
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map(stopServiceProcess));
  services = {};
  await cleanupRun(e2e);
}, 60_000);

describe('walking skeleton over Kafka, PostgreSQL, Redis and slapd', () => {
  it('every service reports its dependencies ready', async () => {
    const expected: Record<string, Record<string, string>> = {
      token: { kafka: 'up', postgres: 'up', redis: 'up' },
      introspection: { kafka: 'up', postgres: 'up' },
      revocation: { kafka: 'up', postgres: 'up', redis: 'up' },
      identity: { kafka: 'up', redis: 'up', ldap: 'up' },
      authorize: { kafka: 'up', postgres: 'up', redis: 'up' },
    };
    for (const [name, checks] of Object.entries(expected)) {
      const response = await fetch(`${services[name]!.url}/healthz/ready`);
      expect({ name, status: response.status, body: await response.json() }).toEqual({ name, status: 200, body: { status: 'ready', checks } });
    }
  });

  it('serves the RFC 8414 metadata and the JWK Set', async () => {
    const metadata = await (await fetch(`${services.token!.url}/.well-known/oauth-authorization-server`)).json();
    expect(metadata).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      introspection_endpoint: `${ISSUER}/introspect`,
      response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: `${ISSUER}/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['S256', 'plain'],
      authorization_response_iss_parameter_supported: true,
    });
    const jwks = await fetch(`${services.token!.url}/jwks`);
    expect(jwks.headers.get('content-type')).toBe('application/jwk-set+json; charset=utf-8');
    const { keys } = (await jwks.json()) as { keys: Record<string, string>[] };
    expect(keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' }]);
  });

  it('issues a client_credentials token whose event, projection row and introspection all agree', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await postToken(form({ grant_type: 'client_credentials', scope: 'api:read api:write' }), { authorization: basic(DEMO_SERVICE) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    const body = (await response.json()) as { access_token: string };
    // RFC 6749 §5.1: no scope in the answer, it is the one requested.
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600 });

    // RFC 9068 §2.1 header and §2.2 claims.
    const { keys } = (await (await fetch(`${services.token!.url}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(decodeProtectedHeader(body.access_token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys[0]!.kid });
    const claims = decodeJwt(body.access_token);
    expect(claims).toEqual({
      iss: ISSUER,
      exp: claims.iat! + 600,
      aud: 'https://api.example.org',
      sub: 'demo-service',
      client_id: 'demo-service',
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      scope: 'api:read api:write',
      grant_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);

    // The event, acknowledged by Kafka before the response: read it back from the topic.
    const event = await findEvent(`${prefix}oauth.tokens`, (value) => value.data?.jti === claims.jti);
    expect(event.key).toBe(event.value.subject);
    expect(claims.grant_id).toBe(event.value.subject);
    expect(event.value).toEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'urn:authz:token',
      type: 'oauth.access_token.issued.v1',
      time: expect.any(String),
      subject: expect.any(String),
      datacontenttype: 'application/json',
      correlationid: expect.any(String),
      data: {
        jti: claims.jti,
        grantId: event.value.subject,
        grantType: 'client_credentials',
        clientId: 'demo-service',
        sub: 'demo-service',
        scope: 'api:read api:write',
        audience: ['https://api.example.org'],
        issuedAt: claims.iat,
        expiresAt: claims.exp,
        tokenHash: sha256Hash(body.access_token),
      },
    });
    expect(JSON.stringify(event.value)).not.toContain(body.access_token);

    // The projection row written by the revocation service's projector.
    const row = await waitForRow(claims.jti!);
    expect(row).toEqual({
      jti: claims.jti,
      grant_id: event.value.subject,
      grant_type: 'client_credentials',
      client_id: 'demo-service',
      subject: 'demo-service',
      scope: 'api:read api:write',
      audience: ['https://api.example.org'],
      token_hash: sha256Hash(body.access_token),
      issued_at: new Date(claims.iat! * 1000),
      expires_at: new Date(claims.exp! * 1000),
      event_id: event.value.id,
    });

    // RFC 7662 introspection by a registered resource server, and the internal /verify.
    const expectedActive = {
      active: true,
      scope: 'api:read api:write',
      client_id: 'demo-service',
      sub: 'demo-service',
      aud: 'https://api.example.org',
      iss: ISSUER,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    };
    const introspection = await fetch(`${services.introspection!.url}/introspect`, {
      method: 'POST',
      headers: { 'content-type': FORM, authorization: basic(DEMO_API) },
      body: form({ token: body.access_token, token_type_hint: 'access_token' }),
    });
    expect(introspection.status).toBe(200);
    expect(await introspection.json()).toEqual(expectedActive);
    const verify = await fetch(`${services.introspection!.url}/verify`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ token: body.access_token }) });
    expect(await verify.json()).toEqual(expectedActive);

    // Anything else is exactly { active: false }.
    const [header, , signature] = body.access_token.split('.') as [string, string, string];
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
    for (const token of ['not-a-token', forged, withTamperedSignature(body.access_token)]) {
      const answer = await fetch(`${services.introspection!.url}/introspect`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic(DEMO_API) }, body: form({ token }) });
      expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 200, body: { active: false } });
    }
  });

  it('protects the demo resource server (RFC 6750 §3) with tokens verified by the introspection service', async () => {
    const hello = (authorization?: string) => fetch(`${services['demo-api']!.url}/api/hello`, { headers: authorization ? { authorization } : {} });
    const token = async (scope: string) => {
      const response = await postToken(form({ grant_type: 'client_credentials', scope }), { authorization: basic(DEMO_SERVICE) });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const read = await token('api:read');
    const ok = await hello(`Bearer ${read}`);
    expect({ status: ok.status, body: await ok.json() }).toEqual({
      status: 200,
      body: { message: 'hello', sub: 'demo-service', client_id: 'demo-service', scope: 'api:read' },
    });

    const none = await hello();
    expect({ status: none.status, challenge: none.headers.get('www-authenticate') }).toEqual({ status: 401, challenge: 'Bearer realm="demo-api"' });
    const garbage = await hello('Bearer not-a-token');
    expect({ status: garbage.status, challenge: garbage.headers.get('www-authenticate') }).toEqual({
      status: 401,
      challenge: 'Bearer realm="demo-api", error="invalid_token"',
    });
    const writeOnly = await hello(`Bearer ${await token('api:write')}`);
    expect({ status: writeOnly.status, challenge: writeOnly.headers.get('www-authenticate') }).toEqual({
      status: 403,
      challenge: 'Bearer realm="demo-api", error="insufficient_scope", scope="api:read"',
    });
  });

  it('answers RFC 6749 errors with the exact codes', async () => {
    const wrongSecret = await postToken(form({ grant_type: 'client_credentials' }), { authorization: basic({ id: 'demo-service', secret: 'wrong' }) });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.headers.get('www-authenticate')).toBe('Basic realm="token", error="invalid_client"');
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });

    const unsupported = await postToken(form({ grant_type: 'urn:example:unknown' }), { authorization: basic(DEMO_SERVICE) });
    expect({ status: unsupported.status, body: await unsupported.json() }).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: "grant_type 'urn:example:unknown' is not supported" },
    });

    const introspectWithoutAuth = await fetch(`${services.introspection!.url}/introspect`, { method: 'POST', headers: { 'content-type': FORM }, body: form({ token: 'x' }) });
    // RFC 7662 §2.3: 401, with a challenge, however the caller failed to authenticate.
    expect({
      status: introspectWithoutAuth.status,
      challenge: introspectWithoutAuth.headers.get('www-authenticate'),
      body: await introspectWithoutAuth.json(),
    }).toEqual({
      status: 401,
      challenge: 'Basic realm="introspect", error="invalid_client"',
      body: { error: 'invalid_client', error_description: 'client authentication is required' },
    });
  });

  it('rebuilds the projection from offset 0 into fresh tables with the same rows as the live one', async () => {
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => postToken(form({ grant_type: 'client_credentials' }), { authorization: basic(DEMO_SERVICE) })),
    );
    const jtis = await Promise.all(responses.map(async (response) => decodeJwt(((await response.json()) as { access_token: string }).access_token).jti!));
    await waitForRow(jtis.at(-1)!);
    for (const jti of jtis) await waitForRow(jti);

    const db = new PgDatabase({ connectionString: databaseUrl, logger: silentLogger });
    const kafka = createKafka({ brokers: kafkaBrokers(), clientId: `e2e-rebuild-${run}`, logger: silentLogger });
    try {
      const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger: silentLogger }), prefix);
      const result = await rebuildProjection(accessTokensProjection, { db, subscriber, logger: silentLogger });
      const live = await db.query('SELECT * FROM public.access_tokens ORDER BY jti');
      const rebuilt = await db.query(`SELECT * FROM "${result.schema}".access_tokens ORDER BY jti`);
      expect(live.rows.length).toBeGreaterThanOrEqual(28);
      expect(rebuilt.rows).toEqual(live.rows);
      expect(result.events).toBe(live.rows.length);
    } finally {
      await db.close();
    }
  }, 60_000);
});

type KafkaRecord = { key: string; value: { id: string; subject: string; data?: { jti?: string } } & Record<string, unknown> };

async function findEvent(topic: string, match: (value: KafkaRecord['value']) => boolean, timeoutMs = 30_000): Promise<KafkaRecord> {
  const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: `e2e-reader-${run}`, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `e2e-reader-${run}-${randomBytes(3).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<KafkaRecord>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event on ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const value = JSON.parse(message.value!.toString()) as KafkaRecord['value'];
          if (match(value)) {
            clearTimeout(timer);
            resolve({ key: message.key!.toString(), value });
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

async function waitForRow(jti: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await client.query('SELECT * FROM access_tokens WHERE jti = $1', [jti]);
      if (rows[0]) return rows[0] as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no projection row for ${jti}`);
  } finally {
    await client.end();
  }
}
