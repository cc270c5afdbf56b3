/**
 * The identity service as its own process, against slapd, Redis and Kafka, called through
 * HttpCredentialVerifier (what the authorize and token services use): verdicts, the lockout, the shared
 * secret, an LDAP outage (503, nothing counted) and recovery, and the oauth.user.* events in Kafka
 * without any password. LDAP is reached through a TCP proxy this test can stop: while it is stopped,
 * nothing listens on the service's LDAP_URL (the shared slapd is never touched).
 */
import { randomBytes } from 'node:crypto';
import { HttpCredentialVerifier } from '@authz/adapters';
import { sha256Hash } from '@authz/oauth';
import { IdentityUnavailableError } from '@authz/ports';
import { cleanupRun, e2eRun, LdapProxy, readTopic } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const e2e = e2eRun('e2e-identity');
const { run, prefix, redisPrefix } = e2e;
const TOKEN = randomBytes(32).toString('base64url');
const PASSWORDS = ['alice-password', 'bob-password', 'carol-password', 'wrong-password'];

const proxy = new LdapProxy();
let identity: RunningService;
let verifier: HttpCredentialVerifier;

beforeAll(async () => {
  await proxy.start();
  identity = await startServiceProcess('identity', {
    MODE: 'distributed',
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_KEY_PREFIX: redisPrefix,
    LDAP_URL: `ldap://127.0.0.1:${proxy.port}`,
    LDAP_BASE_DN: 'ou=people,dc=example,dc=org',
    LDAP_CONNECT_TIMEOUT_MS: '1000',
    LDAP_TIMEOUT_MS: '2000',
    IDENTITY_INTERNAL_TOKEN: TOKEN,
    LOGIN_USERNAME_DELAY_AFTER: '2',
    LOGIN_USERNAME_LOCKOUT_AFTER: '3',
    LOGIN_DELAY_MAX: '1',
    LOGIN_LOCKOUT_DURATION: '60',
    LOG_LEVEL: 'debug',
  });
  verifier = new HttpCredentialVerifier({ baseUrl: identity.url, timeoutMs: 5000, internalToken: TOKEN });
}, 120_000);

afterAll(async () => {
  if (identity) await stopServiceProcess(identity);
  await proxy.stop();
  await cleanupRun(e2e, { database: false });
}, 60_000);

function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${identity.url}/internal/v1/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe('identity service process, called through HttpCredentialVerifier', () => {
  it('authenticates alice with her profile from slapd (memberOf groups, full DNs)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const verdict = await verifier.verify({ username: 'alice', password: 'alice-password', clientId: 'web-app', clientIp: '198.51.100.30' }, { correlationId: `e2e-${run}-alice` });
    if (verdict.outcome === 'authenticated') verdict.user.groups.sort();
    expect(verdict).toEqual({
      outcome: 'authenticated',
      user: {
        subject: 'alice',
        dn: 'uid=alice,ou=people,dc=example,dc=org',
        username: 'alice',
        name: 'Alice Anderson',
        email: 'alice@example.org',
        groups: ['cn=admins,ou=groups,dc=example,dc=org', 'cn=developers,ou=groups,dc=example,dc=org'],
      },
      authTime: expect.any(Number),
    });
    expect((verdict as { authTime: number }).authTime).toBeGreaterThanOrEqual(before);
  });

  it('answers invalid_credentials alike for a wrong password and an unknown user, then delays and locks bob', async () => {
    const check = (username: string, password: string) => verifier.verify({ username, password, clientId: 'web-app', clientIp: '198.51.100.31' });
    expect(await check('mallory', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await check('bob', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await check('bob', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await check('bob', 'bob-password')).toEqual({ outcome: 'locked', retryAfter: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await check('bob', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    const locked = await check('bob', 'bob-password');
    expect(locked).toEqual({ outcome: 'locked', retryAfter: expect.any(Number) });
    expect((locked as { retryAfter: number }).retryAfter).toBeGreaterThan(55);
    expect((locked as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(60);
  });

  it('refuses a caller without the shared secret: 401 on the wire, IdentityUnavailableError in the adapter', async () => {
    const response = await post({ username: 'carol', password: 'carol-password', client_id: 'web-app' }, { authorization: 'Bearer not-the-token' });
    expect({ status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() }).toEqual({
      status: 401,
      challenge: 'Bearer realm="identity", error="invalid_token"',
      body: { error: 'invalid_token', error_description: 'a valid internal token is required' },
    });
    const stranger = new HttpCredentialVerifier({ baseUrl: identity.url, timeoutMs: 5000, internalToken: 'not-the-token' });
    await expect(stranger.verify({ username: 'carol', password: 'carol-password', clientId: 'web-app' })).rejects.toBeInstanceOf(IdentityUnavailableError);
  });

  it('answers 400 for a malformed body', async () => {
    const response = await post({ username: 'carol', password: 'carol-password' });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'client_id is missing or invalid' } });
  });

  it('answers 503 temporarily_unavailable while nothing listens on LDAP_URL, counts nothing, and recovers', async () => {
    await proxy.stop();
    try {
      for (let i = 0; i < 4; i += 1) {
        const response = await post({ username: 'carol', password: 'wrong-password', client_id: 'web-app' });
        expect({ status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() }).toEqual({
          status: 503,
          retryAfter: '1',
          body: { error: 'temporarily_unavailable', error_description: 'the identity service is temporarily unavailable, retry later' },
        });
      }
      await expect(verifier.verify({ username: 'carol', password: 'carol-password', clientId: 'web-app' })).rejects.toBeInstanceOf(IdentityUnavailableError);
      const ready = await fetch(`${identity.url}/healthz/ready`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { status: 'unavailable', checks: { kafka: 'up', redis: 'up', ldap: 'down' } } });
    } finally {
      await proxy.start();
    }
    // Five failed calls during the outage, none counted: carol is not delayed (LOGIN_USERNAME_DELAY_AFTER=2).
    expect(await verifier.verify({ username: 'carol', password: 'wrong-password', clientId: 'web-app' })).toEqual({ outcome: 'invalid_credentials' });
    expect(await verifier.verify({ username: 'carol', password: 'carol-password', clientId: 'web-app' })).toMatchObject({ outcome: 'authenticated', user: { subject: 'carol' } });
  });

  it('recorded every attempt in Kafka as oauth.user.* events keyed by the username hash, never a password, and logged none', async () => {
    const events = await readEvents(`${prefix}oauth.identity`, 14);
    const summary = (username: string) =>
      events
        .filter((event) => event.key === sha256Hash(username))
        .map(({ value }) => ({ type: value.type, subject: value.subject, reason: value.data.reason, lockedBy: value.data.lockedBy, usernameFailures: value.data.usernameFailures }));
    const aliceHash = sha256Hash('alice');
    expect(events.find((event) => event.key === aliceHash)!.value).toEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'urn:authz:identity',
      type: 'oauth.user.authenticated.v1',
      time: expect.any(String),
      subject: aliceHash,
      datacontenttype: 'application/json',
      correlationid: `e2e-${run}-alice`,
      data: { usernameHash: aliceHash, subject: 'alice', clientId: 'web-app', clientIpHash: sha256Hash('198.51.100.30'), authTime: expect.any(Number) },
    });
    const bobHash = sha256Hash('bob');
    const failed = (reason: string, extra: object = {}) => ({ type: 'oauth.user.authentication_failed.v1', subject: bobHash, reason, lockedBy: undefined, usernameFailures: undefined, ...extra });
    expect(summary('bob')).toEqual([
      failed('invalid_credentials', { usernameFailures: 1 }),
      failed('invalid_credentials', { usernameFailures: 2 }),
      failed('locked', { lockedBy: 'username' }),
      failed('invalid_credentials', { usernameFailures: 3 }),
      failed('locked', { lockedBy: 'username' }),
    ]);
    expect(summary('carol').map(({ type, reason }) => reason ?? type)).toEqual([
      ...Array(5).fill('directory_unavailable'),
      'invalid_credentials',
      'oauth.user.authenticated.v1',
    ]);
    expect(summary('mallory').map(({ reason }) => reason)).toEqual(['invalid_credentials']);
    const raw = events.map((event) => event.raw).join('\n');
    const logs = identity.output();
    for (const password of [...PASSWORDS, TOKEN]) {
      expect(raw).not.toContain(password);
      expect(logs).not.toContain(password);
    }
  });
});

type KafkaEvent = { key: string; raw: string; value: { type: string; subject: string; data: Record<string, unknown> } & Record<string, unknown> };

/** The first `count` messages of a topic (all partitions), in each key's order. */
async function readEvents(topic: string, count: number, timeoutMs = 30_000): Promise<KafkaEvent[]> {
  const messages = await readTopic(topic, { clientId: `e2e-identity-reader-${run}`, count, timeoutMs });
  return messages.map(({ key, value }) => ({ key: key!, raw: value, value: JSON.parse(value) as KafkaEvent['value'] }));
}
