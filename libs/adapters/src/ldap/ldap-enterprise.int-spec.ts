import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory';

/**
 * Against slapd instances of our own (deploy/local/ldap.sh with their own port and state directory, the
 * same config as the shared one: memberof and ppolicy overlays), so that special directory state (locked
 * and expired accounts, a stopped server) never disturbs other tests, here or in CI.
 */
const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '../../../../deploy/local/ldap.sh');
const BASE = 'dc=example,dc=org';
const ADMIN = { dn: `cn=admin,${BASE}`, password: 'admin-password' };
const DEVELOPERS = `cn=developers,ou=groups,${BASE}`;
const ADMINS = `cn=admins,ou=groups,${BASE}`;
const ENGINEERING = `cn=engineering,ou=groups,${BASE}`;
const ALICE_DN = `uid=alice,ou=people,${BASE}`;

type Instance = { url: string; env: NodeJS.ProcessEnv; dir: string };

function instance(port: number): Instance {
  const dir = mkdtempSync(join(tmpdir(), 'authz-ldap-'));
  return { url: `ldap://127.0.0.1:${port}`, dir, env: { ...process.env, AUTHZ_STATE_DIR: dir, AUTHZ_LDAP_PORT: String(port), SLAPD_DEBUG: 'none' } };
}
const up = (server: Instance) => run('bash', [SCRIPT, 'up'], { env: server.env, timeout: 60_000 });
const down = (server: Instance) => run('bash', [SCRIPT, 'down'], { env: server.env, timeout: 60_000 });

const port = 20_000 + Math.floor(Math.random() * 20_000);
const primary = instance(port);
const secondary = instance(port + 1);

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

async function asAdmin(url: string, work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ url });
  try {
    await client.bind(ADMIN.dn, ADMIN.password);
    await work(client);
  } finally {
    await client.unbind();
  }
}

/** A person with a policy of their own (pwdPolicySubentry), password `<uid>-password`. */
async function addUser(url: string, uid: string, policy: Record<string, string | string[]> | undefined, extra: Record<string, string | string[]> = {}): Promise<void> {
  await asAdmin(url, async (client) => {
    if (policy) {
      await client.add(`cn=${uid}-policy,ou=policies,${BASE}`, {
        objectClass: ['top', 'organizationalRole', 'pwdPolicy'],
        cn: `${uid}-policy`,
        pwdAttribute: 'userPassword',
        ...policy,
      });
    }
    await client.add(`uid=${uid},ou=people,${BASE}`, {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid,
      cn: uid,
      sn: uid,
      userPassword: `${uid}-password`,
      ...(policy ? { pwdPolicySubentry: `cn=${uid}-policy,ou=policies,${BASE}` } : {}),
      ...extra,
    });
  });
}

function spyBinds(): (dn: string) => number {
  const spy = jest.spyOn(Client.prototype, 'bind');
  return (dn) => spy.mock.calls.filter(([target]) => String(target) === dn).length;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

beforeAll(async () => {
  await Promise.all([up(primary), up(secondary)]);
}, 120_000);

afterAll(async () => {
  for (const server of [primary, secondary]) {
    await run('bash', [SCRIPT, 'down', '--purge'], { env: server.env }).catch(() => undefined);
    rmSync(server.dir, { recursive: true, force: true });
  }
}, 60_000);

afterEach(() => jest.restoreAllMocks());

describe('password policy (OpenLDAP ppolicy) and reasons', () => {
  it('the directory locks an account after N failures, and says so; one bind per attempt', async () => {
    await addUser(primary.url, 'dora', { pwdLockout: 'TRUE', pwdMaxFailure: '3', pwdLockoutDuration: '0' });
    const directory = new LdapDirectory(options());
    const binds = spyBinds();
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await directory.authenticate('dora', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
    // Locked by the directory now: even the right password is refused, with the reason.
    expect(await directory.authenticate('dora', 'dora-password')).toEqual({ outcome: 'invalid_credentials', reason: 'account_locked' });
    expect(binds(`uid=dora,ou=people,${BASE}`)).toBe(4);
    await directory.close();
  });

  it('grace logins after expiry are counted down, then the password is expired', async () => {
    await addUser(primary.url, 'erin', { pwdMaxAge: '1', pwdGraceAuthNLimit: '2' });
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
    await addUser(primary.url, 'fred', { pwdMustChange: 'TRUE' }, { pwdReset: 'TRUE' });
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
    await asAdmin(primary.url, async (client) => {
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

describe('user cache (LDAP_USER_CACHE_MS)', () => {
  it('reuses a found entry for the next login (one bind each, no search), and forgets it after a refused bind', async () => {
    await addUser(primary.url, 'gina', undefined);
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
    await addUser(primary.url, 'hank', undefined);
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

      await down(primary);
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
        expect(await directory.authenticate('bob', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
      }
      expect((await directory.diagnose('alice'))?.server).toBe(secondary.url);
      expect(directory.status()[0]!.breaker).not.toBe('closed');

      await up(primary);
      const deadline = Date.now() + 10_000;
      while (directory.status()[0]!.breaker !== 'closed' && Date.now() < deadline) await sleep(100);
      expect(directory.status()[0]!.breaker).toBe('closed');
      expect((await directory.diagnose('alice'))?.server).toBe(primary.url);
      expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
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
