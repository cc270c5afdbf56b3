// Processes of a benchmark run: spawned pinned to a CPU (taskset), waited for, all stopped at the end.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const children = new Set();

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `command args` pinned to `cpu`; its output is kept (the last 20 kB) for the error message. */
export function spawnPinned(name, cpu, command, args, options = {}) {
  const child = spawn('taskset', ['-c', String(cpu), command, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { name, child, output: () => output };
}

/** Waits until `probe()` is true (the process must stay alive). */
export async function waitReady(proc, probe, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${proc.output()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${proc.name} was not ready within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs a command to completion; resolves with its stdout (rejects on a non-zero exit). */
export function runToEnd(name, cpu, command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawnPinned(name, cpu, command, args, options);
    let stdout = '';
    proc.child.stdout.on('data', (chunk) => (stdout += chunk));
    proc.child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${name} exited with ${code}:\n${proc.output()}`))));
  });
}

export async function stop(proc) {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  child.kill('SIGCONT'); // a paused subject (run.mjs, pauseOthers) handles its SIGTERM once continued
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Stops every process this run started (also on an error or Ctrl-C). */
export async function stopAll() {
  await Promise.all([...children].map((child) => stop({ child })));
}
