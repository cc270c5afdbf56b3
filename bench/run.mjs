#!/usr/bin/env node
// `npm run bench`: our suite beside the physical limit and node-oidc-provider, in one run.
//
//   npm run build && set -a && . /tmp/services.env && set +a      # Kafka, PostgreSQL, Redis, slapd
//   npm run bench [-- --scenarios cc,introspect --reps 3 --duration 5 --warmup 2 --connections 64]
//   npm run bench -- --smoke        # a few seconds per scenario, all checks on (CI)
//   npm run bench -- --help         # the options
//
// Starts what it needs (the limit server, our services as deployed, node-oidc-provider), each system
// under test pinned to one CPU (--sut-cpu, default 0) and the load generator and the services they
// call on the other (--other-cpu, default 1); runs every scenario `reps` times, the subjects
// interleaved (limit, ours, peer, limit, ours, peer, …) so drift of a shared machine touches all of
// them alike; discards a warm-up before each measured run; reports the median. Any non-2xx answer
// (other than a replay's expected refusal) fails the run. Stops everything it started, drops the run's
// database, topics and Redis keys, and writes bench/results/<time>.json, .md and .svg.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { basic, benchClientId, benchSecret, SEED } from './lib/clients.mjs';
import { runToEnd, stop, stopAll } from './lib/proc.mjs';
import { markdown, median, svgChart } from './lib/report.mjs';
import { mintCodes, pool, post, prepareOursContext, redeem, rotate, startLimit, startOurs, startPeer, startRevocation, startSuite, startTokenInMemory } from './lib/subjects.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The order of a run, whatever order --scenarios names them in: the token endpoint's scenarios first, the
// revocation scenarios last. Those start the revocation service (with the projector, which writes every
// issued token into PostgreSQL) and a second introspection replica on the other CPU, beside the load
// generator, Kafka and PostgreSQL; run before them, a token scenario would be measured against that work
// too, which a deployment runs elsewhere (in the 07:32 run of 2026-11-22, `emission` after `introspect`:
// 8,459 tokens/s with Kafka against 11,653 with the in-memory bus, at the same CPU per token; without the
// projector running, 13,050 against 11,117).
const ALL = ['cc', 'cc-1000', 'code', 'refresh', 'password', 'emission', 'projection', 'introspect', 'propagation'];
const USAGE = `usage: npm run bench [-- --scenarios ${ALL.join(',')}] [--subjects limit,ours,peer] [--reps 3] [--duration 5]
         [--warmup 2] [--connections 64] [--smoke] [--sut-cpu 0] [--other-cpu 1] [--out bench/results]
         [--cpu-prof DIR] [--node-flags="--trace-gc …"]      (docs/benchmarks.md, "How to reproduce")`;
const { values: options } = parseOptions({
  options: {
    help: { type: 'boolean', default: false },
    scenarios: { type: 'string', default: ALL.join(',') },
    // Only these subjects (e.g. `ours` while profiling); the ratios need limit and peer.
    subjects: { type: 'string' },
    reps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'sut-cpu': { type: 'string', default: '0' },
    'other-cpu': { type: 'string', default: '1' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    // Writes our services' V8 CPU profiles there (bench/profile-summary.mjs reads them).
    'cpu-prof': { type: 'string' },
    // More V8/Node flags for our processes on the SUT CPU (--node-flags="--trace-gc --max-semi-space-size=64"),
    // their output written to <out>/node-<run id>-<service>-<pid>.log.
    'node-flags': { type: 'string' },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const smoke = options.smoke;
const settings = {
  reps: Number(options.reps ?? (smoke ? 1 : 3)),
  duration: Number(options.duration ?? (smoke ? 1 : 5)),
  warmup: Number(options.warmup ?? (smoke ? 1 : 2)),
  connections: Number(options.connections ?? (smoke ? 16 : 64)),
};
/** parseArgs, with a usage line instead of a stack trace for an unknown or malformed option. */
function parseOptions(config) {
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
}
const requested = options.scenarios.split(',').map((name) => name.trim());
for (const name of requested) {
  if (!ALL.includes(name)) {
    console.error(`unknown scenario ${name} (known: ${ALL.join(', ')})\n${USAGE}`);
    process.exit(2);
  }
}
const selected = ALL.filter((name) => requested.includes(name));
if (!existsSync(join(root, 'dist', 'apps', 'token', 'src', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_URL', 'LDAP_URL']) if (!process.env[name]) throw new Error(`${name} is not set (see the README: the real services)`);

const run = randomBytes(4).toString('hex');
const adminUrl = process.env.DATABASE_URL;
const dbUrl = (name) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const ctx = {
  root,
  run,
  clients: 1000,
  sutCpu: options['sut-cpu'],
  // A one-CPU machine (some CI runners) shares its CPU: the figures are then not per core.
  otherCpu: cpus().length > 1 ? options['other-cpu'] : options['sut-cpu'],
  cpuProf: options['cpu-prof'],
  nodeFlags: options['node-flags']?.split(/\s+/).filter(Boolean) ?? [],
  out: options.out,
  prefix: `bench-${run}.`,
  redisPrefix: `bench-${run}:`,
  database: `bench_${run}`,
  databaseUrl: dbUrl(`bench_${run}`),
  suiteDatabaseUrl: dbUrl(`bench_${run}_suite`),
  work: join(tmpdir(), `bench-${run}`),
};
mkdirSync(ctx.work, { recursive: true });
const log = (text) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

async function sql(text, url = adminUrl) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- load generators

/** wrk (pinned to the other CPU), bench/wrk/bench.lua, one thread, `connections` connections. */
async function wrk(url, env, seconds, connections = settings.connections) {
  const stdout = await runToEnd('wrk', ctx.otherCpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', join(root, 'bench', 'wrk', 'bench.lua'), url], { env: { ...process.env, ...env } });
  const line = stdout.split('\n').find((text) => text.startsWith('{'));
  return JSON.parse(line);
}

/** wrk's warm-up (discarded) then the measured run; non-2xx or socket errors fail the run. */
const warmed = new Set();
async function measureWrk(url, env, pid, check = () => undefined, withHalfLoad = false) {
  // The first run against a process warms it twice as long (JIT, connection pools, caches).
  await wrk(url, env, warmed.has(url) || smoke ? settings.warmup : 2 * settings.warmup);
  warmed.add(url);
  const cpuBefore = cpuSeconds(pid);
  const result = await wrk(url, env, settings.duration);
  const cpu = cpuSeconds(pid) - cpuBefore;
  if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors in the measured run`);
  const failure = check(result);
  if (failure) throw new Error(`${url}: ${failure}`);
  const rps = Math.round(result.requests / result.seconds);
  return {
    rps,
    p50: result.p50,
    p99: result.p99,
    max: result.max,
    requests: result.requests,
    ...cpuFigures(cpu, result.requests),
    ...(result.answers ? { activeShare: Number((result.active / result.answers).toFixed(3)) } : {}),
    ...(withHalfLoad ? await measureHalfLoad(url, env, rps, check) : {}),
  };
}

/**
 * Latency below saturation: a paced run at about half the rate the subject just sustained. A closed loop
 * of `connections` at saturation measures mostly the queue (mean latency = connections / rate, by
 * Little's law), not how fast a request is served; the p99 goals are judged here. Each connection
 * pauses PACE_MS before each request (wrk times a request from its sending: a stall of the server
 * delays the next sends of a connection instead of being counted, so the tail is if anything
 * understated; the achieved rate is reported).
 */
const PACE_MS = 20;
async function measureHalfLoad(url, env, saturatedRps, check) {
  const target = saturatedRps / 2;
  const paced = { ...env, BENCH_DELAY_MS: String(PACE_MS) };
  // A connection sends one request per PACE_MS plus the request's own latency: a short first run
  // learns that latency at about this rate, and the measured run opens the connections that offer it.
  const probe = await wrk(url, paced, 1, Math.max(2, Math.round(target * (PACE_MS / 1000))));
  const connections = Math.max(2, Math.round(target * ((PACE_MS + probe.p50) / 1000)));
  const result = await wrk(url, paced, smoke ? settings.duration : Math.max(3, settings.duration), connections);
  if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${url} (half load): ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`);
  const failure = check(result);
  if (failure) throw new Error(`${url} (half load): ${failure}`);
  return { halfLoadRps: Math.round(result.requests / result.seconds), halfLoadP50: result.p50, halfLoadP99: result.p99 };
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function cpuSeconds(pid) {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The SUT's CPU time per request over the measured run, and what one fully busy core would sustain at
 * that cost: a figure a shared machine disturbs less than the rate (waiting on a busy broker costs no CPU).
 */
const cpuFigures = (cpu, requests) => (cpu > 0 && requests > 0 ? { cpuUsPerRequest: Math.round((cpu * 1e6) / requests), perCoreRps: Math.round(requests / cpu) } : {});

/** bench/lib/flows-load.mjs (pinned to the other CPU): one-use codes and refresh chains. */
async function measureFlow(spec) {
  const file = join(ctx.work, `flow-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify({ pid: spec.pid, connections: settings.connections, warmup: settings.warmup, duration: settings.duration, replayEvery: 100, ...spec }));
  const result = JSON.parse(await runToEnd('flows-load', ctx.otherCpu, process.execPath, [join(root, 'bench', 'lib', 'flows-load.mjs'), file]));
  rmSync(file);
  if (result.unexpectedTotal > 0) throw new Error(`${spec.url}: ${result.unexpectedTotal} unexpected answers, e.g. ${JSON.stringify(result.unexpected)}`);
  if (spec.kind === 'refresh' && result.replaysCaught !== result.replaysSent) throw new Error(`${spec.url}: ${result.replaysSent - result.replaysCaught} replays not caught`);
  if (result.seconds < Math.min(1, settings.duration / 2)) throw new Error(`${spec.url}: the pre-minted values ran out after ${result.seconds} s`);
  return { rps: result.rps, p50: result.p50, p99: result.p99, max: result.max, requests: result.requests, ...cpuFigures(result.serverCpuSeconds, result.requests), exhausted: result.exhausted, ...(spec.kind === 'refresh' ? { replaysSent: result.replaysSent, replaysCaught: result.replaysCaught } : {}) };
}

// ---------------------------------------------------------------- subjects

const subjects = {};
const LABELS = { limit: 'limit (bare node:http)', ours: 'ours (services, Kafka acks=all)', peer: 'node-oidc-provider', 'ours-memory': 'ours token service, in-memory bus', 'suite-kafka': 'ours all-in-one, Kafka', 'suite-memory': 'ours all-in-one, in-memory bus' };
async function subject(name) {
  if (subjects[name]) return subjects[name];
  log(`starting ${name}`);
  if (name === 'limit') subjects[name] = await startLimit(ctx);
  else if (name === 'peer') subjects[name] = await startPeer(ctx);
  else if (name === 'ours') {
    await sql(`CREATE DATABASE ${ctx.database}`);
    ctx.databaseCreated = true;
    subjects[name] = await startOurs(ctx);
    // Smoke: the revocation scenarios' services start now, beside the first scenarios (a full run starts
    // them when needed, so their start-up does not disturb a measurement).
    if (smoke && (selected.includes('introspect') || selected.includes('propagation'))) {
      subjects[name].revocationStarting = startRevocation(ctx, subjects[name]);
      subjects[name].revocationStarting.catch(() => undefined); // awaited (and reported) where used
    }
  } else if (name === 'ours-memory') subjects[name] = await startTokenInMemory(ctx);
  else if (name === 'suite-kafka') {
    await sql(`CREATE DATABASE ${ctx.database}_suite`);
    ctx.suiteDatabaseCreated = true;
    subjects[name] = await startSuite(ctx, 'kafka');
  } else if (name === 'suite-memory') subjects[name] = await startSuite(ctx, 'memory');
  return subjects[name];
}

// ---------------------------------------------------------------- scenarios


const DEMO_SERVICE = basic('demo-service', SEED['demo-service']);
const DEMO_API = basic('demo-api', SEED['demo-api']);
const THREE = ['limit', 'ours', 'peer'];
/** Values one measured run may use (warm-up included), from the fastest rate seen so far, with a margin. */
// Capped: ours mints through the real /authorize (and codes live 60 s); a run that uses them all up is
// measured over the time it ran (at least 1 s, else it fails).
const needed = (rps, s) => Math.min(s.authorize ? (smoke ? 4000 : 20_000) : Infinity, Math.ceil((rps ?? 15_000) * (settings.warmup + settings.duration) * 1.3) + settings.connections);

const scenarios = {
  cc: {
    title: 'client_credentials, ES256, 1 client',
    short: 'cc',
    subjects: THREE,
    measure: (s) => measureWrk(s.token, { BENCH_AUTH: DEMO_SERVICE, BENCH_BODY: 'grant_type=client_credentials&scope=api%3Aread' }, s.pid, undefined, true),
  },
  'cc-1000': {
    title: 'client_credentials, ES256, 1000 clients',
    short: 'cc×1000',
    subjects: THREE,
    async prepare() {
      const file = join(ctx.work, 'auth-1000.txt');
      writeFileSync(file, Array.from({ length: ctx.clients }, (_, i) => basic(benchClientId(i), benchSecret(i))).join('\n'));
      return file;
    },
    measure: (s, file) => measureWrk(s.token, { BENCH_AUTH_FILE: file, BENCH_BODY: 'grant_type=client_credentials&scope=api%3Aread' }, s.pid, undefined, true),
  },
  code: {
    title: 'authorization code + PKCE exchange',
    short: 'code',
    subjects: THREE,
    async measure(s, _prepared, round) {
      const started = Date.now();
      const codes = await mintCodes(s, needed(round.best, s));
      log(`  minted ${codes.length} codes in ${Date.now() - started} ms`);
      return measureFlow({ kind: 'code', pid: s.pid, url: s.token, authorization: basic('demo-portal', SEED['demo-portal']), codes, redirectUri: s.redirectUri });
    },
  },
  refresh: {
    title: 'refresh rotation, 1% replays',
    short: 'refresh',
    subjects: THREE,
    async measure(s, _prepared, round) {
      const replayCount = Math.min(200, Math.ceil(needed(round.best, s) / 100));
      const codes = await mintCodes(s, settings.connections + replayCount);
      const tokens = await pool(codes.length, 16, (i) => redeem(s, codes[i]));
      const chains = tokens.slice(0, settings.connections);
      // A replay presents a refresh token whose successor was issued (rotated once here).
      const replays = tokens.slice(settings.connections);
      await pool(replays.length, 16, (i) => rotate(s, replays[i]));
      return measureFlow({ kind: 'refresh', pid: s.pid, url: s.token, authorization: basic('demo-portal', SEED['demo-portal']), chains, replays });
    },
  },
  introspect: {
    title: 'introspection, 90% active',
    short: 'introspect',
    subjects: THREE,
    async measure(s, _prepared, _round, name) {
      const file = join(ctx.work, `tokens-${name}.txt`);
      if (!s.introspectionTokens) s.introspectionTokens = await introspectionTokens(s, name);
      writeFileSync(file, s.introspectionTokens.join('\n'));
      return measureWrk(
        s.introspect,
        { BENCH_AUTH: DEMO_API, BENCH_TOKEN_FILE: file },
        s.introspectPid ?? s.pid,
        (result) => (Math.abs(result.active / result.answers - 0.9) > 0.03 ? `expected 90% active answers, got ${((100 * result.active) / result.answers).toFixed(1)}%` : undefined),
        true,
      );
    },
    note: { subject: 'peer', text: 'node-oidc-provider introspects its opaque access tokens (a JWT access token is not stored, so it cannot answer for one); ours and the limit verify ES256 JWTs' },
  },
  password: {
    title: 'password grant (slapd bind)',
    short: 'password',
    subjects: ['limit', 'ours'],
    measure: (s) => measureWrk(s.token, { BENCH_AUTH: basic('legacy-app', SEED['legacy-app']), BENCH_BODY: 'grant_type=password&username=alice&password=alice-password&scope=api%3Aread' }, s.pid),
    note: { subject: 'peer', text: 'n/a: node-oidc-provider has no password grant (removed with OAuth 2.1)' },
  },
  emission: {
    title: 'Kafka emission overhead (client_credentials, all-in-one)',
    short: 'emission',
    // The token service with the broker against the same service with its in-memory bus (the goal);
    // the all-in-one suite both ways beside it (its in-memory mode also runs the projector in-process).
    // (The smoke run leaves the all-in-one out: its two start-ups alone take half a minute.)
    subjects: smoke ? ['ours-memory', 'ours'] : ['ours-memory', 'ours', 'suite-memory', 'suite-kafka'],
    measure: (s) => measureWrk(s.token, { BENCH_AUTH: DEMO_SERVICE, BENCH_BODY: 'grant_type=client_credentials&scope=api%3Aread' }, s.pid),
  },
  projection: {
    title: 'projection writes (access_tokens, batches of 500)',
    short: 'projection',
    subjects: ['ours'],
    unit: 'rows/s',
    async measure(s) {
      // Real events: those of the client_credentials runs, or a burst of them now.
      if (!selected.includes('cc') && !ctx.projectionEvents) {
        await wrk(s.token, { BENCH_AUTH: DEMO_SERVICE, BENCH_BODY: 'grant_type=client_credentials&scope=api%3Aread' }, smoke ? 1 : 5);
        ctx.projectionEvents = true;
      }
      const output = await runToEnd('projection', ctx.otherCpu, process.execPath, ['-r', join(root, 'tools', 'aliases.cjs'), join(root, 'bench', 'projection-throughput.cjs')], {
        cwd: root,
        env: { ...process.env, BENCH_DATABASE_URL: ctx.databaseUrl, BENCH_TOPIC_PREFIX: ctx.prefix, BENCH_MIN_EVENTS: smoke ? '500' : '20000' },
      });
      const result = JSON.parse(output.trim().split('\n').pop());
      return { rps: result.rowsPerSecond, requests: result.rows };
    },
  },
  propagation: {
    title: 'revocation propagation to two introspection replicas (ms)',
    short: 'propagation',
    subjects: ['ours'],
    unit: 'ms',
    // Tokens revoked one after another (POST /revoke at the revocation service): the time from the
    // revocation's answer until both introspection replicas answer active: false, each polled every ms.
    // Under moderate load: meanwhile 4 clients keep issuing tokens (oauth.tokens busy) and introspecting them.
    async measure(s) {
      const revocation = await revocationOf(s);
      if (!revocation.revoke) throw new Unavailable('needs issue 5 (POST /revoke; the revocation set of each introspection replica, fed from oauth.revocations)');
      const count = smoke ? 20 : 1000;
      const tokens = await pool(count, 8, async () => (await post(s.token, { grant_type: 'client_credentials', scope: 'api:read' }, DEMO_SERVICE)).access_token);
      let measuring = true;
      let background = 0;
      const load = Promise.all(
        Array.from({ length: 4 }, async () => {
          while (measuring) {
            const { access_token: token } = await post(s.token, { grant_type: 'client_credentials', scope: 'api:read' }, DEMO_SERVICE);
            await post(s.introspect, { token }, DEMO_API);
            background += 1;
          }
        }),
      );
      const delays = [];
      try {
        for (const token of tokens) {
          await post(revocation.revoke, { token, token_type_hint: 'access_token' }, DEMO_SERVICE);
          const revokedAt = performance.now();
          const seen = await Promise.all([s.introspect, revocation.replicaIntrospect].map((url) => inactiveAfter(url, token, revokedAt)));
          delays.push(Math.max(...seen));
        }
      } finally {
        measuring = false;
        await load;
      }
      log(`  propagation: ${delays.length} revocations beside ${background} background issuances and introspections`);
      delays.sort((a, b) => a - b);
      const at = (q) => Number(delays[Math.min(delays.length - 1, Math.floor(q * delays.length))].toFixed(2));
      return { rps: undefined, p50: at(0.5), p99: at(0.99), max: at(1), requests: delays.length };
    },
  },
};

class Unavailable extends Error {}

/**
 * Stops (SIGSTOP) the pausable subjects of the scenario other than the one measured, all of them on the
 * SUT CPU, and returns what resumes them (SIGCONT). Those are the emission scenario's extra subjects
 * (the token service with its in-memory bus, the all-in-one both ways): left running, an all-in-one
 * polls Kafka, runs its projector and its timers on the very CPU being measured, and in the 23:05 run of
 * 2026-11-21 the same token service cost 83 µs per token in `cc` and 116 µs in `emission` beside them.
 * A paused process's Kafka consumers may be dropped from their group (10 s session); they rejoin on resume,
 * within the warm-up of its next run.
 */
function pauseOthers(names, measured) {
  const paused = names
    .filter((name) => name !== measured && subjects[name]?.pausable)
    .flatMap((name) => subjects[name].procs)
    .filter((proc) => proc.child.exitCode === null && proc.child.signalCode === null);
  for (const proc of paused) proc.child.kill('SIGSTOP');
  return () => {
    for (const proc of paused) if (proc.child.exitCode === null) proc.child.kill('SIGCONT');
  };
}

async function revocationOf(s) {
  if (!s.revocation) {
    s.revocation = await (s.revocationStarting ?? startRevocation(ctx, s));
    log(`  revocation service and second introspection replica ready; their consumers caught up with the log in ${s.revocation.caughtUpMs} ms`);
  }
  return s.revocation;
}

/** Polls /introspect every ms until the token is inactive: ms since `since` (fails after 10 s). */
async function inactiveAfter(url, token, since) {
  for (;;) {
    const answer = await post(url, { token }, DEMO_API);
    if (answer.active === false) return performance.now() - since;
    if (performance.now() - since > 10_000) throw new Error(`${url}: a revoked token still active after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Introspection tokens: 90% active, 5% revoked, 5% unknown, mixed evenly. */
async function introspectionTokens(s, name) {
  const total = smoke ? 200 : 1000;
  const inactive = total / 10;
  let active;
  let revoked = [];
  if (name === 'limit') {
    const minted = (await (await fetch(s.mint, { method: 'POST', body: JSON.stringify({ kind: 'token', count: total - inactive / 2, revoke: inactive / 2 }) })).text()).split('\n');
    revoked = minted.slice(0, inactive / 2);
    active = minted.slice(inactive / 2);
  } else {
    const form = name === 'peer' ? { grant_type: 'client_credentials', scope: 'api:read', resource: 'https://opaque.example.org' } : { grant_type: 'client_credentials', scope: 'api:read' };
    const minted = await pool(total - inactive / 2, 16, async () => (await post(s.token, form, DEMO_SERVICE)).access_token);
    active = minted.slice(inactive / 2);
    revoked = minted.slice(0, inactive / 2);
    if (name === 'peer') await pool(revoked.length, 8, (i) => post(s.revoke, { token: revoked[i] }, DEMO_SERVICE));
    else {
      const revocation = await revocationOf(s);
      if (revocation.revoke) {
        await pool(revoked.length, 8, (i) => post(revocation.revoke, { token: revoked[i], token_type_hint: 'access_token' }, DEMO_SERVICE));
        // Measured once the replica knows them all.
        for (const token of revoked) await inactiveAfter(s.introspect, token, performance.now());
      } else {
        // No revocation endpoint before issue 5: unknown tokens (signed by another key) instead.
        revoked = await unknownJwts(revoked.length);
      }
    }
  }
  // Unknown: well-formed, signed by a key the subject never saw (ES256 JWTs) or random (opaque).
  const unknown = name === 'peer' ? Array.from({ length: inactive / 2 }, () => randomBytes(32).toString('base64url').slice(0, 43)) : await unknownJwts(inactive / 2);
  const inactiveAll = [...revoked, ...unknown];
  const mixed = [];
  for (let i = 0, a = 0, n = 0; i < total; i += 1) mixed.push(i % 10 === 9 ? inactiveAll[n++] : active[a++]);
  return mixed;
}

async function unknownJwts(count) {
  if (!subjects.foreign) subjects.foreign = await startLimit(ctx);
  return (await (await fetch(subjects.foreign.mint, { method: 'POST', body: JSON.stringify({ kind: 'token', count }) })).text()).split('\n');
}

// ---------------------------------------------------------------- the run

const startedAt = new Date();
const results = [];
let failed;
const onSignal = () => void cleanup().finally(() => process.exit(130));
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  prepareOursContext(ctx);
  for (const name of selected) {
    const scenario = scenarios[name];
    log(`scenario ${name}: ${scenario.title}`);
    if (scenario.unavailable) {
      results.push({ id: name, title: scenario.title, short: scenario.short, rows: [], notes: [{ subject: 'all', text: scenario.unavailable }] });
      continue;
    }
    const prepared = scenario.prepare ? await scenario.prepare() : undefined;
    if (options.subjects) scenario.subjects = scenario.subjects.filter((name) => options.subjects.split(',').includes(name));
    const runs = Object.fromEntries(scenario.subjects.map((subjectName) => [subjectName, []]));
    let bestOfRound;
    let unavailable;
    let scenarioFailure;
    for (let rep = 0; rep < settings.reps && !unavailable && !scenarioFailure; rep += 1) {
      bestOfRound = undefined;
      for (const subjectName of scenario.subjects) {
        if (scenarioFailure) break;
        const s = await subject(subjectName);
        // The rate to size one-use values for: twice this subject's last run (a loaded machine varies that
        // much), else the fastest of this round.
        const last = runs[subjectName].at(-1)?.rps;
        const round = { best: last ? 2 * last : bestOfRound };
        let result;
        const resume = pauseOthers(scenario.subjects, subjectName);
        try {
          result = await scenario.measure(s, prepared, round, subjectName);
        } catch (error) {
          if (error instanceof Unavailable) {
            unavailable = error.message;
            break;
          }
          // A failed run fails the whole run (exit code 1), but the other scenarios are still measured.
          const logs = (s.procs ?? [s.proc]).filter(Boolean).map((proc) => `--- ${proc.name}:\n${proc.output().slice(-3000)}`).join('\n');
          log(`  ${name} ${subjectName} #${rep + 1} FAILED: ${error.message}\n${logs}`);
          scenarioFailure = `${subjectName}: ${error.message.slice(0, 300)}`;
          break;
        } finally {
          resume();
        }
        bestOfRound = Math.max(bestOfRound ?? 0, result.rps);
        runs[subjectName].push(result);
        log(`  ${name} ${subjectName} #${rep + 1}: ${JSON.stringify(result)}`);
      }
    }
    // The emission scenario's extra subjects exist for it alone: stopped now, so that nothing of theirs
    // (an idle all-in-one polls Kafka and runs its projector and timers) runs on the SUT CPU later.
    for (const subjectName of scenario.subjects) {
      if (!subjects[subjectName]?.pausable) continue;
      await Promise.all(subjects[subjectName].procs.map(stop));
      delete subjects[subjectName];
    }
    if (scenarioFailure) {
      failed ??= new Error(`scenario ${name} failed: ${scenarioFailure}`);
      results.push({ id: name, title: scenario.title, short: scenario.short, rows: [], notes: [{ subject: 'all', text: `FAILED: ${scenarioFailure.replace(/\|/g, '/').replace(/\n/g, ' ')}` }] });
      continue;
    }
    if (unavailable) {
      log(`  ${name}: not measured: ${unavailable}`);
      results.push({ id: name, title: scenario.title, short: scenario.short, rows: [], notes: [{ subject: 'all', text: `not measured: ${unavailable}` }] });
      continue;
    }
    const rows = scenario.subjects.map((subjectName) => {
      const all = runs[subjectName];
      return {
        subject: subjectName,
        label: LABELS[subjectName],
        rps: median(all.map((r) => r.rps)),
        p50: median(all.map((r) => r.p50)),
        p99: median(all.map((r) => r.p99)),
        max: median(all.map((r) => r.max)),
        cpuUsPerRequest: median(all.map((r) => r.cpuUsPerRequest)),
        perCoreRps: median(all.map((r) => r.perCoreRps)),
        halfLoadRps: median(all.map((r) => r.halfLoadRps)),
        halfLoadP50: median(all.map((r) => r.halfLoadP50)),
        halfLoadP99: median(all.map((r) => r.halfLoadP99)),
        unit: scenario.unit,
        // The rate of each run (propagation: its p99).
        runs: all.map((r) => r.rps ?? r.p99),
        raw: all,
        checks: checks(all),
      };
    });
    const byName = Object.fromEntries(rows.map((row) => [row.subject, row]));
    for (const row of rows) {
      if (byName.limit && row.subject !== 'limit') row.toLimit = row.rps / byName.limit.rps;
      if (byName.limit?.perCoreRps && row.perCoreRps && row.subject !== 'limit') row.cpuToLimit = row.perCoreRps / byName.limit.perCoreRps;
      if (byName.peer && row.subject !== 'peer') row.toPeer = row.rps / byName.peer.rps;
      // Emission: × the same process with the in-memory bus.
      if (name === 'emission' && row.subject === 'ours' && byName['ours-memory']) (row.toLimit = row.rps / byName['ours-memory'].rps), (row.cpuToLimit = byName['ours-memory'].cpuUsPerRequest / row.cpuUsPerRequest);
      if (name === 'emission' && row.subject === 'suite-kafka' && byName['suite-memory']) (row.toLimit = row.rps / byName['suite-memory'].rps), (row.cpuToLimit = byName['suite-memory'].cpuUsPerRequest / row.cpuUsPerRequest);
    }
    results.push({ id: name, title: scenario.title, short: scenario.short, rows, notes: scenario.note ? [scenario.note] : [] });
  }
} catch (error) {
  failed = error;
} finally {
  await cleanup();
}

function checks(all) {
  const parts = [];
  const sent = all.reduce((sum, r) => sum + (r.replaysSent ?? 0), 0);
  if (all.some((r) => r.replaysSent !== undefined)) parts.push(`replays caught ${all.reduce((sum, r) => sum + r.replaysCaught, 0)}/${sent}`);
  if (all.some((r) => r.activeShare !== undefined)) parts.push(`active ${all.map((r) => r.activeShare).join('/')}`);
  if (all.some((r) => r.exhausted)) parts.push('values ran out (rate over the time measured)');
  return parts.join('; ');
}

async function cleanup() {
  await stopAll();
  if (ctx.databaseCreated) await sql(`DROP DATABASE IF EXISTS ${ctx.database} WITH (FORCE)`).catch(() => undefined);
  if (ctx.suiteDatabaseCreated) await sql(`DROP DATABASE IF EXISTS ${ctx.database}_suite WITH (FORCE)`).catch(() => undefined);
  if (ctx.clientsFile) rmSync(ctx.clientsFile, { force: true });
  rmSync(ctx.work, { recursive: true, force: true });
  const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (;;) {
      const keys = await redis.keys(`${ctx.redisPrefix}*`);
      if (keys.length === 0) break;
      await redis.del(...keys.slice(0, 1000));
    }
  } catch {
    // nothing of ours there
  } finally {
    redis.disconnect();
  }
  // kafkajs' request queue wakes every ms once a connection has had an answer (TimeoutNegativeWarning on
  // Node ≥ 23): the services' fix (libs/adapters, kafkajs-request-queue.ts) applies to this admin too.
  const { patchKafkajsRequestQueue } = await import('../dist/libs/adapters/src/kafka/kafkajs-request-queue.js');
  patchKafkajsRequestQueue();
  const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(ctx.prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // topics left behind are named bench-<run>.*
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- goals and output

const row = (id, subjectName) => results.find((scenario) => scenario.id === id)?.rows.find((r) => r.subject === subjectName);
const goals = [];
const goal = (text, measured, met) => goals.push({ goal: text, measured, met });
const x = (value) => (value === undefined ? '–' : `${value.toFixed(2)}×`);
for (const [id, label] of [
  ['cc', 'client_credentials (1 client) ≥ 0.7× limit, p99 ≤ 15 ms'],
  ['cc-1000', 'client_credentials (1000 clients) ≥ 0.7× limit, p99 ≤ 15 ms'],
]) {
  const ours = row(id, 'ours');
  if (ours) goal(label, `${x(ours.toLimit)}, p99 ${ours.halfLoadP99} ms at half load (${ours.halfLoadRps} req/s; ${ours.p99} ms saturated)`, ours.toLimit >= 0.7 && ours.halfLoadP99 <= 15);
}
if (row('code', 'ours')) goal('code exchange ≥ 0.7× limit', x(row('code', 'ours').toLimit), row('code', 'ours').toLimit >= 0.7);
if (row('refresh', 'ours')) {
  const ours = row('refresh', 'ours');
  const caught = ours.raw.every((r) => r.replaysCaught === r.replaysSent);
  goal('refresh rotation ≥ 0.7× limit, every replay caught', `${x(ours.toLimit)}, ${ours.checks}`, ours.toLimit >= 0.7 && caught);
}
if (row('introspect', 'ours')) {
  const ours = row('introspect', 'ours');
  goal('introspection ≥ 2.5× peer, p99 ≤ 5 ms', `${x(ours.toPeer)}, p99 ${ours.halfLoadP99} ms at half load (${ours.halfLoadRps} req/s; ${ours.p99} ms saturated)`, ours.toPeer >= 2.5 && ours.halfLoadP99 <= 5);
}
if (row('emission', 'ours')?.toLimit) {
  const loss = 1 - row('emission', 'ours').toLimit;
  const cpuLoss = 1 - row('emission', 'ours').cpuToLimit;
  goal('Kafka emission overhead ≤ 10% loss', `${(100 * loss).toFixed(1)}% fewer req/s (${(100 * cpuLoss).toFixed(1)}% by CPU per request)`, loss <= 0.1);
}
if (row('projection', 'ours')) goal('projection writes ≥ 50k rows/s', `${Math.round(row('projection', 'ours').rps).toLocaleString('en-US')} rows/s`, row('projection', 'ours').rps >= 50_000);
if (row('propagation', 'ours')) {
  const ours = row('propagation', 'ours');
  goal('revocation propagation p99 ≤ 50 ms, max ≤ 250 ms', `p50 ${ours.p50} ms, p99 ${ours.p99} ms, max ${Math.max(...ours.raw.map((r) => r.max))} ms`, ours.p99 <= 50 && Math.max(...ours.raw.map((r) => r.max)) <= 250);
} else if (results.some((scenario) => scenario.id === 'propagation')) goal('revocation propagation p99 ≤ 50 ms, max ≤ 250 ms', 'not measured (needs issue 5)', undefined);

const git = (args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};
const report = {
  title: `authz-suite benchmark ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${smoke ? ' (smoke)' : ''}`,
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  commit: git(['rev-parse', '--short', 'HEAD']),
  machine: { cpu: cpus()[0]?.model, cpus: cpus().length, loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))), node: process.version },
  settings: { ...settings, smoke, sutCpu: ctx.sutCpu, otherCpu: ctx.otherCpu },
  subjectLabels: LABELS,
  scenarios: results,
  goals,
  ...(failed ? { failed: String(failed.stack ?? failed) } : {}),
};
mkdirSync(options.out, { recursive: true });
const stamp = `${startedAt.toISOString().slice(0, 19).replace(/:/g, '-')}${smoke ? '-smoke' : ''}`;
const table = markdown(report);
writeFileSync(join(options.out, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(
  join(options.out, `${stamp}.md`),
  `# ${report.title}\n\nCommit ${report.commit}; ${report.machine.cpus} × ${report.machine.cpu}; Node ${report.machine.node}; load average at the end ${report.machine.loadAverageAtEnd.join(' ')}.\n` +
    `${settings.reps} runs per subject, interleaved; ${settings.warmup} s warm-up discarded, ${settings.duration} s measured, ${settings.connections} connections; SUT on CPU ${ctx.sutCpu}, load and services on CPU ${ctx.otherCpu}.\n\n${table}\n\n![chart](${stamp}.svg)\n`,
);
writeFileSync(join(options.out, `${stamp}.svg`), svgChart(report));
process.stdout.write(`${table}\n\nwritten: ${join(options.out, stamp)}.{json,md,svg}\n`);
if (failed) {
  process.stderr.write(`bench failed: ${failed.stack ?? failed}\n`);
  process.exit(1);
}
process.exit(0);
