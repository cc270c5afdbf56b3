/**
 * Client registration across processes, on Kafka, PostgreSQL and Redis: a client registered with
 * RFC 7591 on the token service, and one registered with the admin CLI, authenticate at once on the
 * token service and, through the oauth.clients topic, on the introspection service; a deletion
 * (RFC 7592) reaches it too; a restarted introspection service knows every client as soon as it is ready.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../provision';
import { cleanupRun, createRunDatabase, e2eRun, eventually, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

jest.setTimeout(180_000);

const ISSUER = 'https://issuer.clients-e2e.test';
const FORM = 'application/x-www-form-urlencoded';
const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url');
const e2e = e2eRun('e2e-clients');
const { run } = e2e;
const env: Record<string, string> = serviceEnv(e2e, {
  ISSUER,
  CLIENT_SECRET_PEPPER: randomBytes(32).toString('base64url'),
  REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN,
  LOG_LEVEL: 'warn',
});

let token: RunningService;
let introspection: RunningService;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Runs `npm run cli -- clients ...` (the compiled CLI) with the test's environment. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(WORKSPACE_ROOT, 'tools', 'aliases.cjs'), join(WORKSPACE_ROOT, 'dist', 'apps', 'token', 'src', 'admin.cli.js'), 'clients', ...args], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function introspect(authorization: string, accessToken = 'x') {
  const response = await fetch(`${introspection.url}/introspect`, { method: 'POST', headers: { 'content-type': FORM, authorization }, body: `token=${accessToken}` });
  return { status: response.status, body: await response.json() };
}

async function clientCredentials(authorization: string) {
  const response = await fetch(`${token.url}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization }, body: 'grant_type=client_credentials' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  await createRunDatabase(e2e);
  token = await startServiceProcess('token', env);
  introspection = await startServiceProcess('introspection', env);
}, 120_000);

afterAll(async () => {
  await Promise.all([token, introspection].filter(Boolean).map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

describe('clients across services (RFC 7591, RFC 7592, admin CLI)', () => {
  let dynamic: { client_id: string; client_secret: string; registration_access_token: string; client_id_issued_at: number };
  let administered: { client_id: string; client_secret: string; client_id_issued_at: number };

  it('registers with RFC 7591 on the token service; the client gets a token at once and introspects on the other service', async () => {
    const response = await fetch(`${token.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
      body: JSON.stringify({ client_name: 'Resource server', grant_types: ['client_credentials'], scope: 'api:read', default_scope: 'api:read', audience: ['https://api.example.org'] }),
    });
    expect(response.status).toBe(201);
    dynamic = (await response.json()) as typeof dynamic;

    const issued = await clientCredentials(basic(dynamic.client_id, dynamic.client_secret));
    expect(issued).toEqual({ status: 200, body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'api:read' } });

    await eventually(async () => expect((await introspect(basic(dynamic.client_id, dynamic.client_secret))).status).toBe(200), 30_000, 200);
    const introspected = await introspect(basic(dynamic.client_id, dynamic.client_secret), issued.body.access_token as string);
    expect(introspected.body).toMatchObject({ active: true, client_id: dynamic.client_id, scope: 'api:read' });
  });

  it('registers with the admin CLI, which prints the secret once; the token service learns the client from the log', async () => {
    const result = await cli(['register', '--client-id', `cli-${run}`, '--name', 'CLI client', '--grant-type', 'client_credentials', '--scope', 'api:read', '--default-scope', 'api:read']);

    // (stderr may also hold kafkajs' TimeoutNegativeWarning from Node.)
    expect({ code: result.code, notice: result.stderr.split('\n').includes('The client secret is shown this once: only its hash is kept.') }).toEqual({ code: 0, notice: true });
    administered = JSON.parse(result.stdout) as typeof administered;
    expect(administered).toMatchObject({ client_id: `cli-${run}`, client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    await eventually(async () => expect((await clientCredentials(basic(administered.client_id, administered.client_secret))).status).toBe(200), 30_000, 200);

    const listed = await cli(['list']);
    expect(listed.code).toBe(0);
    // Seeds in file order, then the registered clients by client_id_issued_at, then by client id.
    const registeredOrder = [dynamic, administered]
      .map(({ client_id, client_id_issued_at }) => ({ client_id, client_id_issued_at }))
      .sort((a, b) => a.client_id_issued_at - b.client_id_issued_at || (a.client_id < b.client_id ? -1 : 1));
    expect(listed.stdout.split('\n').filter(Boolean).map((line) => line.split('\t').slice(0, 2))).toEqual([
      ...seedClientIds().map((id) => [id, 'seed']),
      ...registeredOrder.map(({ client_id }) => [client_id, 'registered']),
    ]);
  });

  it('deletes with RFC 7592: the token service refuses the client at once, the introspection service soon after', async () => {
    const deleted = await fetch(`${token.url}/register/${dynamic.client_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${dynamic.registration_access_token}` } });
    expect(deleted.status).toBe(204);

    expect((await clientCredentials(basic(dynamic.client_id, dynamic.client_secret))).status).toBe(401);
    await eventually(async () => expect((await introspect(basic(dynamic.client_id, dynamic.client_secret))).status).toBe(401), 30_000, 200);
  });

  it('a restarted introspection service knows every client as soon as it is ready', async () => {
    await stopServiceProcess(introspection);
    introspection = await startServiceProcess('introspection', env);

    expect((await introspect(basic(administered.client_id, administered.client_secret))).status).toBe(200);
    expect(await introspect(basic(dynamic.client_id, dynamic.client_secret))).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
    });
  });
});

/** The seed file's client ids, in its order (the CLI lists seeds first). */
function seedClientIds(): string[] {
  const seeds = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'deploy/seed/clients.json'), 'utf8')) as { clients: { client_id: string }[] };
  return seeds.clients.map((client) => client.client_id);
}
