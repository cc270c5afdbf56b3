/**
 * IdentityService on a slapd of its own with the ppolicy overlay (and the real Redis): the directory's
 * reasons in oauth.user.authentication_failed.v1, what the user is told, and an outage of the directory
 * that counts nothing and locks nobody out.
 */
import { randomBytes } from 'node:crypto';
import { freeSlapdPort, LdapDirectory, MemoryEventBus, RedisTtlStore, SLAPD_BASE_DN, SlapdInstance } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { IdentityUnavailableError, systemClock } from '@authz/ports';
import { IdentityService } from './identity.service';
import { type LoginThrottlePolicy } from './login-throttle';

const POLICY: LoginThrottlePolicy = {
  windowSeconds: 60,
  username: { delayAfter: 50, lockoutAfter: 100 },
  clientIp: { delayAfter: 50, lockoutAfter: 100 },
  maxDelaySeconds: 1,
  lockoutSeconds: 2,
  inFlightSeconds: 30,
};

let slapd: SlapdInstance;
const prefix = `test-identity-reasons:${randomBytes(5).toString('hex')}:`;
let counters: RedisTtlStore;

beforeAll(async () => {
  slapd = new SlapdInstance(await freeSlapdPort());
  await slapd.up();
  counters = new RedisTtlStore({ url: process.env.REDIS_URL!, keyPrefix: prefix });
}, 120_000);

afterAll(async () => {
  await counters?.close();
  await slapd.destroy();
}, 60_000);

function identityOn(discloseReasons: ReadonlyArray<'password_expired' | 'must_change_password'> = ['password_expired', 'must_change_password']) {
  const directory = new LdapDirectory({
    url: slapd.url,
    bindDn: `cn=authz-service,ou=services,${SLAPD_BASE_DN}`,
    bindPassword: 'authz-service-password',
    baseDn: `ou=people,${SLAPD_BASE_DN}`,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    healthCheckIntervalMs: 0,
  });
  const bus = new MemoryEventBus({ source: 'urn:authz:identity' });
  const identity = new IdentityService({ directory, counters, publisher: bus, clock: systemClock, policy: POLICY, discloseReasons });
  const failures = () =>
    bus
      .readTopic(Topics.identity)
      .map((record) => deserializeEnvelope(record.value))
      .map((event) => ({ type: event.type, data: event.data }));
  return { identity, directory, failures };
}

const attempt = (identity: IdentityService, username: string, password = `${username}-password`) => identity.verify({ username, password, clientId: 'web-app' });

describe('the directory’s reasons, end to end on slapd (ppolicy)', () => {
  it('locked by the directory: account_locked in the event, "invalid credentials" to the user', async () => {
    await slapd.addUser('ivy', { pwdLockout: 'TRUE', pwdMaxFailure: '2', pwdLockoutDuration: '0' });
    const { identity, directory, failures } = identityOn();
    await attempt(identity, 'ivy', 'wrong');
    await attempt(identity, 'ivy', 'wrong');
    expect(await attempt(identity, 'ivy')).toEqual({ outcome: 'invalid_credentials' });
    const hash = sha256Hash('ivy');
    expect(failures()).toEqual([
      { type: 'oauth.user.authentication_failed.v1', data: { usernameHash: hash, clientId: 'web-app', reason: 'invalid_credentials', usernameFailures: 1 } },
      { type: 'oauth.user.authentication_failed.v1', data: { usernameHash: hash, clientId: 'web-app', reason: 'invalid_credentials', usernameFailures: 2 } },
      { type: 'oauth.user.authentication_failed.v1', data: { usernameHash: hash, clientId: 'web-app', reason: 'account_locked', usernameFailures: 3 } },
    ]);
    await directory.close();
  });

  it('must change after a reset: told when configured, recorded always', async () => {
    await slapd.addUser('jack', { pwdMustChange: 'TRUE' }, { pwdReset: 'TRUE' });
    const told = identityOn();
    expect(await attempt(told.identity, 'jack')).toEqual({ outcome: 'invalid_credentials', reason: 'must_change_password' });
    const silent = identityOn([]);
    expect(await attempt(silent.identity, 'jack')).toEqual({ outcome: 'invalid_credentials' });
    expect(silent.failures()).toEqual([
      { type: 'oauth.user.authentication_failed.v1', data: { usernameHash: sha256Hash('jack'), clientId: 'web-app', reason: 'must_change_password', usernameFailures: 2 } },
    ]);
    await told.directory.close();
    await silent.directory.close();
  });

  it('grace logins are recorded on success; an expired password is told', async () => {
    await slapd.addUser('kim', { pwdMaxAge: '1', pwdGraceAuthNLimit: '1' });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const { identity, directory, failures } = identityOn();
    expect(await attempt(identity, 'kim')).toMatchObject({ outcome: 'authenticated', user: { subject: 'kim' } });
    expect(await attempt(identity, 'kim')).toEqual({ outcome: 'invalid_credentials', reason: 'password_expired' });
    expect(failures()).toEqual([
      { type: 'oauth.user.authenticated.v1', data: expect.objectContaining({ usernameHash: sha256Hash('kim'), subject: 'kim', graceLoginsRemaining: 0 }) },
      { type: 'oauth.user.authentication_failed.v1', data: { usernameHash: sha256Hash('kim'), clientId: 'web-app', reason: 'password_expired', usernameFailures: 1 } },
    ]);
    await directory.close();
  });

  it('a stopped directory is an outage: 503 for the caller, nothing counted, nobody locked out', async () => {
    await slapd.addUser('lou');
    const { identity, directory, failures } = identityOn();
    await slapd.down();
    try {
      for (let index = 0; index < 5; index += 1) await expect(attempt(identity, 'lou')).rejects.toBeInstanceOf(IdentityUnavailableError);
    } finally {
      await slapd.up();
    }
    expect(failures().map((event) => (event.data as { reason: string }).reason)).toEqual(Array(5).fill('directory_unavailable'));
    expect(failures().every((event) => !('usernameFailures' in (event.data as object)))).toBe(true);
    // Back up: the right password works at once (no counter, no lockout was left behind).
    const deadline = Date.now() + 15_000;
    let verdict = await attempt(identity, 'lou').catch((error: unknown) => error);
    while (verdict instanceof IdentityUnavailableError && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      verdict = await attempt(identity, 'lou').catch((error: unknown) => error);
    }
    expect(verdict).toMatchObject({ outcome: 'authenticated' });
    await directory.close();
  }, 60_000);
});
