import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../provision';

export type RunningService = { name: string; url: string; process: ChildProcess; output: () => string };

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts a compiled app (`npm run build` first) as its own process, and waits until /healthz/ready is 200. */
export async function startServiceProcess(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<RunningService> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['-r', join(WORKSPACE_ROOT, 'tools', 'aliases.cjs'), join(WORKSPACE_ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/healthz/ready`).then((response) => response.status === 200, () => false);
    if (ready) return { name, url, process: child, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${output}`);
}

export async function stopServiceProcess(service: RunningService): Promise<void> {
  // Exited already (a process ended by a signal has a signalCode and no exitCode).
  if (service.process.exitCode !== null || service.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => service.process.once('exit', () => resolve()));
  service.process.kill('SIGTERM');
  const timer = setTimeout(() => service.process.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
