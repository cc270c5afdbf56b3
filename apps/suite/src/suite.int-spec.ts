/**
 * `npm start`: the all-in-one suite as a newcomer runs it (the compiled app, embedded mode, nothing
 * outside the process). It must print what a newcomer needs and serve the metadata, a
 * client_credentials token and its introspection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { decodeJwt } from 'jose';

const root = join(__dirname, '..', '..', '..');
const secret = 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU';
const FORM = 'application/x-www-form-urlencoded';
let suite: ChildProcess;
let stdout = '';
let base = '';

beforeAll(async () => {
  const port = 18080 + Math.floor(Math.random() * 1000);
  base = `http://localhost:${port}`;
  // No service URL in its environment: the embedded mode needs none.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(KAFKA|DATABASE|REDIS|LDAP)_/.test(key)));
  const started = Date.now();
  suite = spawn(process.execPath, ['-r', join(root, 'tools', 'aliases.cjs'), join(root, 'dist', 'apps', 'suite', 'src', 'main.js')], {
    cwd: root,
    env: { ...env, PORT: String(port), ISSUER: base, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  suite.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  suite.stderr!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  while (!stdout.includes('try:')) {
    if (suite.exitCode !== null) throw new Error(`suite exited:\n${stdout}`);
    if (Date.now() - started > 60_000) throw new Error(`suite did not start within a minute:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 70_000);

afterAll(() => {
  suite?.kill('SIGTERM');
});

it('prints the issuer, a demo client and a demo user', () => {
  expect(stdout).toContain(`issuer      ${base}`);
  expect(stdout).toContain(`client      demo-service / ${secret}`);
  expect(stdout).toContain('user        alice / alice-password');
});

it('serves the metadata, a client_credentials token and its introspection', async () => {
  const metadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; token_endpoint: string };
  expect(metadata.issuer).toBe(base);
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: `Basic ${Buffer.from(`demo-service:${secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token: string };
  expect({ status: response.status, body }).toEqual({
    status: 200,
    body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'api:read' },
  });
  const claims = decodeJwt(body.access_token);
  const verify = await fetch(`${base}/verify`, { method: 'POST', headers: { 'content-type': FORM }, body: `token=${body.access_token}` });
  expect(await verify.json()).toEqual({
    active: true,
    scope: 'api:read',
    client_id: 'demo-service',
    sub: 'demo-service',
    aud: 'https://api.example.org',
    iss: base,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
  });
  const ready = await fetch(`${base}/healthz/ready`);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { 'event-bus': 'up', pglite: 'up', 'ttl-store': 'up', ldif: 'up' } });
});
