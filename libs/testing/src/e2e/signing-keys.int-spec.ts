/**
 * Signing key rotation over the real services: two token replicas and an introspection replica on
 * Kafka and PostgreSQL, with a rotation every 45 s (JWKS cached 4 s, a pass every second). The next key is
 * made 41 s after the first one activates: starting the three processes must take less (up to ~25 s was
 * seen on a loaded CI machine, hence 45 s and not less).
 *  - exactly one replica creates the next key (the advisory lock), both publish it, both switch to it
 *    at its activation instant;
 *  - introspection verifies tokens of the retired key and of the new one;
 *  - `npm run keys -- revoke <kid>` revokes the key in use: its tokens turn inactive at once, it leaves
 *    the JWK Set of both replicas, and both sign with the replacement.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { WORKSPACE_ROOT } from '../provision';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, pollUntil, readTopic, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'https://issuer.keys.test';
const DEMO_SERVICE = { id: 'demo-service', secret: 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU' };
const DEMO_API = { id: 'demo-api', secret: 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU' };
const basic = (client: { id: string; secret: string }) => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

const e2e = e2eRun('keys');
const { run, prefix, databaseUrl } = e2e;
const env = serviceEnv(e2e, {
  ISSUER,
  LOG_LEVEL: 'info',
  ACCESS_TOKEN_TTL: '60',
  SIGNING_KEY_ROTATION_INTERVAL: '45',
  JWKS_MAX_AGE: '4',
  SIGNING_KEY_SCHEDULER_INTERVAL: '1',
  SIGNING_KEY_RETENTION: '60',
});

let tokenA: RunningService;
let tokenB: RunningService;
let introspection: RunningService;

type KeyRow = { kid: string; status: string; activates_at: Date; retired_at: Date | null; revoked_at: Date | null };

const keyRows = () => adminQuery<KeyRow>('SELECT kid, status, activates_at, retired_at, revoked_at FROM signing_keys ORDER BY created_at', [], databaseUrl);

async function issue(service: RunningService): Promise<{ token: string; kid: string }> {
  const response = await fetch(`${service.url}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic(DEMO_SERVICE) }, body: 'grant_type=client_credentials' });
  expect(response.status).toBe(200);
  const token = ((await response.json()) as { access_token: string }).access_token;
  return { token, kid: decodeProtectedHeader(token).kid! };
}

async function jwks(service: RunningService): Promise<{ cacheControl: string | null; kids: string[] }> {
  const response = await fetch(`${service.url}/jwks`);
  return { cacheControl: response.headers.get('cache-control'), kids: ((await response.json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid) };
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${introspection.url}/introspect`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic(DEMO_API) }, body: new URLSearchParams({ token }).toString() });
  return (await response.json()) as Record<string, unknown>;
}

/** Every record of the key topic, as `type kid`. */
async function keyEvents(): Promise<string[]> {
  const messages = await readTopic(`${prefix}oauth.keys`, { clientId: `keys-reader-${run}` });
  const events = messages.map(({ value }) => {
    const event = JSON.parse(value) as { type: string; subject: string; time: string };
    return { time: event.time, line: `${event.type} ${event.subject}` };
  });
  return events.sort((a, b) => a.time.localeCompare(b.time)).map((event) => event.line);
}

function keysCli(...args: string[]): Promise<string> {
  return promisify(execFile)(process.execPath, ['-r', join(WORKSPACE_ROOT, 'tools', 'aliases.cjs'), join(WORKSPACE_ROOT, 'dist', 'apps', 'token', 'src', 'keys.cli.js'), ...args], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...env },
  }).then(({ stdout }) => stdout);
}

beforeAll(async () => {
  await createRunDatabase(e2e);
  tokenA = await startServiceProcess('token', env);
  [tokenB, introspection] = await Promise.all([startServiceProcess('token', env), startServiceProcess('introspection', env)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([tokenA, tokenB, introspection].filter(Boolean).map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

describe('signing key rotation across two token replicas, Kafka and PostgreSQL', () => {
  it('rotates once, switches both replicas at the activation instant, keeps old tokens valid, and revokes on command', async () => {
    // One key, shared by both replicas, served with the configured cache lifetime.
    const [k1] = await keyRows();
    expect(await keyRows()).toEqual([expect.objectContaining({ status: 'active' })]);
    for (const service of [tokenA, tokenB]) expect(await jwks(service)).toEqual({ cacheControl: 'public, max-age=4', kids: [k1!.kid] });
    const first = await issue(tokenB);
    expect(first.kid).toBe(k1!.kid);
    expect(await introspect(first.token)).toMatchObject({ active: true });

    // The next key appears in both JWK Sets (learnt by event) before it signs.
    const published = await Promise.all([tokenA, tokenB].map((service) => pollUntil(() => jwks(service), (set) => set.kids.length === 2, 60_000)));
    const rows = await keyRows();
    expect(rows.map((row) => row.status)).toEqual(['active', 'pending']);
    const k2 = rows[1]!;
    expect(published.map((set) => set.kids)).toEqual([
      [k1!.kid, k2.kid],
      [k1!.kid, k2.kid],
    ]);
    expect(k2.activates_at.getTime() - Date.now()).toBeGreaterThan(0);
    // Exactly one replica created it (the other's passes found the lock taken or nothing to do).
    const creators = [tokenA, tokenB].filter((service) => service.output().includes(`"created":"${k2.kid}"`));
    expect(creators).toHaveLength(1);

    // Both replicas switch at the activation instant.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, k2.activates_at.getTime() - Date.now()) + 50));
    const afterSwitch = await Promise.all([issue(tokenA), issue(tokenB)]);
    expect(afterSwitch.map((issued) => issued.kid)).toEqual([k2.kid, k2.kid]);

    // The retired key's token and the new key's tokens all verify.
    for (const { token } of [first, ...afterSwitch]) expect(await introspect(token)).toMatchObject({ active: true, client_id: 'demo-service' });
    const recorded = await pollUntil(keyRows, (current) => current[0]!.status === 'retired', 10_000);
    expect(recorded.map((row) => ({ kid: row.kid, status: row.status, retired_at: row.retired_at }))).toEqual([
      { kid: k1!.kid, status: 'retired', retired_at: k2.activates_at },
      { kid: k2.kid, status: 'active', retired_at: null },
    ]);
    expect((await jwks(tokenA)).kids).toEqual([k2.kid, k1!.kid]);

    // Emergency: revoke the key in use from the command line.
    const listed = (await keysCli('list')).trim().split('\n').map((line) => JSON.parse(line) as { kid: string; status: string });
    expect(listed.map(({ kid, status }) => ({ kid, status }))).toEqual([
      { kid: k2.kid, status: 'active' },
      { kid: k1!.kid, status: 'retired' },
    ]);
    const outcome = JSON.parse(await keysCli('revoke', k2.kid)) as { created: string; activated: string[]; revoked: string[] };
    expect(outcome).toEqual({ command: 'revoke', created: expect.any(String), activated: [outcome.created], retired: [], revoked: [k2.kid] });
    const k3 = outcome.created;

    // Its tokens are inactive at once; the retired key's token stays active.
    expect(await pollUntil(() => introspect(afterSwitch[0]!.token), (answer) => answer.active === false, 10_000)).toEqual({ active: false });
    expect(await introspect(afterSwitch[1]!.token)).toEqual({ active: false });
    expect(await introspect(first.token)).toMatchObject({ active: true });
    // Both replicas drop it from the JWK Set and sign with the replacement.
    for (const service of [tokenA, tokenB]) {
      expect(await pollUntil(() => jwks(service), (set) => !set.kids.includes(k2.kid), 10_000)).toEqual({ cacheControl: 'public, max-age=4', kids: [k3, k1!.kid] });
      const issued = await issue(service);
      expect(issued.kid).toBe(k3);
      expect(await introspect(issued.token)).toMatchObject({ active: true });
    }

    const events = await keyEvents();
    for (const line of [
      `oauth.signing_key.published.v1 ${k1!.kid}`,
      `oauth.signing_key.activated.v1 ${k1!.kid}`,
      `oauth.signing_key.published.v1 ${k2.kid}`,
      `oauth.signing_key.retired.v1 ${k1!.kid}`,
      `oauth.signing_key.activated.v1 ${k2.kid}`,
      `oauth.signing_key.revoked.v1 ${k2.kid}`,
      `oauth.signing_key.published.v1 ${k3}`,
      `oauth.signing_key.activated.v1 ${k3}`,
    ]) {
      expect(events).toContain(line);
    }
  }, 180_000);
});
