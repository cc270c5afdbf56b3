import { join } from 'node:path';
import { LdifDirectory, MemoryEventBus, MemoryTtlStore } from '@authz/adapters';
import { deserializeEnvelope, type Envelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import {
  type AuthenticationResult,
  type Clock,
  type CredentialCheck,
  type Directory,
  DirectoryUnavailableError,
  type DirectoryUser,
  IdentityUnavailableError,
  TtlStoreUnavailableError,
} from '@authz/ports';
import { IdentityService } from './identity.service';
import { type LoginThrottlePolicy } from './login-throttle';

/** 2026-01-01T00:00:00Z */
const T0 = Date.parse('2026-01-01T00:00:00Z');
const NOW = T0 / 1000;

class FakeClock implements Clock {
  constructor(public ms = T0) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

const POLICY: LoginThrottlePolicy = {
  windowSeconds: 900,
  username: { delayAfter: 3, lockoutAfter: 5 },
  clientIp: { delayAfter: 4, lockoutAfter: 8 },
  maxDelaySeconds: 8,
  lockoutSeconds: 600,
  inFlightSeconds: 30,
};

const ALICE: DirectoryUser = {
  subject: 'alice',
  dn: 'uid=alice,ou=people,dc=example,dc=org',
  username: 'alice',
  name: 'Alice Anderson',
  email: 'alice@example.org',
  groups: ['cn=developers,ou=groups,dc=example,dc=org', 'cn=admins,ou=groups,dc=example,dc=org'],
};

const ALICE_HASH = sha256Hash('alice');
const IP = '203.0.113.7';
const IP_HASH = sha256Hash(IP);

/** The LDIF directory of the embedded mode, counting binds (authenticate calls), or failing on demand. */
class CountingDirectory implements Directory {
  binds = 0;
  down = false;
  /** How long a bind takes (ms of real time). */
  latencyMs = 0;
  constructor(private readonly inner: Directory) {}
  findUser(username: string) {
    return this.inner.findUser(username);
  }
  async authenticate(username: string, password: string): Promise<AuthenticationResult> {
    if (this.down) throw new DirectoryUnavailableError('LDAP directory unavailable (user search): connect ECONNREFUSED');
    this.binds += 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return this.inner.authenticate(username, password);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

/** The in-memory TTL store, with an outage switch. */
class SwitchableTtlStore extends MemoryTtlStore {
  down = false;
  override async get(key: string) {
    this.fail();
    return super.get(key);
  }
  override async set(key: string, value: string, ttlMs: number) {
    this.fail();
    return super.set(key, value, ttlMs);
  }
  override async setIfAbsent(key: string, value: string, ttlMs: number) {
    this.fail();
    return super.setIfAbsent(key, value, ttlMs);
  }
  override async increment(key: string, ttlMs: number) {
    this.fail();
    return super.increment(key, ttlMs);
  }
  override async delete(key: string) {
    this.fail();
    return super.delete(key);
  }
  private fail(): void {
    if (this.down) throw new TtlStoreUnavailableError('Redis unavailable: connect ECONNREFUSED');
  }
}

function setup() {
  const clock = new FakeClock();
  const directory = new CountingDirectory(new LdifDirectory({ path: join(__dirname, '..', '..', '..', 'deploy', 'seed', 'users.ldif') }));
  const counters = new SwitchableTtlStore({ clock, sweepIntervalMs: 0 });
  const bus = new MemoryEventBus({ source: 'urn:authz:identity' });
  const identity = new IdentityService({ directory, counters, publisher: bus, clock, policy: POLICY });
  const events = (): Envelope[] => bus.readTopic(Topics.identity).map((record) => deserializeEnvelope(record.value));
  const eventData = () => events().map((event) => ({ type: event.type, subject: event.subject, data: event.data }));
  const verify = (username: string, password: string, extra: Partial<CredentialCheck> = {}) =>
    identity.verify({ username, password, clientId: 'web-app', clientIp: IP, ...extra });
  return { clock, directory, counters, bus, identity, events, eventData, verify };
}

const sortGroups = <T>(verdict: T): T => {
  const value = verdict as { outcome: string; user?: DirectoryUser };
  return (value.user ? { ...value, user: { ...value.user, groups: [...value.user.groups].sort() } } : verdict) as T;
};

const failed = (reason: string, extra: Record<string, unknown> = {}, usernameHash = ALICE_HASH) => ({
  type: 'oauth.user.authentication_failed.v1',
  subject: usernameHash,
  data: { usernameHash, clientId: 'web-app', clientIpHash: IP_HASH, reason, ...extra },
});

describe('IdentityService', () => {
  it('authenticates with one bind, answers the user and auth_time, and records oauth.user.authenticated.v1 (never the password)', async () => {
    const { identity, directory, events, bus } = setup();
    const verdict = await identity.verify({ username: 'alice', password: 'alice-password', clientId: 'web-app', clientIp: IP }, { correlationId: 'req-1' });
    expect(sortGroups(verdict)).toEqual({ outcome: 'authenticated', user: sortGroups({ outcome: '', user: ALICE }).user, authTime: NOW });
    expect(directory.binds).toBe(1);
    expect(events()).toEqual([
      {
        specversion: '1.0',
        id: expect.any(String),
        source: 'urn:authz:identity',
        type: 'oauth.user.authenticated.v1',
        time: expect.any(String),
        subject: ALICE_HASH,
        datacontenttype: 'application/json',
        correlationid: 'req-1',
        data: { usernameHash: ALICE_HASH, subject: 'alice', clientId: 'web-app', clientIpHash: IP_HASH, authTime: NOW },
      },
    ]);
    const raw = bus.readTopic(Topics.identity).map((record) => record.value.toString()).join('\n');
    expect(raw).not.toContain('alice-password');
    expect(raw).not.toContain(IP);
  });

  it('answers a wrong password and an unknown user alike (one bind attempt each), and records invalid_credentials', async () => {
    const { verify, directory, eventData } = setup();
    expect(await verify('alice', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await verify('mallory', 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(directory.binds).toBe(2);
    expect(eventData()).toEqual([failed('invalid_credentials', { usernameFailures: 1 }), failed('invalid_credentials', { usernameFailures: 1 }, sha256Hash('mallory'))]);
  });

  it('counts a username however it is typed (case, outer spaces): one login name, one counter', async () => {
    const { verify, eventData } = setup();
    await verify('alice', 'x');
    await verify('ALICE', 'x');
    await verify(' Alice ', 'x');
    expect(eventData().map((event) => event.data)).toEqual([1, 2, 3].map((usernameFailures) => failed('invalid_credentials', { usernameFailures }).data));
  });

  describe('per username: growing delay, then a lockout; never a bind while refused', () => {
    it('delays 1 s after the 3rd failure, 2 s after the 4th, locks for the lockout duration at the 5th', async () => {
      const { verify, clock, directory, eventData } = setup();
      // Different IPs: only the username counter is at work.
      const from = (n: number) => ({ clientIp: `198.51.100.${n}` });
      for (let i = 1; i <= 3; i += 1) expect(await verify('alice', 'wrong', from(i))).toEqual({ outcome: 'invalid_credentials' });
      expect(directory.binds).toBe(3);

      // In the delay: refused, even with the right password, and no bind.
      expect(await verify('alice', 'alice-password', from(9))).toEqual({ outcome: 'locked', retryAfter: 1 });
      expect(directory.binds).toBe(3);
      clock.advance(1);
      expect(await verify('alice', 'wrong', from(4))).toEqual({ outcome: 'invalid_credentials' });
      expect(await verify('alice', 'wrong', from(9))).toEqual({ outcome: 'locked', retryAfter: 2 });
      clock.advance(1.5);
      expect(await verify('alice', 'wrong', from(9))).toEqual({ outcome: 'locked', retryAfter: 1 });
      clock.advance(0.5);
      expect(await verify('alice', 'wrong', from(5))).toEqual({ outcome: 'invalid_credentials' });
      expect(directory.binds).toBe(5);

      // Locked: the right password does not help, no bind happens, refused attempts do not extend it.
      expect(await verify('alice', 'alice-password', from(9))).toEqual({ outcome: 'locked', retryAfter: 600 });
      clock.advance(599);
      expect(await verify('alice', 'alice-password', from(9))).toEqual({ outcome: 'locked', retryAfter: 1 });
      expect(directory.binds).toBe(5);
      clock.advance(1);
      expect(sortGroups(await verify('alice', 'alice-password', from(9)))).toMatchObject({ outcome: 'authenticated', authTime: NOW + 603 });
      expect(directory.binds).toBe(6);

      const lockedUntil = NOW + 3 + 600;
      const at = (n: number, event: ReturnType<typeof failed>) => ({ ...event, data: { ...event.data, clientIpHash: sha256Hash(`198.51.100.${n}`) } });
      expect(eventData()).toEqual([
        at(1, failed('invalid_credentials', { usernameFailures: 1 })),
        at(2, failed('invalid_credentials', { usernameFailures: 2 })),
        at(3, failed('invalid_credentials', { usernameFailures: 3 })),
        at(9, failed('locked', { lockedBy: 'username', lockedUntil: NOW + 1 })),
        at(4, failed('invalid_credentials', { usernameFailures: 4 })),
        at(9, failed('locked', { lockedBy: 'username', lockedUntil: NOW + 3 })),
        at(9, failed('locked', { lockedBy: 'username', lockedUntil: NOW + 3 })),
        at(5, failed('invalid_credentials', { usernameFailures: 5 })),
        at(9, failed('locked', { lockedBy: 'username', lockedUntil })),
        at(9, failed('locked', { lockedBy: 'username', lockedUntil })),
        {
          type: 'oauth.user.authenticated.v1',
          subject: ALICE_HASH,
          data: { usernameHash: ALICE_HASH, subject: 'alice', clientId: 'web-app', clientIpHash: sha256Hash('198.51.100.9'), authTime: NOW + 603 },
        },
      ]);
    });

    it('runs the attempts of a username that has failed one at a time: a parallel burst gets one bind', async () => {
      const { verify, directory, counters, eventData } = setup();
      await verify('alice', 'wrong');
      directory.latencyMs = 20;
      const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) => verify('alice', i === 0 ? 'wrong' : 'alice-password', { clientIp: `198.51.100.${i + 1}` })));
      expect(directory.binds).toBe(2);
      expect(verdicts[0]).toEqual({ outcome: 'invalid_credentials' });
      expect(verdicts.slice(1)).toEqual(Array(19).fill({ outcome: 'locked', retryAfter: 1 }));
      expect(eventData().filter((event) => (event.data as { reason?: string }).reason === 'locked')).toHaveLength(19);
      // The marker is gone once the attempt is decided.
      expect(await counters.get(`login:username:${ALICE_HASH}:inflight`)).toBeNull();
    });

    it('checks again after taking the marker: a failure recorded between the check and the acquire locks this attempt out', async () => {
      const { verify, clock, directory, counters, eventData } = setup();
      const from = (n: number) => ({ clientIp: `198.51.100.${n}` });
      for (let i = 1; i <= 4; i += 1) {
        expect(await verify('alice', 'wrong', from(i))).toEqual({ outcome: 'invalid_credentials' });
        clock.advance(POLICY.maxDelaySeconds);
      }
      // The right password passes the check; before it takes the marker, another attempt takes it,
      // fails (the 5th failure: lockout) and releases it.
      const setIfAbsent = counters.setIfAbsent.bind(counters);
      let raced = false;
      counters.setIfAbsent = async (key: string, value: string, ttlMs: number) => {
        if (!raced) {
          raced = true;
          expect(await verify('alice', 'wrong', from(5))).toEqual({ outcome: 'invalid_credentials' });
        }
        return setIfAbsent(key, value, ttlMs);
      };
      expect(await verify('alice', 'alice-password', from(9))).toEqual({ outcome: 'locked', retryAfter: 600 });
      expect(directory.binds).toBe(5);
      expect(eventData().slice(-2)).toEqual([
        { ...failed('invalid_credentials', { usernameFailures: 5 }), data: { ...failed('invalid_credentials', { usernameFailures: 5 }).data, clientIpHash: sha256Hash('198.51.100.5') } },
        { ...failed('locked', { lockedBy: 'username', lockedUntil: NOW + 4 * POLICY.maxDelaySeconds + 600 }), data: { ...failed('locked', { lockedBy: 'username', lockedUntil: NOW + 4 * POLICY.maxDelaySeconds + 600 }).data, clientIpHash: sha256Hash('198.51.100.9') } },
      ]);
      // The marker is released.
      expect(await counters.get(`login:username:${ALICE_HASH}:inflight`)).toBeNull();
    });

    it('does not serialize a username without failures (a double submit of the right password logs in twice)', async () => {
      const { verify, directory } = setup();
      directory.latencyMs = 20;
      const verdicts = await Promise.all([verify('alice', 'alice-password'), verify('alice', 'alice-password')]);
      expect(verdicts.map((verdict) => verdict.outcome)).toEqual(['authenticated', 'authenticated']);
    });

    it('releases the marker when the directory fails in the middle of a serialized attempt', async () => {
      const { verify, directory, counters } = setup();
      await verify('alice', 'wrong');
      directory.down = true;
      await expect(verify('alice', 'alice-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
      expect(await counters.get(`login:username:${ALICE_HASH}:inflight`)).toBeNull();
      directory.down = false;
      expect(await verify('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
    });

    it('caps the growing delay at maxDelaySeconds', async () => {
      const { directory, counters, bus, clock } = setup();
      const identity = new IdentityService({ directory, counters, publisher: bus, clock, policy: { ...POLICY, username: { delayAfter: 1, lockoutAfter: 100 } } });
      const retries: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        expect(await identity.verify({ username: 'bob', password: 'wrong', clientId: 'web-app' })).toEqual({ outcome: 'invalid_credentials' });
        const refused = await identity.verify({ username: 'bob', password: 'wrong', clientId: 'web-app' });
        retries.push(refused.outcome === 'locked' ? refused.retryAfter : 0);
        clock.advance(retries.at(-1)!);
      }
      expect(retries).toEqual([1, 2, 4, 8, 8, 8, 8]);
    });

    it('clears the username counter on success (the next failure is the first again)', async () => {
      const { verify, eventData } = setup();
      await verify('alice', 'wrong');
      await verify('alice', 'wrong');
      await verify('alice', 'alice-password');
      await verify('alice', 'wrong');
      expect(eventData().map((event) => event.data).filter((data) => 'usernameFailures' in data).map((data) => (data as { usernameFailures: number }).usernameFailures)).toEqual([1, 2, 1]);
    });

    it('forgets failures after the counting window', async () => {
      const { verify, clock, eventData } = setup();
      await verify('alice', 'wrong');
      await verify('alice', 'wrong');
      clock.advance(900);
      await verify('alice', 'wrong');
      expect(eventData().map((event) => (event.data as { usernameFailures?: number }).usernameFailures)).toEqual([1, 2, 1]);
    });
  });

  describe('per client IP', () => {
    it('delays and then locks an address that guesses at many usernames, but not other addresses', async () => {
      const { verify, clock, directory } = setup();
      const outcomes: unknown[] = [];
      for (let n = 1; directory.binds < 8; n += 1) {
        const verdict = await verify(`user${n}`, 'guess');
        outcomes.push(verdict);
        if (verdict.outcome === 'locked') clock.advance(verdict.retryAfter);
      }
      const invalid = { outcome: 'invalid_credentials' };
      const locked = (retryAfter: number) => ({ outcome: 'locked', retryAfter });
      expect(outcomes).toEqual([invalid, invalid, invalid, invalid, locked(1), invalid, locked(2), invalid, locked(4), invalid, locked(8), invalid]);
      // The right password from the locked address: refused without a bind. From another address: fine.
      expect(await verify('alice', 'alice-password')).toEqual(locked(600));
      expect(directory.binds).toBe(8);
      expect(await verify('alice', 'alice-password', { clientIp: '203.0.113.8' })).toMatchObject({ outcome: 'authenticated' });
    });

    it('counts an IPv6 /64 as one address, and records each full address hashed', async () => {
      const { verify, eventData } = setup();
      for (let i = 1; i <= 4; i += 1) await verify(`someone${i}`, 'guess', { clientIp: `2001:db8:0:1::${i}` });
      expect(await verify('someone5', 'guess', { clientIp: '2001:db8:0:1:ffff::5' })).toEqual({ outcome: 'locked', retryAfter: 1 });
      expect(await verify('someone5', 'guess', { clientIp: '2001:db8:0:2::5' })).toEqual({ outcome: 'invalid_credentials' });
      expect(eventData()[0]!.data).toEqual({
        usernameHash: sha256Hash('someone1'),
        clientId: 'web-app',
        clientIpHash: sha256Hash('2001:0db8:0000:0001:0000:0000:0000:0001'),
        reason: 'invalid_credentials',
        usernameFailures: 1,
      });
    });

    it('counts the username alone when no client IP (or no valid one) is given', async () => {
      const { identity, eventData } = setup();
      await identity.verify({ username: 'alice', password: 'wrong', clientId: 'web-app' });
      await identity.verify({ username: 'alice', password: 'wrong', clientId: 'web-app', clientIp: 'not-an-ip' });
      expect(eventData().map((event) => event.data)).toEqual([
        { usernameHash: ALICE_HASH, clientId: 'web-app', reason: 'invalid_credentials', usernameFailures: 1 },
        { usernameHash: ALICE_HASH, clientId: 'web-app', reason: 'invalid_credentials', usernameFailures: 2 },
      ]);
    });
  });

  describe('outages are never failed logins', () => {
    it('a directory outage: IdentityUnavailableError, nothing counted, directory_unavailable recorded', async () => {
      const { verify, directory, eventData } = setup();
      directory.down = true;
      for (let i = 0; i < 10; i += 1) await expect(verify('alice', 'alice-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
      directory.down = false;
      expect(await verify('alice', 'wrong')).toEqual({ outcome: 'invalid_credentials' });
      expect(eventData()).toEqual([...Array.from({ length: 10 }, () => failed('directory_unavailable')), failed('invalid_credentials', { usernameFailures: 1 })]);
    });

    it('a counter-store outage: IdentityUnavailableError before any bind, counter_store_unavailable recorded', async () => {
      const { verify, directory, counters, eventData } = setup();
      counters.down = true;
      await expect(verify('alice', 'alice-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
      await expect(verify('alice', 'wrong')).rejects.toBeInstanceOf(IdentityUnavailableError);
      expect(directory.binds).toBe(0);
      counters.down = false;
      expect(await verify('alice', 'wrong')).toEqual({ outcome: 'invalid_credentials' });
      expect(eventData()).toEqual([failed('counter_store_unavailable'), failed('counter_store_unavailable'), failed('invalid_credentials', { usernameFailures: 1 })]);
    });

    it('a counter store that fails after the bind fails the attempt closed (a wrong password is not answered uncounted)', async () => {
      const { verify, directory, counters } = setup();
      const increment = jest.spyOn(counters, 'increment').mockRejectedValueOnce(new TtlStoreUnavailableError('Redis unavailable: Command timed out'));
      await expect(verify('alice', 'wrong')).rejects.toBeInstanceOf(IdentityUnavailableError);
      expect(directory.binds).toBe(1);
      increment.mockRestore();
    });

    it('an event log that does not acknowledge fails the attempt closed, also a successful one', async () => {
      const { verify, bus } = setup();
      bus.setUnavailable(true);
      await expect(verify('alice', 'alice-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
      await expect(verify('alice', 'wrong')).rejects.toBeInstanceOf(IdentityUnavailableError);
    });

    it('a directory outage while the log is down too is still IdentityUnavailableError', async () => {
      const { verify, bus, directory } = setup();
      bus.setUnavailable(true);
      directory.down = true;
      await expect(verify('alice', 'alice-password')).rejects.toBeInstanceOf(IdentityUnavailableError);
    });
  });

  it('answers a failure no sooner than failureFloorMs after the attempt began (an unknown user takes as long as a wrong password); a success at once', async () => {
    const { directory, counters, bus, clock } = setup();
    const identity = new IdentityService({ directory, counters, publisher: bus, clock, policy: POLICY, failureFloorMs: 120 });
    const timed = async (username: string, password: string) => {
      const started = performance.now();
      const verdict = await identity.verify({ username, password, clientId: 'web-app' });
      return { outcome: verdict.outcome, ms: performance.now() - started };
    };
    const unknown = await timed('mallory', 'guess');
    const wrong = await timed('bob', 'wrong');
    const right = await timed('carol', 'carol-password');
    expect([unknown.outcome, wrong.outcome, right.outcome]).toEqual(['invalid_credentials', 'invalid_credentials', 'authenticated']);
    for (const failure of [unknown, wrong]) {
      expect(failure.ms).toBeGreaterThanOrEqual(115); // timers have millisecond granularity
      expect(failure.ms).toBeLessThan(400);
    }
    expect(right.ms).toBeLessThan(100);
  });

  it('answers credentials beyond the bounds invalid_credentials without a bind or an event', async () => {
    const { verify, directory, events } = setup();
    expect(await verify('', 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await verify('a'.repeat(257), 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await verify('alice', 'é'.repeat(513))).toEqual({ outcome: 'invalid_credentials' });
    expect(directory.binds).toBe(0);
    expect(events()).toEqual([]);
  });

  it('refuses a check without a client id (a caller bug, not a login)', async () => {
    const { verify } = setup();
    await expect(verify('alice', 'alice-password', { clientId: '' })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('IdentityService: the directory’s own reasons (ppolicy, AD sub-codes)', () => {
  /** A directory that refuses with a given reason (as LdapDirectory does from the ppolicy control or AD's data code). */
  function refusing(result: AuthenticationResult, discloseReasons: ReadonlyArray<'password_expired' | 'must_change_password'> = []) {
    const base = setup();
    const directory: Directory = { ...base.directory, findUser: async () => null, authenticate: async () => result, ping: async () => undefined, close: async () => undefined };
    const identity = new IdentityService({ directory, counters: base.counters, publisher: base.bus, clock: base.clock, policy: POLICY, discloseReasons });
    return { ...base, identity };
  }

  it.each(['account_locked', 'account_disabled', 'account_expired', 'not_permitted_now', 'not_permitted_here', 'no_such_user', 'password_expired', 'must_change_password'] as const)(
    'records %s in the failure event, counts it, and tells the user only "invalid credentials" by default',
    async (reason) => {
      const { identity, eventData } = refusing({ outcome: 'invalid_credentials', reason });
      expect(await identity.verify({ username: 'alice', password: 'alice-password', clientId: 'web-app', clientIp: IP })).toEqual({ outcome: 'invalid_credentials' });
      expect(eventData()).toEqual([failed(reason, { usernameFailures: 1 })]);
    },
  );

  it('tells an expired or must-change password when configured, never a locked or disabled account', async () => {
    const disclose = ['password_expired', 'must_change_password'] as const;
    for (const reason of disclose) {
      const { identity } = refusing({ outcome: 'invalid_credentials', reason }, disclose);
      expect(await identity.verify({ username: 'alice', password: 'alice-password', clientId: 'web-app' })).toEqual({ outcome: 'invalid_credentials', reason });
    }
    const { identity } = refusing({ outcome: 'invalid_credentials', reason: 'account_locked' }, disclose);
    expect(await identity.verify({ username: 'alice', password: 'alice-password', clientId: 'web-app' })).toEqual({ outcome: 'invalid_credentials' });
  });

  it('records the grace logins left in oauth.user.authenticated.v1', async () => {
    const { identity, eventData } = refusing({ outcome: 'authenticated', user: ALICE, passwordPolicy: { graceLoginsRemaining: 1 } });
    expect(await identity.verify({ username: 'alice', password: 'alice-password', clientId: 'web-app', clientIp: IP })).toEqual({ outcome: 'authenticated', user: ALICE, authTime: NOW });
    expect(eventData()).toEqual([
      {
        type: 'oauth.user.authenticated.v1',
        subject: ALICE_HASH,
        data: { usernameHash: ALICE_HASH, subject: 'alice', clientId: 'web-app', clientIpHash: IP_HASH, authTime: NOW, graceLoginsRemaining: 1 },
      },
    ]);
  });
});
