#!/usr/bin/env node
// Pooled password-grant throughput against slapd's own bind rate (issue "Enterprise LDAP": goal ≥ 0.9).
// Starts its own slapd (deploy/local/ldap.sh, own port and state directory: the shared one is not
// disturbed), the identity and token services (dist/), then measures at the same concurrency:
//
//   1. slapd's bind rate: C ldapts connections, each binding as alice in a loop (no search);
//   2. LdapDirectory.authenticate (dist/): the pooled service-account search + one bind on the bind pool;
//   3. POST /token grant_type=password: the token service → the identity service (HTTP) → LDAP, with the
//      brute-force counters (Redis) and oauth.user.authenticated.v1 + oauth.access_token.issued.v1 (Kafka acks=all).
//
// The four are measured in rounds of back-to-back windows (--duration seconds each, --rounds rounds), so a
// round's ratios share the machine's load; prints one JSON line per round, then the medians. Needs `npm run build` and the shared Kafka, PostgreSQL, Redis:
//   KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
//     node bench/ldap-password.mjs [--duration 3] [--rounds 5] [--connections 32] [--pool 16] [--user-cache-ms 0]
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Client } from 'ldapts';
import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    pool: { type: 'string', default: '16' },
    // LDAP_USER_CACHE_MS for steps 2 and 3 (0: every login searches).
    'user-cache-ms': { type: 'string', default: '0' },
  },
});
const duration = Number(values.duration) * 1000;
const connections = Number(values.connections);
const run = randomBytes(4).toString('hex');
const ALICE = 'uid=alice,ou=people,dc=example,dc=org';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Runs `work` on `connections` concurrent loops for the duration; returns operations per second. */
async function closedLoop(work) {
  let done = 0;
  let errors = 0;
  const end = Date.now() + duration;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, index) => {
      while (Date.now() < end) {
        try {
          await work(index);
          done += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { perSecond: Math.round((done / (Date.now() - started)) * 1000), done, errors };
}

// --- our own slapd ---
const stateDir = mkdtempSync(join(tmpdir(), 'authz-bench-ldap-'));
const ldapPort = await freePort();
const ldapEnv = { ...process.env, AUTHZ_STATE_DIR: stateDir, AUTHZ_LDAP_PORT: String(ldapPort), SLAPD_DEBUG: 'none' };
const ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
await promisify(execFile)('bash', [join(here, 'deploy/local/ldap.sh'), 'up'], { env: ldapEnv });

const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = `bench_${run}`;
const prefix = `bench-${run}.`;
const children = [];
const results = {};
try {
  const require = createRequire(import.meta.url);
  require(join(here, 'tools', 'aliases.cjs'));
  const { LdapDirectory } = require(join(here, 'dist', 'libs', 'adapters', 'src', 'ldap', 'ldap-directory.js'));

  // The services of step 3, started first: every window below runs while all of them are up.
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${database}`);
  await client.end();
  const secret = randomBytes(32).toString('base64url');
  const clientsFile = join(stateDir, 'clients.json');
  writeFileSync(
    clientsFile,
    JSON.stringify({
      clients: [
        {
          client_id: 'bench-password',
          client_name: 'bench: password grant',
          client_secret_hash: `sha256:${createHash('sha256').update(secret).digest('base64url')}`,
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['password'],
          scope: 'api:read',
          default_scope: 'api:read',
          audience: ['https://api.example.org'],
        },
      ],
    }),
  );
  const [identityPort, tokenPort] = [await freePort(), await freePort()];
  const internalToken = randomBytes(32).toString('base64url');
  const common = {
    ...process.env,
    MODE: 'distributed',
    HOST: '127.0.0.1',
    ISSUER: 'https://issuer.bench.test',
    DATABASE_URL: Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString(),
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_KEY_PREFIX: `bench-${run}:`,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    IDENTITY_INTERNAL_TOKEN: internalToken,
    IDENTITY_URL: `http://127.0.0.1:${identityPort}`,
    CLIENTS_FILE: clientsFile,
    LDAP_URL: ldapUrl,
    LDAP_BASE_DN: 'ou=people,dc=example,dc=org',
    LDAP_BIND_DN: 'cn=authz-service,ou=services,dc=example,dc=org',
    LDAP_BIND_PASSWORD: 'authz-service-password',
    LDAP_POOL_SIZE: values.pool,
    LDAP_USER_CACHE_MS: values['user-cache-ms'],
    LOG_LEVEL: 'warn',
  };
  for (const [app, port] of [
    ['identity', identityPort],
    ['token', tokenPort],
  ]) {
    children.push(
      spawn(process.execPath, ['-r', join(here, 'tools', 'aliases.cjs'), join(here, 'dist', 'apps', app, 'src', 'main.js')], {
        cwd: here,
        env: { ...common, PORT: String(port) },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
  }
  const deadline = Date.now() + 90_000;
  for (const port of [identityPort, tokenPort]) {
    while (!(await fetch(`http://127.0.0.1:${port}/healthz/ready`).then((response) => response.ok, () => false))) {
      if (Date.now() > deadline) throw new Error(`service on ${port} not ready: ${await fetch(`http://127.0.0.1:${port}/healthz/ready`).then((response) => response.text(), String)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  const bindClients = Array.from({ length: connections }, () => new Client({ url: ldapUrl }));
  const directory = new LdapDirectory({
    url: ldapUrl,
    bindDn: 'cn=authz-service,ou=services,dc=example,dc=org',
    bindPassword: 'authz-service-password',
    baseDn: 'ou=people,dc=example,dc=org',
    pool: { size: Number(values.pool) },
    userCacheMs: Number(values['user-cache-ms']),
  });
  const http = async (url, headers, body) => {
    const load = spawn(
      process.execPath,
      [join(here, 'bench', 'load.mjs'), '--url', url, '--connections', String(connections), '--duration', String(duration / 1000), '--warmup', '1', ...headers.flatMap((header) => ['--header', header]), '--body', body],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    load.stdout.on('data', (chunk) => (output += chunk));
    await new Promise((resolve) => load.once('exit', resolve));
    const result = JSON.parse(output);
    if (Object.keys(result.statuses).some((status) => status !== '200')) throw new Error(`non-200 answers: ${JSON.stringify(result.statuses)}`);
    return { perSecond: result.rps, p50: result.latencyMs.p50, p99: result.latencyMs.p99 };
  };
  /** The four measurements, one window each, back to back (so that each round's ratios share the machine's load). */
  const steps = {
    slapdBinds: () => closedLoop((index) => bindClients[index].bind(ALICE, 'alice-password')),
    directory: () =>
      closedLoop(async () => {
        const result = await directory.authenticate('alice', 'alice-password');
        if (result.outcome !== 'authenticated') throw new Error(result.outcome);
      }),
    identity: () =>
      http(
        `http://127.0.0.1:${identityPort}/internal/v1/authenticate`,
        [`authorization: Bearer ${internalToken}`, 'content-type: application/json'],
        JSON.stringify({ username: 'alice', password: 'alice-password', client_id: 'bench-password' }),
      ),
    passwordGrant: () =>
      http(
        `http://127.0.0.1:${tokenPort}/token`,
        [`authorization: Basic ${Buffer.from(`bench-password:${secret}`).toString('base64')}`, 'content-type: application/x-www-form-urlencoded'],
        'grant_type=password&username=alice&password=alice-password',
      ),
  };
  for (const step of Object.values(steps)) await step(); // warm-up: pools filled, JIT warm
  const rounds = [];
  for (let round = 0; round < Number(values.rounds); round += 1) {
    const measured = {};
    for (const [name, step] of Object.entries(steps)) measured[name] = await step();
    const ratio = (name) => Number((measured[name].perSecond / measured.slapdBinds.perSecond).toFixed(3));
    rounds.push({ round, loadAverage: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]), ...Object.fromEntries(Object.entries(measured).map(([name, value]) => [name, value.perSecond])), directoryRatio: ratio('directory'), identityRatio: ratio('identity'), passwordGrantRatio: ratio('passwordGrant') });
    process.stdout.write(`${JSON.stringify(rounds.at(-1))}\n`);
  }
  await Promise.all(bindClients.map((bindClient) => bindClient.unbind()));
  await directory.close();
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  results.summary = {
    bench: 'password grant vs slapd binds (per second, medians of interleaved rounds)',
    connections,
    pool: Number(values.pool),
    userCacheMs: Number(values['user-cache-ms']),
    windowSeconds: duration / 1000,
    rounds: rounds.length,
    slapdBinds: median(rounds.map((round) => round.slapdBinds)),
    directory: median(rounds.map((round) => round.directory)),
    identity: median(rounds.map((round) => round.identity)),
    passwordGrant: median(rounds.map((round) => round.passwordGrant)),
    directoryRatio: median(rounds.map((round) => round.directoryRatio)),
    identityRatio: median(rounds.map((round) => round.identityRatio)),
    passwordGrantRatio: median(rounds.map((round) => round.passwordGrantRatio)),
  };
  process.stdout.write(`${JSON.stringify(results.summary)}\n`);
} finally {
  // The token service first: its keep-alive calls to the identity service end before that one does.
  for (const child of [...children].reverse()) {
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await promisify(execFile)('bash', [join(here, 'deploy/local/ldap.sh'), 'down', '--purge'], { env: ldapEnv }).catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await client.end();
  const admin = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}
