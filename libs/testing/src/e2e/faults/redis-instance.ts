import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../service-process';

/**
 * A redis-server of a test's own (no persistence: `--save "" --appendonly no`), on a port of its own,
 * which the test kills (SIGKILL: its data is gone, like a cache node replaced) and starts again on the
 * same port. The shared Redis is never touched.
 */
export class RedisInstance {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async create(): Promise<RedisInstance> {
    return new RedisInstance(await freePort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it and waits until it answers PING. */
  async up(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      const pong = await client
        .connect()
        .then(() => client.ping())
        .catch(() => undefined);
      client.disconnect();
      if (pong === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGSTOP (`true`) or SIGCONT (`false`): a Redis that hangs, its connections open and silent. */
  freeze(frozen: boolean): void {
    this.child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL, and waits until it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
