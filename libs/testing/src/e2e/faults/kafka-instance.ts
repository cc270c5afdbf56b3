import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WORKSPACE_ROOT } from '../../provision';
import { freePort } from '../service-process';
import { processGone } from './process-gone';

const run = promisify(execFile);
const SCRIPT = join(WORKSPACE_ROOT, 'deploy', 'local', 'kafka.sh');

/**
 * A Kafka broker of a test's own (deploy/local/kafka.sh: the same jars, server.properties template and
 * KRaft single-node set-up as the shared one), on ports and a state directory of its own, so a test
 * can kill it and start it again with its data. The shared broker is never touched.
 */
export class KafkaInstance {
  readonly brokers: string;
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(port: number, controllerPort: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'authz-kafka-'));
    this.brokers = `127.0.0.1:${port}`;
    this.env = { ...process.env, AUTHZ_STATE_DIR: this.dir, AUTHZ_KAFKA_PORT: String(port), AUTHZ_KAFKA_CONTROLLER_PORT: String(controllerPort) };
  }

  static async create(): Promise<KafkaInstance> {
    const port = await freePort();
    let controller = await freePort();
    while (controller === port) controller = await freePort();
    return new KafkaInstance(port, controller);
  }

  /** Starts the broker (storage formatted on the first start) and waits until it logged "Kafka Server started". Resolves with the time it took (ms). */
  async up(): Promise<number> {
    const started = performance.now();
    await run('bash', [SCRIPT, 'up'], { env: this.env, timeout: 180_000 });
    return performance.now() - started;
  }

  /** SIGKILL to the broker JVM (no clean shutdown), and waits until it is gone. The data stays for the next `up`. */
  async kill(): Promise<void> {
    const pid = this.pid();
    process.kill(pid, 'SIGKILL');
    await processGone(pid);
  }

  /** SIGSTOP (`true`) or SIGCONT (`false`) to the broker JVM: a broker that hangs, its connections open and silent. */
  freeze(frozen: boolean): void {
    process.kill(this.pid(), frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  private pid(): number {
    return Number(readFileSync(join(this.dir, 'kafka.pid'), 'utf8').trim());
  }

  /** Stops it (if running) and deletes its data. */
  async destroy(): Promise<void> {
    await run('bash', [SCRIPT, 'down', '--purge'], { env: this.env, timeout: 60_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
