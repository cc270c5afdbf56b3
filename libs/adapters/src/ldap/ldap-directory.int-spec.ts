import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { Client } from 'ldapts';
import { DirectoryUnavailableError, type Logger } from '@authz/ports';
import { ALICE, describeDirectoryContract, sortedGroups } from '../directory/directory.contract';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory';

// LDAP_* come from the int globalSetup (deploy/local/services.sh or the environment).
function options(overrides: Partial<LdapDirectoryOptions> = {}): LdapDirectoryOptions {
  const baseDn = process.env.LDAP_BASE_DN ?? 'dc=example,dc=org';
  return {
    url: process.env.LDAP_URL!,
    bindDn: process.env.LDAP_BIND_DN!,
    bindPassword: process.env.LDAP_BIND_PASSWORD!,
    baseDn: `ou=people,${baseDn}`,
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
    ...overrides,
  };
}

describeDirectoryContract('LdapDirectory (OpenLDAP)', async () => new LdapDirectory(options()));

type Line = { level: string; obj: object; msg?: string };
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger: Logger & { lines: Line[] } = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

/** Binds seen by ldapts (every Client, every bind, including autoRebind replays), by DN. */
function spyBinds(): { as: (dn: string) => number; total: () => number } {
  const spy = jest.spyOn(Client.prototype, 'bind');
  return {
    as: (dn) => spy.mock.calls.filter(([target]) => String(target) === dn).length,
    total: () => spy.mock.calls.length,
  };
}

/** A TCP proxy to slapd whose connections the test can cut, or make fail on their next request. */
async function startProxy(): Promise<{
  url: string;
  cutAll: () => void;
  failNextRequest: (containing?: string) => void;
  refuseNew: (refuse: boolean) => void;
  connections: () => number;
  close: () => Promise<void>;
}> {
  const target = new URL(process.env.LDAP_URL!);
  const pairs = new Set<[Socket, Socket]>();
  let failNext: false | string = false;
  let refuse = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    if (refuse) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 389), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('data', (chunk) => {
      if (failNext !== false && chunk.includes(failNext)) {
        failNext = false;
        drop();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const socket of pair) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ldap://127.0.0.1:${port}`,
    cutAll: () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    failNextRequest: (containing = '') => {
      failNext = containing;
    },
    refuseNew: (value) => {
      refuse = value;
    },
    connections: () => accepted,
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}

async function elapsed<T>(work: () => Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [outcome] = await Promise.allSettled([work()]);
  return { ms: Date.now() - started, outcome: outcome! };
}

describe('LdapDirectory against OpenLDAP', () => {
  const serviceDn = () => process.env.LDAP_BIND_DN!;
  afterEach(() => jest.restoreAllMocks());

  describe('binds as the user exactly once per attempt', () => {
    it('one bind as alice for the right password, one for a wrong one, never retried', async () => {
      const directory = new LdapDirectory(options());
      const binds = spyBinds();
      expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' });
      expect(binds.as(ALICE.dn)).toBe(1);
      expect(await directory.authenticate('alice', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
      expect(binds.as(ALICE.dn)).toBe(2);
      expect(await directory.authenticate('ALICE', 'wrong-password')).toEqual({ outcome: 'invalid_credentials' });
      expect(binds.as(ALICE.dn)).toBe(3);
      // The service account bound once for all three searches.
      expect(binds.as(serviceDn())).toBe(1);
      await directory.close();
    });

    it('no user bind at all for an unknown user, an empty password or a hostile username', async () => {
      const directory = new LdapDirectory(options());
      const binds = spyBinds();
      expect(await directory.authenticate('mallory', 'whatever')).toEqual({ outcome: 'invalid_credentials' });
      expect(await directory.authenticate('*', 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
      expect(await directory.authenticate('alice)(uid=*', 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
      expect(binds.total()).toBe(binds.as(serviceDn()));
      expect(await directory.authenticate('alice', '')).toEqual({ outcome: 'invalid_credentials' });
      expect(binds.total()).toBe(1);
      await directory.close();
    });

    it('a user bind that fails for a non-credential reason is DirectoryUnavailableError, not retried', async () => {
      const proxy = await startProxy();
      const directory = new LdapDirectory(options({ url: proxy.url }));
      try {
        expect(await directory.authenticate('alice', 'alice-password')).toMatchObject({ outcome: 'authenticated' }); // pooled connections up
        const binds = spyBinds();
        proxy.failNextRequest(ALICE.dn); // the user bind is cut mid-request (the search before it went through)
        await expect(directory.authenticate('alice', 'alice-password')).rejects.toBeInstanceOf(DirectoryUnavailableError);
        expect(binds.as(ALICE.dn)).toBe(1);
      } finally {
        await directory.close();
        await proxy.close();
      }
    });

    it('a user bind whose connection cannot even be opened is never sent (the password reaches no server)', async () => {
      const proxy = await startProxy();
      const directory = new LdapDirectory(options({ url: proxy.url }));
      try {
        await directory.findUser('alice'); // the search connection is pooled
        proxy.refuseNew(true); // the user-bind connection is dropped at once
        const binds = spyBinds();
        await expect(directory.authenticate('alice', 'alice-password')).rejects.toBeInstanceOf(DirectoryUnavailableError);
        expect(binds.as(ALICE.dn)).toBe(0);
      } finally {
        await directory.close();
        await proxy.close();
      }
    });
  });

  describe('service connection', () => {
    it('is bound once and reused, also by concurrent calls', async () => {
      const proxy = await startProxy();
      const directory = new LdapDirectory(options({ url: proxy.url, pool: { size: 4 } }));
      const binds = spyBinds();
      const found = await Promise.all(Array.from({ length: 20 }, (_, i) => directory.findUser(['alice', 'bob', 'carol', 'nobody'][i % 4]!)));
      expect(found.filter(Boolean)).toHaveLength(15);
      // A pool of at most `pool.size` connections, each bound once, then reused.
      const opened = proxy.connections();
      expect(opened).toBeGreaterThanOrEqual(1);
      expect(opened).toBeLessThanOrEqual(4);
      expect(binds.as(serviceDn())).toBe(opened);
      for (let i = 0; i < 10; i += 1) await directory.findUser('alice');
      expect(binds.as(serviceDn())).toBe(opened);
      expect(proxy.connections()).toBe(opened);
      await directory.close();
      await proxy.close();
    });

    it('binds again on a fresh connection after the server drops it', async () => {
      const proxy = await startProxy();
      const directory = new LdapDirectory(options({ url: proxy.url }));
      const binds = spyBinds();
      expect(sortedGroups(await directory.findUser('alice'))).toEqual(ALICE);
      proxy.cutAll();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sortedGroups(await directory.findUser('alice'))).toEqual(ALICE);
      expect(binds.as(serviceDn())).toBe(2);
      await directory.close();
      await proxy.close();
    });

    it('retries a search once when a reused connection turns out dead mid-request', async () => {
      const proxy = await startProxy();
      const logger = recordingLogger();
      const directory = new LdapDirectory(options({ url: proxy.url, logger }));
      expect(await directory.findUser('alice')).not.toBeNull();
      proxy.failNextRequest();
      expect(sortedGroups(await directory.findUser('alice'))).toEqual(ALICE);
      expect(proxy.connections()).toBe(2);
      expect(logger.lines.some((line) => /reconnecting once/.test(line.msg ?? ''))).toBe(true);
      await directory.close();
      await proxy.close();
    });

    it('turns a rejected service account into DirectoryUnavailableError, never into invalid_credentials', async () => {
      const logger = recordingLogger();
      const directory = new LdapDirectory(options({ bindPassword: 'not-the-service-password', logger }));
      await expect(directory.findUser('alice')).rejects.toBeInstanceOf(DirectoryUnavailableError);
      await expect(directory.authenticate('alice', 'alice-password')).rejects.toBeInstanceOf(DirectoryUnavailableError);
      await expect(directory.ping()).rejects.toBeInstanceOf(DirectoryUnavailableError);
      expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.msg)).toContain('LDAP service account bind rejected: check bindDn / bindPassword');
      expect(JSON.stringify(logger.lines)).not.toContain('not-the-service-password');
      await directory.close();
    });
  });

  it('speaks plain LDAP on ldap:// even when tls options are set (ldapts would otherwise start TLS)', async () => {
    const firstBytes: number[] = [];
    const recorder = createServer((socket) =>
      socket.once('data', (chunk) => {
        firstBytes.push(chunk[0]!);
        socket.destroy();
      }),
    ).listen(0, '127.0.0.1');
    await once(recorder, 'listening');
    const { port } = recorder.address() as AddressInfo;
    const directory = new LdapDirectory(options({ url: `ldap://127.0.0.1:${port}`, tls: { rejectUnauthorized: true } }));
    await expect(directory.ping()).rejects.toBeInstanceOf(DirectoryUnavailableError);
    expect(firstBytes).toEqual([0x30]); // an LDAPMessage SEQUENCE, not a TLS ClientHello (0x16)
    await directory.close();
    recorder.close();
  });

  describe('an unreachable directory', () => {
    it('rejects with DirectoryUnavailableError within a few seconds on a dead port (findUser, authenticate, ping)', async () => {
      const directory = new LdapDirectory(options({ url: 'ldap://127.0.0.1:1' }));
      for (const call of [(): Promise<unknown> => directory.findUser('alice'), () => directory.authenticate('alice', 'alice-password'), () => directory.ping()]) {
        const { ms, outcome } = await elapsed(call);
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DirectoryUnavailableError);
        expect((outcome as PromiseRejectedResult).reason.message).toMatch(/ECONNREFUSED/);
        expect(ms).toBeLessThan(3000);
      }
      await directory.close();
    });

    it('rejects with DirectoryUnavailableError after timeoutMs when the server accepts but never answers', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => void sockets.add(socket)).listen(0, '127.0.0.1');
      await once(silent, 'listening');
      const { port } = silent.address() as AddressInfo;
      const directory = new LdapDirectory(options({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 500 }));
      try {
        for (const call of [(): Promise<unknown> => directory.findUser('alice'), () => directory.authenticate('alice', 'alice-password'), () => directory.ping()]) {
          const { ms, outcome } = await elapsed(call);
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DirectoryUnavailableError);
          expect((outcome as PromiseRejectedResult).reason.message).toMatch(/timed out/);
          expect(ms).toBeGreaterThanOrEqual(450);
          expect(ms).toBeLessThan(2000);
        }
      } finally {
        await directory.close();
        for (const socket of sockets) socket.destroy();
        silent.close();
      }
    });
  });

  describe('attribute mapping and filters', () => {
    it('can take the subject from entryUUID', async () => {
      const directory = new LdapDirectory(options({ attributes: { subject: 'entryUUID' } }));
      const alice = await directory.findUser('alice');
      expect(alice).toEqual({ ...ALICE, subject: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/), groups: expect.any(Array) });
      const auth = await directory.authenticate('alice', 'alice-password');
      expect(auth).toMatchObject({ outcome: 'authenticated', user: { subject: alice!.subject } });
      await directory.close();
    });

    it('treats a filter matching several entries as nobody, and warns (ambiguous)', async () => {
      const logger = recordingLogger();
      const directory = new LdapDirectory(options({ userFilter: '(|(uid={username})(objectClass=inetOrgPerson))', logger }));
      const binds = spyBinds();
      expect(await directory.findUser('alice')).toBeNull();
      expect(await directory.authenticate('alice', 'alice-password')).toEqual({ outcome: 'invalid_credentials' });
      expect(binds.as(ALICE.dn)).toBe(0);
      expect(logger.lines.some((line) => line.level === 'warn' && /ambiguous/.test(line.msg ?? ''))).toBe(true);
      await directory.close();
    });

    it('searches the whole suffix without finding the service account or groups', async () => {
      const directory = new LdapDirectory(options({ baseDn: process.env.LDAP_BASE_DN ?? 'dc=example,dc=org' }));
      expect(sortedGroups(await directory.findUser('alice'))).toEqual(ALICE);
      expect(await directory.findUser('authz-service')).toBeNull();
      expect(await directory.authenticate('authz-service', process.env.LDAP_BIND_PASSWORD!)).toEqual({ outcome: 'invalid_credentials' });
      await directory.close();
    });

    it('accepts a custom filter and name attribute (cn)', async () => {
      const directory = new LdapDirectory(options({ userFilter: '(&(objectClass=person)(|(uid={username})(mail={username})))', attributes: { name: 'cn' } }));
      expect(sortedGroups(await directory.findUser('alice@example.org'))).toEqual(ALICE);
      const result = await directory.authenticate('alice@example.org', 'alice-password');
      expect(result).toMatchObject({ outcome: 'authenticated', user: { subject: 'alice', name: 'Alice Anderson' } });
      expect(await directory.findUser('*@example.org')).toBeNull();
      await directory.close();
    });
  });
});
