import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';

const run = promisify(execFile);
/** deploy/local/ldap.sh of this checkout (from the sources or from dist/). */
const SCRIPT = join(__dirname.replace(/\/dist\/libs\/.*$/, '/libs/adapters/src/ldap'), '..', '..', '..', '..', 'deploy', 'local', 'ldap.sh');

export const SLAPD_BASE_DN = 'dc=example,dc=org';
const ADMIN = { dn: `cn=admin,${SLAPD_BASE_DN}`, password: 'admin-password' };

/**
 * For tests and benchmarks (not used by the services): a slapd of a test's own (deploy/local/ldap.sh: the same config and seed as the shared one, with the
 * memberof and ppolicy overlays) on its own port and state directory, for directory state that must not
 * leak into other tests (locked or expired accounts, a stopped server). Works wherever services.sh does.
 */
export class SlapdInstance {
  readonly url: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly dir: string;

  constructor(port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'authz-ldap-'));
    this.url = `ldap://127.0.0.1:${port}`;
    this.env = { ...process.env, AUTHZ_STATE_DIR: this.dir, AUTHZ_LDAP_PORT: String(port), SLAPD_DEBUG: 'none' };
  }

  /** Starts it (seeded on first start) and waits until it answers. */
  async up(): Promise<void> {
    await run('bash', [SCRIPT, 'up'], { env: this.env, timeout: 60_000 });
  }

  /** Stops it; the data stays for the next `up`. */
  async down(): Promise<void> {
    await run('bash', [SCRIPT, 'down'], { env: this.env, timeout: 60_000 });
  }

  /** Stops it and deletes its data. */
  async destroy(): Promise<void> {
    await run('bash', [SCRIPT, 'down', '--purge'], { env: this.env, timeout: 60_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async asAdmin(work: (client: Client) => Promise<void>): Promise<void> {
    const client = new Client({ url: this.url });
    try {
      await client.bind(ADMIN.dn, ADMIN.password);
      await work(client);
    } finally {
      await client.unbind();
    }
  }

  /** A person `uid=<uid>,ou=people` with password `<uid>-password` and, if given, a password policy of their own. */
  async addUser(uid: string, policy?: Record<string, string | string[]>, extra: Record<string, string | string[]> = {}): Promise<string> {
    const dn = `uid=${uid},ou=people,${SLAPD_BASE_DN}`;
    await this.asAdmin(async (client) => {
      if (policy) {
        await client.add(`cn=${uid}-policy,ou=policies,${SLAPD_BASE_DN}`, {
          objectClass: ['top', 'organizationalRole', 'pwdPolicy'],
          cn: `${uid}-policy`,
          pwdAttribute: 'userPassword',
          ...policy,
        });
      }
      await client.add(dn, {
        objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
        uid,
        cn: uid,
        sn: uid,
        userPassword: `${uid}-password`,
        ...(policy ? { pwdPolicySubentry: `cn=${uid}-policy,ou=policies,${SLAPD_BASE_DN}` } : {}),
        ...extra,
      });
    });
    return dn;
  }
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released) for a slapd of a test's own. */
export async function freeSlapdPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
