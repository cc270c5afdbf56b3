/**
 * Fault tolerance, scenario 4: Redis down. A redis-server of the test's own (no persistence), killed
 * with SIGKILL and started again empty; the shared Kafka, PostgreSQL and slapd. Everything whose
 * single-use or brute-force check lives in Redis fails closed with the exact 503: a code cannot be
 * redeemed, a password grant cannot run without its counters, /authorize cannot keep an interaction.
 * What never needed Redis keeps working (client_credentials; refresh rotation, whose single-use check
 * is the PostgreSQL row lock). Readiness is 503 meanwhile; once Redis is back every service serves
 * again by itself. Then the identity service stopped and started again: the password grant is a 503
 * meanwhile, and the token service calls the new process by itself.
 */
import { randomBytes } from 'node:crypto';
import { DEMO_SERVICE, LEGACY_APP, WEB_APP, basic } from '../grants-protocol';
import { cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from '../environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from '../service-process';
import { RedisInstance } from './redis-instance';
import { type Answer, errorLines, outage, postForm, readiness, seedCode, tokenEvents, UNAVAILABLE, WEB_REDIRECT } from './fault-harness';

const INTERNAL_TOKEN = randomBytes(32).toString('base64url');
const e2e = e2eRun('faults-redis');
const services: RunningService[] = [];
let redis: RedisInstance;
let identityEnv: Record<string, string>;

beforeAll(async () => {
  redis = await RedisInstance.create();
  await Promise.all([redis.up(), createRunDatabase(e2e)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await redis?.kill();
  await cleanupRun(e2e, { redisKeys: false });
}, 60_000);

const IDENTITY_DOWN = { status: 503, retryAfter: '1', cacheControl: 'no-store', body: { error: 'temporarily_unavailable', error_description: 'the identity service is unavailable, retry later' } };

/** Sends `request` again (every 200 ms, 10 s at most) until it answers `status`; the last answer. */
async function eventuallyAnswer(request: () => Promise<Answer>, status: number): Promise<Answer> {
  let answer = await request();
  for (let turn = 0; turn < 50 && answer.status !== status; turn += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer = await request();
  }
  return answer;
}

async function authorize(service: RunningService) {
  const query = new URLSearchParams({ response_type: 'code', client_id: WEB_APP.id, redirect_uri: WEB_REDIRECT, scope: 'openid', state: 's1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
  const at = performance.now();
  const response = await fetch(`${service.url}/authorize?${query}`, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), retryAfter: response.headers.get('retry-after'), ms: performance.now() - at };
}

describe('Redis down', () => {
  it('fails closed where Redis holds the check (503), serves what never needed it, and recovers by itself', async () => {
    const env = serviceEnv(e2e, { ISSUER: 'https://issuer.faults-redis.e2e.test', LOG_LEVEL: 'warn', REDIS_URL: redis.url, IDENTITY_INTERNAL_TOKEN: INTERNAL_TOKEN, LDAP_BASE_DN: 'ou=people,dc=example,dc=org' });
    identityEnv = env;
    const identity = await startServiceProcess('identity', env);
    services.push(identity);
    const token = await startServiceProcess('token', { ...env, IDENTITY_URL: identity.url });
    services.push(token);
    const authorizeService = await startServiceProcess('authorize', { ...env, IDENTITY_URL: identity.url });
    services.push(authorizeService);
    const tokenAt = (form: Record<string, string>, client: { id: string; secret: string }) => postForm(`${token.url}/token`, form, basic(client));

    const code = await seedCode(redis.url, e2e.redisPrefix);
    const password = await tokenAt({ grant_type: 'password', username: 'carol', password: 'carol-password' }, LEGACY_APP);
    expect(password.status).toBe(200);
    expect((await authorize(authorizeService)).status).toBe(302);

    await redis.kill();
    const downAt = performance.now();
    const redeemed = await tokenAt(code.form, WEB_APP);
    const passwordDown = await tokenAt({ grant_type: 'password', username: 'carol', password: 'carol-password' }, LEGACY_APP);
    const authorizeDown = await authorize(authorizeService);
    const refreshed = await tokenAt({ grant_type: 'refresh_token', refresh_token: password.body.refresh_token as string }, LEGACY_APP);
    const clientCredentials = await tokenAt({ grant_type: 'client_credentials' }, DEMO_SERVICE);
    const ready = await Promise.all([token, authorizeService, identity].map((service) => readiness(service.url)));
    process.stderr.write(
      `[faults] Redis down: code ${redeemed.status} in ${redeemed.ms.toFixed(0)} ms, password ${passwordDown.status} in ${passwordDown.ms.toFixed(0)} ms, ` +
        `authorize ${authorizeDown.status} in ${authorizeDown.ms.toFixed(0)} ms, refresh ${refreshed.status}, client_credentials ${clientCredentials.status}\n`,
    );
    expect(outage(redeemed)).toEqual(UNAVAILABLE);
    expect(outage(passwordDown)).toEqual(IDENTITY_DOWN);
    // RFC 6749 §4.1.2.1: the client and its redirect URI are known, so the error goes back to the client.
    expect({ status: authorizeDown.status, location: authorizeDown.location }).toEqual({
      status: 302,
      location: `${WEB_REDIRECT}?error=temporarily_unavailable&error_description=the+service+is+temporarily+unavailable%2C+retry+later&state=s1&iss=https%3A%2F%2Fissuer.faults-redis.e2e.test`,
    });
    expect(refreshed.status).toBe(200);
    expect(clientCredentials.status).toBe(200);
    expect(ready).toEqual([
      { status: 503, checks: expect.objectContaining({ redis: 'down' }) },
      { status: 503, checks: expect.objectContaining({ redis: 'down' }) },
      { status: 503, checks: expect.objectContaining({ redis: 'down' }) },
    ]);
    for (const answer of [redeemed, passwordDown]) expect(answer.ms).toBeLessThan(5_000);
    expect(authorizeDown.ms).toBeLessThan(5_000);
    // Still closed, and still fast, while the clients keep reconnecting in the background.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const later = await Promise.all([tokenAt(code.form, WEB_APP), tokenAt({ grant_type: 'password', username: 'carol', password: 'wrong' }, LEGACY_APP)]);
    expect(later.map(outage)).toEqual([UNAVAILABLE, IDENTITY_DOWN]);
    for (const answer of later) expect(answer.ms).toBeLessThan(5_000);

    await redis.up();
    const upAt = performance.now();
    for (const service of [token, authorizeService, identity]) {
      for (let turn = 0; turn < 150 && (await readiness(service.url)).status !== 200; turn += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const recoveryMs = performance.now() - upAt;
    process.stderr.write(`[faults] Redis back: every service ready ${recoveryMs.toFixed(0)} ms after redis-server answered (down ${(upAt - downAt).toFixed(0)} ms)\n`);
    expect(recoveryMs).toBeLessThan(15_000);
    // The code went with Redis's memory (no persistence here): unknown now, never redeemable twice.
    expect(outage(await tokenAt(code.form, WEB_APP))).toEqual({ status: 400, retryAfter: null, cacheControl: 'no-store', body: { error: 'invalid_grant', error_description: 'the authorization code is invalid, expired or already used' } });
    expect((await tokenAt((await seedCode(redis.url, e2e.redisPrefix)).form, WEB_APP)).status).toBe(200);
    expect((await tokenAt({ grant_type: 'password', username: 'carol', password: 'carol-password' }, LEGACY_APP)).status).toBe(200);
    expect((await authorize(authorizeService)).location).toMatch(/^\/authorize\/login\?interaction=[\w-]{43}$/);
    // Nothing was issued for the code during the outage: its grant has no event.
    const events = await tokenEvents(kafkaBrokers(), e2e.prefix);
    expect(events.filter((event) => event.subject === code.grantId)).toEqual([]);
    for (const service of services) expect(errorLines(service)).toEqual([]);
  }, 240_000);

  it('a Redis that hangs (SIGSTOP) is the same: 503 within the command timeout, served again once it answers', async () => {
    const [, token] = services as [RunningService, RunningService, RunningService];
    const code = await seedCode(redis.url, e2e.redisPrefix);
    redis.freeze(true);
    let answers: Answer[];
    try {
      answers = await Promise.all([
        postForm(`${token.url}/token`, code.form, basic(WEB_APP)),
        postForm(`${token.url}/token`, { grant_type: 'password', username: 'carol', password: 'carol-password' }, basic(LEGACY_APP)),
      ]);
    } finally {
      redis.freeze(false);
    }
    process.stderr.write(`[faults] Redis hung: code 503 in ${answers[0]!.ms.toFixed(0)} ms, password 503 in ${answers[1]!.ms.toFixed(0)} ms\n`);
    expect(answers.map(outage)).toEqual([UNAVAILABLE, IDENTITY_DOWN]);
    // The command timeout (1 s), per Redis command on the way, plus a margin for a loaded machine.
    for (const answer of answers) expect(answer.ms).toBeLessThan(5_000);
    // The code was put back (the spend failed on the outage, or never happened): the retry is served.
    const retried = await eventuallyAnswer(() => postForm(`${token.url}/token`, code.form, basic(WEB_APP)), 200);
    expect(retried.status).toBe(200);
  }, 240_000);

  it('the identity service down: the password grant answers 503 at once, other grants go on; served again once it is back on its address', async () => {
    const [identity, token] = services as [RunningService, RunningService, RunningService];
    const password = () => postForm(`${token.url}/token`, { grant_type: 'password', username: 'carol', password: 'carol-password' }, basic(LEGACY_APP));
    await stopServiceProcess(identity);
    const down = await password();
    const clientCredentials = await postForm(`${token.url}/token`, { grant_type: 'client_credentials' }, basic(DEMO_SERVICE));
    process.stderr.write(`[faults] identity down: password 503 in ${down.ms.toFixed(0)} ms, client_credentials ${clientCredentials.status}\n`);
    expect(outage(down)).toEqual(IDENTITY_DOWN);
    expect(down.ms).toBeLessThan(5_000);
    expect(clientCredentials.status).toBe(200);
    const port = new URL(identity.url).port;
    services[0] = await startServiceProcess('identity', { ...identityEnv, PORT: port });
    expect((await password()).status).toBe(200);
  }, 240_000);
});
