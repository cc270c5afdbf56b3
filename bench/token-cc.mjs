#!/usr/bin/env node
// client_credentials on one core: the token service (built: `npm run build`) pinned to one CPU with
// taskset, real Kafka (acks=all) and PostgreSQL, against bench/load.mjs pinned to another CPU.
// Prints one JSON line: rps, latency percentiles, statuses. A fresh database and topic prefix per run,
// dropped afterwards.
//
//   KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
//     node bench/token-cc.mjs [--duration 10] [--connections 64] [--server-cpu 1] [--load-cpu 0] [--cpu-prof <dir>]
//
// --cpu-prof writes the token service's V8 CPU profile (open it in Chrome DevTools or speedscope).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    'server-cpu': { type: 'string', default: '1' },
    'load-cpu': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    // Another build of the suite to measure (e.g. a checkout of an older commit with its own dist/).
    root: { type: 'string' },
    // `bare`: measure bench/bare-es256-server.mjs instead (the reference: secret check + one ES256 signature).
    target: { type: 'string', default: 'token' },
    // Extra node flags for the server, e.g. --node-flag=--max-semi-space-size=64
    'node-flag': { type: 'string', multiple: true, default: [] },
    // GET this path instead of POST /token (e.g. /.well-known/oauth-authorization-server: the framework's floor).
    get: { type: 'string' },
    // POST the client_credentials request to another path (an experimental route of another build).
    path: { type: 'string', default: '/token' },
  },
});
const root = values.root ? resolve(values.root) : here;
const CLIENT = 'Basic ' + Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64');
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const run = randomBytes(4).toString('hex');
const database = `bench_${run}`;
const prefix = `bench-${run}.`;
const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();

async function sql(text) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});

await sql(`CREATE DATABASE ${database}`);
const nodeArgs = [...values['node-flag'], ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [])];
const entry = values.target === 'bare' ? [join(here, 'bench', 'bare-es256-server.mjs')] : ['-r', join(root, 'tools', 'aliases.cjs'), join(root, 'dist', 'apps', 'token', 'src', 'main.js')];
const server = spawn('taskset', ['-c', values['server-cpu'], process.execPath, ...nodeArgs, ...entry], {
  cwd: root,
  env: {
    ...process.env,
    MODE: 'distributed',
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: 'https://issuer.bench.test',
    DATABASE_URL: databaseUrl,
    KAFKA_TOPIC_PREFIX: prefix,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const exited = new Promise((resolve) => server.once('exit', resolve));

try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the token service exited with ${server.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${port}/${values.target === 'bare' ? 'token' : 'healthz/ready'}`, values.target === 'bare' ? { method: 'POST', headers: { authorization: CLIENT }, body: 'grant_type=client_credentials' } : {}).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the token service was not ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const load = spawn(
    'taskset',
    [
      '-c',
      values['load-cpu'],
      process.execPath,
      join(here, 'bench', 'load.mjs'),
      '--url',
      `http://127.0.0.1:${port}${values.get ?? values.path}`,
      '--method',
      values.get ? 'GET' : 'POST',
      '--connections',
      values.connections,
      '--duration',
      values.duration,
      '--warmup',
      values.warmup,
      '--header',
      `authorization: ${CLIENT}`,
      '--header',
      'content-type: application/x-www-form-urlencoded',
      '--body',
      values.get ? '' : 'grant_type=client_credentials',
      '--pid',
      String(server.pid),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  load.stdout.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => load.once('exit', resolve));
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  const result = JSON.parse(output);
  const bench = values.target === 'bare' ? 'reference: bare node:http, SHA-256 secret check + one ES256 JWT, one core' : `client_credentials, token service${values.root ? ` (${values.root})` : ''} on one core, Kafka acks=all`;
  process.stdout.write(`${JSON.stringify({ bench, serverCpu: values['server-cpu'], ...result })}\n`);
} finally {
  server.kill('SIGINT');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (server.exitCode === null) server.kill('SIGKILL');
  await sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}
