// The three subjects of a run, started once and stopped at the end:
//   limit  bench/limit-server.mjs (node:http, only the unavoidable work)
//   ours   the services as deployed (token, introspection, identity, authorize; `npm run build` first)
//          on the real Kafka, PostgreSQL, Redis and slapd, a database, topic prefix and Redis prefix of
//          the run's own; for the emission overhead also the token service alone with its in-memory bus
//          (`ours-memory`), and the all-in-one suite with Kafka (`suite-kafka`) and with its in-memory
//          bus (`suite-memory`)
//   peer   node-oidc-provider (bench/peer-oidc-provider.mjs)
// Each system under test is pinned to the SUT CPU; everything else (the services it calls, the load
// generator) to the other CPU.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, clientsFile, SEED } from './clients.mjs';
import { freePort, spawnPinned, waitReady } from './proc.mjs';

export const ISSUER = 'https://issuer.bench.test';
export const PEER_REDIRECT = 'http://127.0.0.1:8093/callback';

const ready = (url, init) => () => fetch(url, init).then((response) => response.status < 500);

export async function startLimit(ctx) {
  const port = await freePort();
  const proc = spawnPinned('limit', ctx.sutCpu, process.execPath, [join(ctx.root, 'bench', 'limit-server.mjs'), '--ldap'], { env: { ...process.env, PORT: String(port), BENCH_CLIENTS: String(ctx.clients) } });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, ready(`${url}/token`, { method: 'POST' }));
  return { proc, token: `${url}/token`, introspect: `${url}/introspect`, mint: `${url}/bench/mint`, pid: proc.child.pid };
}

export async function startPeer(ctx) {
  const port = await freePort();
  const proc = spawnPinned('peer', ctx.sutCpu, process.execPath, [join(ctx.root, 'bench', 'peer-oidc-provider.mjs')], { env: { ...process.env, PORT: String(port), BENCH_CLIENTS: String(ctx.clients) } });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, ready(`${url}/.well-known/openid-configuration`));
  return { proc, token: `${url}/token`, introspect: `${url}/token/introspection`, revoke: `${url}/token/revocation`, mint: `${url}/bench/mint`, redirectUri: PEER_REDIRECT, pid: proc.child.pid };
}

/** The environment of our services: the run's own database, topic prefix, Redis prefix and clients. */
export function oursEnv(ctx, extra = {}) {
  return {
    ...process.env,
    MODE: 'distributed',
    HOST: '127.0.0.1',
    ISSUER,
    DATABASE_URL: ctx.databaseUrl,
    KAFKA_TOPIC_PREFIX: ctx.prefix,
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    KEY_ENCRYPTION_KEY: ctx.keyEncryptionKey,
    SESSION_KEYS: ctx.sessionKey,
    IDENTITY_INTERNAL_TOKEN: ctx.internalToken,
    CLIENTS_FILE: ctx.clientsFile,
    ACCESS_TOKEN_TTL: '300',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

async function startApp(ctx, name, cpu, env) {
  const port = await freePort();
  // --cpu-prof: a V8 CPU profile of each of our processes on the SUT CPU, written when it stops.
  const sut = cpu === ctx.sutCpu;
  const nodeFlags = [...(ctx.cpuProf && sut ? ['--cpu-prof', `--cpu-prof-dir=${ctx.cpuProf}`] : []), ...(sut ? ctx.nodeFlags : [])];
  const entry = name === 'suite' ? join(ctx.root, 'dist', 'apps', 'suite', 'src', 'main.js') : join(ctx.root, 'dist', 'apps', name, 'src', 'main.js');
  const proc = spawnPinned(name, cpu, process.execPath, [...nodeFlags, '-r', join(ctx.root, 'tools', 'aliases.cjs'), entry], { cwd: ctx.root, env: { ...env, PORT: String(port) } });
  if (sut && ctx.nodeFlags.length > 0) {
    // --node-flags: what those flags print (--trace-gc…) goes to a file of its own.
    mkdirSync(ctx.out, { recursive: true });
    const file = createWriteStream(join(ctx.out, `node-${ctx.run}-${name}-${proc.child.pid}.log`));
    proc.child.stdout.pipe(file);
    proc.child.stderr.pipe(file);
  }
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, () => fetch(`${url}/healthz/ready`).then((response) => response.status === 200));
  return { proc, url, pid: proc.child.pid };
}

export function prepareOursContext(ctx) {
  ctx.keyEncryptionKey = randomBytes(32).toString('base64url');
  ctx.sessionKey = randomBytes(32).toString('base64url');
  ctx.internalToken = randomBytes(32).toString('base64url');
  ctx.clientsFile = clientsFile(ctx.root, join(tmpdir(), `bench-clients-${ctx.run}.json`), ctx.clients);
}

/** token + introspection on the SUT CPU; identity and authorize (set-up and the password grant's bind) on the other. */
export async function startOurs(ctx) {
  const env = oursEnv(ctx);
  // The token service first: it creates the topics, migrates and publishes its key.
  const identity = await startApp(ctx, 'identity', ctx.otherCpu, env);
  const withIdentity = { ...env, IDENTITY_URL: identity.url };
  const token = await startApp(ctx, 'token', ctx.sutCpu, withIdentity);
  const [introspection, authorize] = await Promise.all([startApp(ctx, 'introspection', ctx.sutCpu, env), startApp(ctx, 'authorize', ctx.otherCpu, withIdentity)]);
  return { procs: [identity.proc, token.proc, introspection.proc, authorize.proc], token: `${token.url}/token`, introspect: `${introspection.url}/introspect`, authorize: authorize.url, pid: token.pid, introspectPid: introspection.pid };
}

/**
 * The revocation service (POST /revoke, RFC 7009; issue 5) and a second introspection replica, on the
 * other CPU: what the revocation scenarios need beside `ours`. `revoke` is undefined while the
 * revocation service has no /revoke (before issue 5).
 */
export async function startRevocation(ctx, ours) {
  const env = oursEnv(ctx);
  const [revocation, replica] = await Promise.all([startApp(ctx, 'revocation', ctx.otherCpu, env), startApp(ctx, 'introspection', ctx.otherCpu, env)]);
  ours.procs.push(revocation.proc, replica.proc);
  const probe = await fetch(`${revocation.url}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('demo-service', SEED['demo-service']) }, body: 'token=probe' });
  const caughtUpMs = await consumersCaughtUp(revocation);
  return { revoke: probe.status === 404 ? undefined : `${revocation.url}/revoke`, replicaIntrospect: `${replica.url}/introspect`, caughtUpMs };
}

/**
 * Waits until a service's consumers have processed the log so far (every `authz_kafka_consumer_lag` of
 * its /metrics at 0): ms waited. Ready is not enough for the revocation service: its projector then starts
 * on every event of the run so far (a full run's token scenarios leave about a million), on the CPU the
 * load generator shares, and a scenario measured meanwhile measures that too.
 */
async function consumersCaughtUp({ proc, url }) {
  const started = performance.now();
  await waitReady(
    proc,
    async () => {
      const lags = (await (await fetch(`${url}/metrics`)).text()).split('\n').filter((line) => line.startsWith('authz_kafka_consumer_lag{'));
      return lags.length > 0 && lags.every((line) => Number(line.slice(line.lastIndexOf(' ') + 1)) === 0);
    },
    300_000,
  );
  return Math.round(performance.now() - started);
}

/**
 * The token service alone in the embedded mode (in-memory bus, PGlite): the baseline of the emission overhead.
 * Pausable, like the all-in-one subjects: they exist for the emission scenario only, and while another
 * subject is measured they are stopped (SIGSTOP) so that they take nothing from the SUT CPU (an idle
 * all-in-one still polls Kafka and runs its projector and timers: see run.mjs, `pauseOthers`).
 */
export async function startTokenInMemory(ctx) {
  const env = { ...process.env, MODE: 'embedded', HOST: '127.0.0.1', ISSUER, CLIENTS_FILE: ctx.clientsFile, ACCESS_TOKEN_TTL: '300', LOG_LEVEL: 'warn' };
  const token = await startApp(ctx, 'token', ctx.sutCpu, env);
  return { procs: [token.proc], token: `${token.url}/token`, pid: token.pid, pausable: true };
}

/** The all-in-one suite on the SUT CPU: with Kafka (distributed adapters) or with the in-memory bus (embedded). */
export async function startSuite(ctx, mode) {
  const env =
    mode === 'kafka'
      ? oursEnv(ctx, { KAFKA_TOPIC_PREFIX: `${ctx.prefix}suite.`, REDIS_KEY_PREFIX: `${ctx.redisPrefix}suite:`, DATABASE_URL: ctx.suiteDatabaseUrl })
      : { ...process.env, MODE: 'embedded', HOST: '127.0.0.1', ISSUER, CLIENTS_FILE: ctx.clientsFile, ACCESS_TOKEN_TTL: '300', LOG_LEVEL: 'warn' };
  const suite = await startApp(ctx, 'suite', ctx.sutCpu, env);
  return { procs: [suite.proc], token: `${suite.url}/token`, pid: suite.pid, pausable: true };
}

/** Runs `task(i)` for i < count with `concurrency` at a time; resolves with the results in order. */
export async function pool(count, concurrency, task) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** POSTs a form; the JSON answer (an empty one, as from /revoke, is {}); anything but 200 throws. */
async function post(url, form, authorization) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) }, body: new URLSearchParams(form) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

export const PORTAL = basic('demo-portal', SEED['demo-portal']);

/** Authorization codes with their PKCE verifiers ("code verifier" lines) minted by the subject's own flow. */
export async function mintCodes(subject, count) {
  if (count <= 0) return [];
  if (subject.authorize) return mintOurCodes(subject, count);
  const response = await fetch(subject.mint, { method: 'POST', body: JSON.stringify({ kind: 'code', count }) });
  if (!response.ok) throw new Error(`minting codes answered ${response.status}`);
  return (await response.text()).split('\n');
}

/**
 * Ours: the real flow. carol logs in once at the authorize service for demo-portal (a first-party client,
 * no consent page); then each GET /authorize?prompt=none with her session cookie answers a redirect with
 * a code, as a browser would get it (the code in Redis by its hash, oauth.authorization_code.issued.v1
 * acknowledged by Kafka).
 */
async function mintOurCodes(subject, count) {
  const cookies = new Map();
  const send = async (path, init = {}) => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${subject.authorize}${path}`, { redirect: 'manual', ...init, headers: { ...(init.headers ?? {}), ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  };
  const authorizeUrl = (verifier, extra = {}) =>
    `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-portal', scope: 'profile api:read', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra })}`;
  const lines = [];
  if (!subject.sessionCookies) {
    const verifier = randomBytes(32).toString('base64url');
    const start = await send(authorizeUrl(verifier));
    const page = await send(start.location);
    const fields = {};
    for (const match of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]] = match[2];
    const login = await send('/authorize/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...fields, username: 'carol', password: 'carol-password' }) });
    if (login.status !== 303 || !login.location?.includes('code=')) throw new Error(`the login for the code set-up answered ${login.status} ${login.location}`);
    lines.push(`${new URL(login.location).searchParams.get('code')} ${verifier}`);
    subject.sessionCookies = new Map(cookies);
  }
  for (const [name, value] of subject.sessionCookies) cookies.set(name, value);
  const minted = await pool(count - lines.length, 32, async () => {
    const verifier = randomBytes(32).toString('base64url');
    const answer = await send(authorizeUrl(verifier, { prompt: 'none' }));
    const code = answer.location && new URL(answer.location).searchParams.get('code');
    if (answer.status !== 302 || !code) throw new Error(`GET /authorize for the code set-up answered ${answer.status} ${answer.location}`);
    return `${code} ${verifier}`;
  });
  return [...lines, ...minted];
}

/** Redeems a code at the subject's /token: the refresh token it returns. */
export async function redeem(subject, line) {
  const [code, verifier] = line.split(' ');
  const answer = await post(subject.token, { grant_type: 'authorization_code', code, code_verifier: verifier, ...(subject.redirectUri ? { redirect_uri: subject.redirectUri } : {}) }, PORTAL);
  if (!answer.refresh_token) throw new Error(`no refresh token from ${subject.token}: ${JSON.stringify(answer).slice(0, 200)}`);
  return answer.refresh_token;
}

export async function rotate(subject, refreshToken) {
  return (await post(subject.token, { grant_type: 'refresh_token', refresh_token: refreshToken }, PORTAL)).refresh_token;
}

export { post };
