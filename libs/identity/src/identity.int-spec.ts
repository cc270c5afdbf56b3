/**
 * IdentityService on the real slapd and Redis: one bind as the user per attempt (counted on ldapts'
 * Client), counters in Redis under hashed keys, the lockout with real ttls, and outages of either
 * dependency that count nothing.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { Client } from 'ldapts';
import { LdapDirectory, type LdapDirectoryOptions, MemoryEventBus, RedisTtlStore } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { type CredentialCheck, IdentityUnavailableError, systemClock } from '@authz/ports';
import { IdentityService } from './identity.service';
import { type LoginThrottlePolicy } from './login-throttle';

const ALICE_DN = 'uid=alice,ou=people,dc=example,dc=org';
const POLICY: LoginThrottlePolicy = {
  windowSeconds: 60,
  username: { delayAfter: 2, lockoutAfter: 3 },
  clientIp: { delayAfter: 50, lockoutAfter: 100 },
  maxDelaySeconds: 1,
  lockoutSeconds: 2,
  inFlightSeconds: 30,
};

const filePrefix = `test-identity:${randomBytes(5).toString('hex')}:`;
let runs = 0;
let raw: Redis;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(() => {
  raw = new Redis(process.env.REDIS_URL!);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(open.splice(0).map((resource) => resource.close()));
});

afterAll(async () => {
  const keys = await raw.keys(`${filePrefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

function ldapOptions(overrides: Partial<LdapDirectoryOptions> = {}): LdapDirectoryOptions {
  return {
    url: process.env.LDAP_URL!,
    bindDn: process.env.LDAP_BIND_DN!,
    bindPassword: process.env.LDAP_BIND_PASSWORD!,
    baseDn: `ou=people,${process.env.LDAP_BASE_DN ?? 'dc=example,dc=org'}`,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    ...overrides,
  };
}

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function setup(options: { ldap?: Partial<LdapDirectoryOptions>; redisUrl?: string; policy?: LoginThrottlePolicy; failureFloorMs?: number } = {}) {
  const keyPrefix = `${filePrefix}${(runs += 1)}:`;
  const directory = new LdapDirectory(ldapOptions(options.ldap));
  const counters = new RedisTtlStore({ url: options.redisUrl ?? process.env.REDIS_URL!, keyPrefix });
  const bus = new MemoryEventBus({ source: 'urn:authz:identity' });
  open.push(directory, counters, bus);
  const identity = new IdentityService({ directory, counters, publisher: bus, clock: systemClock, policy: options.policy ?? POLICY, failureFloorMs: options.failureFloorMs ?? 0 });
  const binds = jest.spyOn(Client.prototype, 'bind');
  return {
    identity,
    keyPrefix,
    verify: (username: string, password: string, extra: Partial<CredentialCheck> = {}) => identity.verify({ username, password, clientId: 'web-app', clientIp: '198.51.100.20', ...extra }),
    userBinds: () => binds.mock.calls.filter(([dn]) => String(dn) === ALICE_DN).length,
    allBinds: () => binds.mock.calls.length,
    keys: async () => (await raw.keys(`${keyPrefix}*`)).map((key) => key.slice(keyPrefix.length)).sort(),
    events: () => bus.readTopic(Topics.identity).map((record) => deserializeEnvelope(record.value)),
  };
}

const aliceKey = `login:username:${sha256Hash('alice')}`;
const ipKey = `login:ip:${sha256Hash('198.51.100.20')}`;

describe('IdentityService on slapd and Redis', () => {
  it('binds as the user exactly once per attempt, right or wrong password; an unknown user is searched, never bound', async () => {
    const { verify, userBinds, allBinds } = setup();
    expect(await verify('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated', user: { subject: 'alice', dn: ALICE_DN } });
    expect(userBinds()).toBe(1);
    expect(await verify('alice', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(userBinds()).toBe(2);
    const before = allBinds();
    expect(await verify('mallory', 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(allBinds()).toBe(before);
  });

  it('a parallel burst against a username that has failed gets exactly one bind (the rest are refused)', async () => {
    const realBind = Client.prototype.bind;
    const { verify, userBinds, keys } = setup({ policy: { ...POLICY, username: { delayAfter: 100, lockoutAfter: 100 } } });
    // Slow binds (30 ms), so that every attempt of the burst starts while the first is still binding.
    jest.spyOn(Client.prototype, 'bind').mockImplementation(async function (this: Client, ...args: Parameters<Client['bind']>) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return realBind.apply(this, args);
    });
    await verify('alice', 'wrong-password');
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => verify('alice', 'alice-password')));
    expect(userBinds()).toBe(2);
    expect(verdicts.filter((verdict) => verdict.outcome === 'authenticated')).toHaveLength(1);
    expect(verdicts.filter((verdict) => verdict.outcome === 'locked')).toEqual(Array(9).fill({ outcome: 'locked', retryAfter: 1 }));
    expect(await keys()).toEqual([`${ipKey}:failures`]);
  });

  it('keeps its counters in Redis under hashed keys with a ttl, and clears the username counter on success', async () => {
    const { verify, keys, keyPrefix } = setup();
    await verify('alice', 'wrong-password');
    expect(await keys()).toEqual([`${ipKey}:failures`, `${aliceKey}:failures`].sort());
    const ttl = await raw.pttl(`${keyPrefix}${aliceKey}:failures`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect((await raw.keys(`${keyPrefix}*`)).join(' ')).not.toMatch(/alice|198\.51/);
    await verify('alice', 'alice-password');
    expect(await keys()).toEqual([`${ipKey}:failures`]);
  });

  it('delays, then locks the username with no bind at all while locked, and lets the right password in after the lockout', async () => {
    const { verify, userBinds, allBinds, keys } = setup();
    expect(await verify('alice', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await verify('alice', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await verify('alice', 'alice-password')).toEqual({ outcome: 'locked', retryAfter: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await verify('alice', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(userBinds()).toBe(3);
    const bindsBefore = allBinds();
    expect(await verify('alice', 'alice-password')).toEqual({ outcome: 'locked', retryAfter: 2 });
    expect(await verify('ALICE', 'alice-password')).toMatchObject({ outcome: 'locked' });
    expect(allBinds()).toBe(bindsBefore);
    expect(await keys()).toEqual([`${aliceKey}:failures`, `${aliceKey}:locked`, `${ipKey}:failures`].sort());
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await verify('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
    expect(userBinds()).toBe(4);
  });

  it('an LDAP outage (nothing listens on LDAP_URL) is IdentityUnavailableError and counts nothing', async () => {
    const { verify, keys, events } = setup({ ldap: { url: `ldap://127.0.0.1:${await closedPort()}` } });
    for (let i = 0; i < 5; i += 1) await expect(verify('alice', 'wrong-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
    expect(await keys()).toEqual([]);
    expect(events().map((event) => (event.data as { reason: string }).reason)).toEqual(Array(5).fill('directory_unavailable'));
  });

  it('a Redis outage is IdentityUnavailableError before any bind', async () => {
    const { verify, allBinds, events } = setup({ redisUrl: `redis://127.0.0.1:${await closedPort()}` });
    await expect(verify('alice', 'alice-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
    await expect(verify('alice', 'wrong-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
    expect(allBinds()).toBe(0);
    expect(events().map((event) => (event.data as { reason: string }).reason)).toEqual(['counter_store_unavailable', 'counter_store_unavailable']);
  });

  it('answers an unknown user and a wrong password in the same time with the failure floor (a search vs a search and a bind)', async () => {
    const lenient = { ...POLICY, username: { delayAfter: 1000, lockoutAfter: 1000 }, clientIp: { delayAfter: 1000, lockoutAfter: 1000 } };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const measure = async (verify: ReturnType<typeof setup>['verify'], username: string, password: string) => {
      const times: number[] = [];
      for (let i = 0; i < 9; i += 1) {
        const started = performance.now();
        expect(await verify(username, password)).toEqual({ outcome: 'invalid_credentials' });
        times.push(performance.now() - started);
      }
      return median(times);
    };
    const floored = setup({ policy: lenient, failureFloorMs: 150 });
    await floored.verify('alice', 'alice-password'); // warm the service connection
    const unknown = await measure(floored.verify, 'mallory', 'wrong-password');
    const wrong = await measure(floored.verify, 'alice', 'wrong-password');
    expect(unknown).toBeGreaterThanOrEqual(145);
    expect(wrong).toBeGreaterThanOrEqual(145);
    expect(Math.abs(unknown - wrong)).toBeLessThan(15);
  });

  it('takes the subject from the mapped attribute (entryUUID) into the verdict and the event', async () => {
    const { verify, events } = setup({ ldap: { attributes: { subject: 'entryUUID' } } });
    const verdict = await verify('alice', 'alice-password');
    expect(verdict).toMatchObject({ outcome: 'authenticated', user: { subject: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'alice' } });
    const subject = verdict.outcome === 'authenticated' ? verdict.user.subject : '';
    expect(events().map((event) => event.data)).toEqual([
      { usernameHash: sha256Hash('alice'), subject, clientId: 'web-app', clientIpHash: sha256Hash('198.51.100.20'), authTime: expect.any(Number) },
    ]);
  });
});
