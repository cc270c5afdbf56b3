/**
 * Revocation across the distributed services on real Kafka, PostgreSQL and Redis: a token service, the
 * revocation service (RFC 7009 /revoke and the projector), two introspection replicas and demo-api (the
 * resource-server guard following oauth.revocations). A revocation
 * made at the revocation service reaches the *other* processes through oauth.revocations: the refresh
 * family is refused by the token service at once, the access tokens are inactive at both introspection
 * replicas and refused by demo-api within milliseconds, and an introspection replica started afterwards (projection snapshot +
 * tail from its position) knows every revocation still in force, including those made while it was down.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { basic, DEMO_SERVICE, formBody, WEB_APP } from './grants-protocol';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, serviceEnv } from './environment';
import { seedCode } from './seed-code';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'https://issuer.revocation.e2e.test';
const DEMO_API = { id: 'demo-api', secret: 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU' };
const e2e = e2eRun('e2e-revocation');
const services: RunningService[] = [];
let env: Record<string, string>;
let token: RunningService;
let revocation: RunningService;
let introspectionA: RunningService;
let introspectionB: RunningService;
let demoApi: RunningService;

beforeAll(async () => {
  await createRunDatabase(e2e);
  env = serviceEnv(e2e, { ISSUER, LOG_LEVEL: 'warn' });
  // The token service first: it creates the topics, migrates and publishes the signing key.
  token = await startServiceProcess('token', env);
  services.push(token);
  [revocation, introspectionA, introspectionB] = await Promise.all([startServiceProcess('revocation', env), startServiceProcess('introspection', env), startServiceProcess('introspection', env)]);
  services.push(revocation, introspectionA, introspectionB);
  demoApi = await startServiceProcess('demo-api', { ...env, RESOURCE_JWKS_URL: `${token.url}/jwks`, INTROSPECTION_URL: `${introspectionA.url}/verify` });
  services.push(demoApi);
}, 180_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

async function post(service: RunningService, path: string, form: Record<string, string>, authorization?: string) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: formBody(form),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? '' : (JSON.parse(text) as Record<string, unknown>) };
}

const introspect = async (replica: RunningService, value: string) => (await post(replica, '/introspect', { token: value }, basic(DEMO_API))).body;
const revoke = (form: Record<string, string>, authorization: string) => post(revocation, '/revoke', form, authorization);

/** An authorization code for alice at web-app, put where the authorize service would, exchanged at /token. */
async function webAppTokens(): Promise<{ accessToken: string; refreshToken: string; grantId: string }> {
  const { form, grantId } = await seedCode(process.env.REDIS_URL!, e2e.redisPrefix);
  const answer = await post(token, '/token', form, basic(WEB_APP));
  expect(answer.status).toBe(200);
  const body = answer.body as { access_token: string; refresh_token: string };
  return { accessToken: body.access_token, refreshToken: body.refresh_token, grantId };
}

async function serviceToken(): Promise<string> {
  const answer = await post(token, '/token', { grant_type: 'client_credentials' }, basic(DEMO_SERVICE));
  expect(answer.status).toBe(200);
  return (answer.body as { access_token: string }).access_token;
}

/** demo-api's answer to GET /api/hello with the token. */
async function callDemoApi(value: string) {
  const response = await fetch(`${demoApi.url}/api/hello`, { headers: { authorization: `Bearer ${value}` } });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
}

/** Calls demo-api until it refuses the token; fails after `timeoutMs`. */
async function refusedByDemoApiWithin(value: string, since: number, timeoutMs = 5_000) {
  for (;;) {
    const answer = await callDemoApi(value);
    if (answer.status !== 200) return answer;
    if (performance.now() - since > timeoutMs) throw new Error(`demo-api still accepts the token after ${timeoutMs} ms`);
  }
}

const DEMO_API_REVOKED = {
  status: 401,
  challenge: 'Bearer realm="demo-api", error="invalid_token"',
  body: { error: 'invalid_token', error_description: 'the token has been revoked' },
};

/** Polls a replica until the token is inactive; returns how long it took (ms), or fails after `timeoutMs`. */
async function inactiveWithin(replica: RunningService, value: string, since: number, timeoutMs = 5_000): Promise<number> {
  for (;;) {
    const answer = await introspect(replica, value);
    if ((answer as { active?: boolean }).active === false) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`still active at ${replica.url} after ${timeoutMs} ms: ${JSON.stringify(answer)}`);
  }
}

const REFRESH_REFUSED = { status: 400, body: { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' } };
const REVOKED = { status: 200, body: '' };

describe('revocation reaches every replica (Kafka, PostgreSQL, Redis)', () => {
  it('a refresh token revoked at the revocation service: the token service refuses the family at once, both introspection replicas answer inactive', async () => {
    const { accessToken, refreshToken, grantId } = await webAppTokens();
    const rotated = await post(token, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP));
    expect(rotated.status).toBe(200);
    const { access_token: secondAccess, refresh_token: child } = rotated.body as { access_token: string; refresh_token: string };
    for (const replica of [introspectionA, introspectionB]) {
      expect(await introspect(replica, accessToken)).toMatchObject({ active: true, client_id: 'web-app', sub: 'alice' });
      expect(await introspect(replica, secondAccess)).toMatchObject({ active: true });
    }
    expect(await callDemoApi(secondAccess)).toEqual({ status: 200, challenge: null, body: { message: 'hello', sub: 'alice', client_id: 'web-app', scope: 'openid api:read' } });

    const started = performance.now();
    expect(await revoke({ token: child, token_type_hint: 'refresh_token' }, basic(WEB_APP))).toStrictEqual(REVOKED);

    // The token service reads the family row the revocation service wrote before it answered.
    expect(await post(token, '/token', { grant_type: 'refresh_token', refresh_token: child }, basic(WEB_APP))).toStrictEqual(REFRESH_REFUSED);
    await inactiveWithin(introspectionB, accessToken, started);
    await inactiveWithin(introspectionB, secondAccess, started);
    await inactiveWithin(introspectionA, accessToken, started);
    expect(await refusedByDemoApiWithin(secondAccess, started)).toEqual(DEMO_API_REVOKED);
    expect(await callDemoApi(accessToken)).toEqual(DEMO_API_REVOKED);
    expect(decodeJwt(accessToken).grant_id).toBe(grantId);
  });

  it('an access token revoked by jti is inactive at the other replica; the rest of its grant lives on', async () => {
    const { accessToken, refreshToken } = await webAppTokens();
    const started = performance.now();
    expect(await revoke({ token: accessToken }, basic(WEB_APP))).toStrictEqual(REVOKED);
    await inactiveWithin(introspectionB, accessToken, started);

    const refreshed = await post(token, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP));
    expect(refreshed.status).toBe(200);
    expect(await introspect(introspectionB, (refreshed.body as { access_token: string }).access_token)).toMatchObject({ active: true });
  });

  it('another client\'s token and an unknown token: 200, and nothing changes anywhere', async () => {
    const { accessToken, refreshToken } = await webAppTokens();
    expect(await revoke({ token: refreshToken }, basic(DEMO_SERVICE))).toStrictEqual(REVOKED);
    expect(await revoke({ token: accessToken }, basic(DEMO_SERVICE))).toStrictEqual(REVOKED);
    expect(await revoke({ token: randomBytes(32).toString('base64url') }, basic(DEMO_SERVICE))).toStrictEqual(REVOKED);
    expect(await introspect(introspectionB, accessToken)).toMatchObject({ active: true });
    expect((await post(token, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP))).status).toBe(200);
  });

  it('50 revocations in a row, each inactive at the other replica (the propagation figures are measured by npm run bench)', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, () => serviceToken()));
    for (const value of tokens) {
      const started = performance.now();
      expect(await revoke({ token: value }, basic(DEMO_SERVICE))).toStrictEqual(REVOKED);
      await inactiveWithin(introspectionB, value, started);
    }
  });

  it('an introspection replica started later knows every revocation in force: from the projection, and those made while it was down from the topic', async () => {
    const before = await webAppTokens();
    expect(await revoke({ token: before.refreshToken }, basic(WEB_APP))).toStrictEqual(REVOKED);
    const revokedJti = await serviceToken();
    expect(await revoke({ token: revokedJti }, basic(DEMO_SERVICE))).toStrictEqual(REVOKED);
    // The projector has the revocations (the replica below starts from its snapshot).
    const grantRow = async () => adminQuery<{ n: string }>('SELECT count(*)::text AS n FROM revocations WHERE grant_id = $1', [before.grantId], e2e.databaseUrl);
    for (let turn = 0; turn < 100 && (await grantRow())[0]!.n === '0'; turn += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await grantRow())[0]!.n).toBe('1');

    await stopServiceProcess(introspectionB);
    // Revoked while no second replica runs: only the topic has it when the next one starts (the projector may be behind).
    const whileDown = await webAppTokens();
    expect(await revoke({ token: whileDown.accessToken }, basic(WEB_APP))).toStrictEqual(REVOKED);
    const untouched = await webAppTokens();

    const restarted = await startServiceProcess('introspection', env);
    services.push(restarted);
    expect(await introspect(restarted, before.accessToken)).toStrictEqual({ active: false });
    expect(await introspect(restarted, revokedJti)).toStrictEqual({ active: false });
    expect(await introspect(restarted, whileDown.accessToken)).toStrictEqual({ active: false });
    expect(await introspect(restarted, untouched.accessToken)).toMatchObject({ active: true, client_id: 'web-app' });
    // It started without an error (levels are words in our logs: "level":"error", never pino's numbers).
    expect(restarted.output()).not.toContain('"level":"error"');
    expect(restarted.output()).not.toContain('"level":"fatal"');
  });
});
