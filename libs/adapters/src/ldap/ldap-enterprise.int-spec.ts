import { Attribute, Change, Client } from 'ldapts';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory';
import { freeSlapdPort, SLAPD_BASE_DN, SlapdInstance } from './slapd-instance';

/**
 * Against slapd instances of our own (deploy/local/ldap.sh with their own port and state directory, the
 * same config as the shared one: memberof and ppolicy overlays), so that special directory state (locked
 * and expired accounts, a stopped server) never disturbs other tests, here or in CI.
 */
const BASE = SLAPD_BASE_DN;
const DEVELOPERS = `cn=developers,ou=groups,${BASE}`;
const ADMINS = `cn=admins,ou=groups,${BASE}`;
const ENGINEERING = `cn=engineering,ou=groups,${BASE}`;
const ALICE_DN = `uid=alice,ou=people,${BASE}`;

let primary: SlapdInstance;
let secondary: SlapdInstance;

function options(overrides: Partial<LdapDirectoryOptions> = {}): LdapDirectoryOptions {
  return {
    url: primary.url,
    bindDn: `cn=authz-service,ou=services,${BASE}`,
    bindPassword: 'authz-service-password',
    baseDn: `ou=people,${BASE}`,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    healthCheckIntervalMs: 0,
    ...overrides,
  };
}

function spyBinds(): (dn: string) => number {
  const spy = jest.spyOn(Client.prototype, 'bind');
  return (dn) => spy.mock.calls.filter(([target]) => String(target) === dn).length;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

beforeAll(async () => {
  primary = new SlapdInstance(await freeSlapdPort());
  secondary = new SlapdInstance(await freeSlapdPort());
  await Promise.all([primary.up(), secondary.up()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([primary?.destroy(), secondary?.destroy()]);
}, 60_000);

afterEach(() => jest.restoreAllMocks());

describe('password policy (OpenLDAP ppolicy) and reasons', () => {
  it('the directory locks an account after N failures, and says so; one bind per attempt', async () => {
    await primary.addUser('dora', { pwdLockout: 'TRUE', pwdMaxFailure: '3', pwdLockoutDuration: '0' });
    const directory = new LdapDirectory(options());
    const binds = spyBinds();
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await directory.authenticate('dora', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    // Locked by the directory now: even the right password is refused, with the reason.
    expect(await directory.authenticate('dora', 'dora-password')).toEqual({ outcome: 'invalid_credentials', reason: 'account_locked' });
    expect(binds(`uid=dora,ou=people,${BASE}`)).toBe(4);
    await directory.close();
  });

  it('grace logins after expiry are counted down, then the password is expired', async () => {
    await primary.addUser('erin', { pwdMaxAge: '1', pwdGraceAuthNLimit: '2' });
    await sleep(2100);
    const directory = new LdapDirectory(options());
    expect(await directory.authenticate('erin', 'erin-password')).toMatchObject({ outcome: 'authenticated', passwordPolicy: { graceLoginsRemaining: 1 } });
    expect(await directory.authenticate('erin', 'erin-password')).toMatchObject({ outcome: 'authenticated', passwordPolicy: { graceLoginsRemaining: 0 } });
    expect(await directory.authenticate('erin', 'erin-password')).toEqual({ outcome: 'invalid_credentials', reason: 'password_expired' });
    // A wrong password stays a plain failure (nothing about the account is told for it).
    expect(await directory.authenticate('erin', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    await directory.close();
  });

  it('a password reset by an administrator must be changed first', async () => {
    await primary.addUser('fred', { pwdMustChange: 'TRUE' }, { pwdReset: 'TRUE' });
    const directory = new LdapDirectory(options());
    expect(await directory.authenticate('fred', 'fred-password')).toEqual({ outcome: 'invalid_credentials', reason: 'must_change_password' });
    expect(await directory.authenticate('fred', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    await directory.close();
  });
});

describe('groups', () => {
  it('resolves nested groups by memberOf, with their paths, within the depth limit', async () => {
    const nested = new LdapDirectory(options({ groups: { maxDepth: 3 } }));
    const diagnosis = await nested.diagnose('alice');
    expect(diagnosis?.groups).toEqual([
      { dn: DEVELOPERS, path: [DEVELOPERS] },
      { dn: ADMINS, path: [ADMINS] },
      { dn: ENGINEERING, path: [DEVELOPERS, ENGINEERING] },
    ]);
    expect((await nested.findUser('alice'))?.groups).toEqual([DEVELOPERS, ADMINS, ENGINEERING]);
    expect((await nested.findUser('carol'))?.groups).toEqual([]);
    await nested.close();

    const direct = new LdapDirectory(options());
    expect((await direct.findUser('alice'))?.groups).toEqual([DEVELOPERS, ADMINS]);
    await direct.close();
  });

  it('resolves nested groups by a group search (member = the DN), with cycle detection', async () => {
    // A cycle: loop-a ⊃ loop-b ⊃ loop-a, and alice in loop-a.
    await primary.asAdmin(async (client) => {
      await client.add(`cn=loop-a,ou=groups,${BASE}`, { objectClass: ['top', 'groupOfNames'], cn: 'loop-a', member: ALICE_DN });
      await client.add(`cn=loop-b,ou=groups,${BASE}`, { objectClass: ['top', 'groupOfNames'], cn: 'loop-b', member: `cn=loop-a,ou=groups,${BASE}` });
      await client.modify(`cn=loop-a,ou=groups,${BASE}`, [
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`cn=loop-b,ou=groups,${BASE}`] }) }),
      ]);
    });
    const directory = new LdapDirectory(options({ groups: { mode: 'search', baseDn: `ou=groups,${BASE}`, maxDepth: 10 } }));
    const groups = (await directory.diagnose('alice'))?.groups ?? [];
    const loopA = `cn=loop-a,ou=groups,${BASE}`;
    const loopB = `cn=loop-b,ou=groups,${BASE}`;
    expect([...groups].sort((a, b) => a.dn.localeCompare(b.dn))).toEqual([
      { dn: ADMINS, path: [ADMINS] },
      { dn: DEVELOPERS, path: [DEVELOPERS] },
      { dn: ENGINEERING, path: [DEVELOPERS, ENGINEERING] },
      { dn: loopA, path: [loopA] },
      { dn: loopB, path: [loopA, loopB] },
    ]);
    await directory.close();
  });

  it('never finds anybody, nor binds, for hostile usernames (RFC 4515 escaping), also with an OR filter', async () => {
    const directory = new LdapDirectory(options({ userFilter: '(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))' }));
    const binds = spyBinds();
    for (const hostile of ['*', ')(', '\\00', '\u0000', 'admin)(|(uid=*', 'alice)(|(uid=*', '*)(uid=*))(|(uid=*', 'alice*', '\\2a']) {
      expect(await directory.findUser(hostile)).toBeNull();
      expect(await directory.diagnose(hostile)).toBeNull();
      expect(await directory.authenticate(hostile, 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
    }
    expect(binds(ALICE_DN)).toBe(0);
    expect((await directory.findUser('alice@example.org'))?.dn).toBe(ALICE_DN);
    await directory.close();
  });
});

describe('connections', () => {
  it('StartTLS that the server cannot do fails closed: no bind is ever sent in clear text', async () => {
    const directory = new LdapDirectory(options({ startTls: true }));
    const binds = spyBinds();
    await expect(directory.authenticate('alice', 'alice-password')).rejects.toMatchObject({ name: 'DirectoryUnavailableError' });
    await expect(directory.ping()).rejects.toMatchObject({ name: 'DirectoryUnavailableError' });
    expect(binds(ALICE_DN)).toBe(0);
    expect(binds(`cn=authz-service,ou=services,${BASE}`)).toBe(0);
    await directory.close();
  });

  it('closes idle pooled connections after the idle limit, and opens new ones on demand', async () => {
    const directory = new LdapDirectory(options({ pool: { size: 4, idleMs: 300 }, healthCheckIntervalMs: 100 }));
    expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
    expect(directory.status()).toEqual([{ url: primary.url, breaker: 'closed', searchConnections: 1, bindConnections: 1, searchIdle: 1, bindIdle: 1 }]);
    await sleep(800);
    expect(directory.status()).toEqual([{ url: primary.url, breaker: 'closed', searchConnections: 0, bindConnections: 0, searchIdle: 0, bindIdle: 0 }]);
    expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
    await directory.close();
  });

  it('caps the groups claim (direct groups first)', async () => {
    const directory = new LdapDirectory(options({ groups: { maxDepth: 3 }, maxGroups: 2 }));
    expect((await directory.findUser('alice'))?.groups).toEqual([DEVELOPERS, ADMINS]);
    await directory.close();
  });
});

describe('user cache (LDAP_USER_CACHE_MS)', () => {
  it('reuses a found entry for the next login (one bind each, no search), and forgets it after a refused bind', async () => {
    await primary.addUser('gina', undefined);
    const directory = new LdapDirectory(options({ userCacheMs: 60_000 }));
    const searches = jest.spyOn(Client.prototype, 'search');
    const binds = spyBinds();
    const userSearches = () => searches.mock.calls.filter(([base]) => String(base) === `ou=people,${BASE}`).length;
    expect(await directory.authenticate('gina', 'gina-password')).toMatchObject({ outcome: 'authenticated' });
    expect(await directory.authenticate('GINA', 'gina-password')).toMatchObject({ outcome: 'authenticated' });
    expect(userSearches()).toBe(1);
    expect(binds(`uid=gina,ou=people,${BASE}`)).toBe(2);
    expect(await directory.authenticate('gina', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(await directory.authenticate('gina', 'gina-password')).toMatchObject({ outcome: 'authenticated' });
    expect(userSearches()).toBe(2);
    // A user who does not exist is never cached as missing.
    expect(await directory.findUser('hank')).toBeNull();
    await primary.addUser('hank', undefined);
    expect((await directory.findUser('hank'))?.dn).toBe(`uid=hank,ou=people,${BASE}`);
    await directory.close();
  });
});

describe('failover', () => {
  it('keeps logging in when the first server stops, and returns to it when it is back', async () => {
    const directory = new LdapDirectory(options({ url: [primary.url, secondary.url], breaker: { failures: 1, openMs: 300 }, healthCheckIntervalMs: 100 }));
    try {
      expect((await directory.diagnose('alice'))?.server).toBe(primary.url);
      expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });

      await primary.down();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
        expect(await directory.authenticate('bob', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
      }
      expect((await directory.diagnose('alice'))?.server).toBe(secondary.url);
      expect(directory.status()[0]!.breaker).not.toBe('closed');

      await primary.up();
      const deadline = Date.now() + 10_000;
      while (directory.status()[0]!.breaker !== 'closed' && Date.now() < deadline) await sleep(100);
      expect(directory.status()[0]!.breaker).toBe('closed');
      expect((await directory.diagnose('alice'))?.server).toBe(primary.url);
      expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
    } finally {
      await directory.close();
    }
  }, 60_000);

  it('without health checks, the one trial of a half-open breaker brings the first server back', async () => {
    const directory = new LdapDirectory(options({ url: [primary.url, secondary.url], breaker: { failures: 1, openMs: 300 }, healthCheckIntervalMs: 0 }));
    try {
      expect((await directory.diagnose('bob'))?.server).toBe(primary.url);
      await primary.down();
      expect((await directory.diagnose('bob'))?.server).toBe(secondary.url);
      expect(directory.status()[0]!.breaker).toBe('open');
      // Many requests while it is open or half-open: none is lost, none takes the trial without using it.
      for (let attempt = 0; attempt < 10; attempt += 1) expect(await directory.authenticate('bob', 'bob-password')).toMatchObject({ outcome: 'authenticated' });
      await primary.up();
      await sleep(400);
      expect(directory.status()[0]!.breaker).toBe('half_open');
      expect((await directory.diagnose('bob'))?.server).toBe(primary.url);
      expect(directory.status()[0]!.breaker).toBe('closed');
    } finally {
      await directory.close();
    }
  }, 60_000);

  it('an infrastructure failure is never a credential failure: every server down is DirectoryUnavailableError', async () => {
    const directory = new LdapDirectory(options({ url: ['ldap://127.0.0.1:1', 'ldap://127.0.0.1:2'] }));
    await expect(directory.authenticate('alice', 'alice-password')).rejects.toMatchObject({ name: 'DirectoryUnavailableError' });
    await expect(directory.ping()).rejects.toMatchObject({ name: 'DirectoryUnavailableError' });
    await directory.close();
  });
});
