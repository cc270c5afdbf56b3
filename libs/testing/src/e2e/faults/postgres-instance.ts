import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../service-process';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of a test's own (initdb in a temporary directory, trust authentication, one
 * database), on a port of its own, which the test stops the hard way (`pg_ctl stop -m immediate`: the
 * postmaster and every backend quit at once, like a crash; WAL recovery on the next start) and starts
 * again. initdb refuses to run as root: as root, the cluster belongs to the `postgres` user (runuser).
 * The shared PostgreSQL is never touched.
 */
export class PostgresInstance {
  private readonly dir: string;
  private readonly asRoot = userInfo().uid === 0;

  private constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'authz-pg-'));
    if (this.asRoot) {
      const { uid, gid } = postgresUser();
      chownSync(this.dir, uid, gid);
    }
  }

  static async create(database: string): Promise<PostgresInstance> {
    const instance = new PostgresInstance(await freePort());
    await instance.pg('initdb', ['-D', instance.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await instance.up();
    const client = new Client({ connectionString: instance.url('postgres') });
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
    return instance;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** Starts the cluster and waits until it accepts connections. */
  async up(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    await this.pg('pg_ctl', ['-D', this.data, '-o', options, '-l', join(this.dir, 'postgres.log'), '-w', '-t', '60', 'start']);
  }

  /** Immediate shutdown: every connection is cut at once, nothing is flushed (crash-like). */
  async kill(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const [command, commandArgs] = this.asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]] : [join(BIN, tool), args];
    await run(command, commandArgs as string[], { timeout: 90_000 });
  }
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
