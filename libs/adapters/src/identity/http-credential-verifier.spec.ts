import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { IdentityUnavailableError, type Logger } from '@authz/ports';
import { HttpCredentialVerifier } from './http-credential-verifier';

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };
type Reply = { status: number; body: string; delayMs?: number };

/** A stand-in identity service: records requests, answers what the test says. */
async function stubIdentity(reply: (seen: Seen) => Reply) {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { method: request.method!, url: request.url!, headers: request.headers, body };
      seen.push(entry);
      const answer = reply(entry);
      // A redirect points elsewhere on the same server: a client that follows it shows up in `seen`.
      const location = answer.status >= 300 && answer.status < 400 ? { location: '/elsewhere' } : {};
      const send = () => response.writeHead(answer.status, { 'content-type': 'application/json', ...location }).end(answer.body);
      if (answer.delayMs) timers.add(setTimeout(send, answer.delayMs));
      else send();
    });
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    connections: () => connections,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

type Line = { level: string; obj: object; msg?: string };
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger: Logger & { lines: Line[] } = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

const ALICE = {
  subject: 'alice',
  dn: 'uid=alice,ou=people,dc=example,dc=org',
  username: 'alice',
  name: 'Alice Anderson',
  email: 'alice@example.org',
  groups: ['cn=developers,ou=groups,dc=example,dc=org'],
};
const CHECK = { username: 'alice', password: 'alice-password', clientId: 'web-app', clientIp: '192.0.2.1' };

describe('HttpCredentialVerifier', () => {
  let stub: Awaited<ReturnType<typeof stubIdentity>> | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  it('posts the check as JSON with the shared secret and the request id, and maps an authenticated verdict', async () => {
    stub = await stubIdentity(() => ({ status: 200, body: JSON.stringify({ outcome: 'authenticated', user: ALICE, auth_time: 1_767_225_600 }) }));
    const verifier = new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 2000, internalToken: 'the-shared-secret' });
    expect(await verifier.verify(CHECK, { correlationId: 'login-7' })).toEqual({ outcome: 'authenticated', user: ALICE, authTime: 1_767_225_600 });
    expect(stub.seen).toHaveLength(1);
    const [request] = stub.seen;
    expect({ method: request!.method, url: request!.url, body: JSON.parse(request!.body) }).toEqual({
      method: 'POST',
      url: '/internal/v1/authenticate',
      body: { username: 'alice', password: 'alice-password', client_id: 'web-app', client_ip: '192.0.2.1' },
    });
    expect(request!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer the-shared-secret', 'x-request-id': 'login-7' });
  });

  it('maps invalid_credentials and locked; sends no client_ip or authorization when there is none', async () => {
    const answers = [{ outcome: 'invalid_credentials' }, { outcome: 'locked', retry_after: 30 }];
    stub = await stubIdentity(() => ({ status: 200, body: JSON.stringify(answers.shift()) }));
    const verifier = new HttpCredentialVerifier({ baseUrl: `${stub.url}/`, timeoutMs: 2000 });
    const check = { username: 'alice', password: 'wrong', clientId: 'web-app' };
    expect(await verifier.verify(check)).toEqual({ outcome: 'invalid_credentials' });
    expect(await verifier.verify(check)).toEqual({ outcome: 'locked', retryAfter: 30 });
    expect(JSON.parse(stub.seen[0]!.body)).toEqual({ username: 'alice', password: 'wrong', client_id: 'web-app' });
    expect(stub.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('keeps connections alive across calls', async () => {
    stub = await stubIdentity(() => ({ status: 200, body: '{"outcome":"invalid_credentials"}' }));
    const verifier = new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 2000 });
    for (let i = 0; i < 10; i += 1) await verifier.verify(CHECK);
    expect(stub.seen).toHaveLength(10);
    // undici opens a second connection while the first is being released, then alternates: never one per call.
    expect(stub.connections()).toBeLessThanOrEqual(2);
  });

  it('answers credentials beyond the bounds invalid_credentials without a call', async () => {
    stub = await stubIdentity(() => ({ status: 500, body: '' }));
    const verifier = new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 2000 });
    expect(await verifier.verify({ ...CHECK, username: '' })).toEqual({ outcome: 'invalid_credentials' });
    expect(await verifier.verify({ ...CHECK, username: 'u'.repeat(257) })).toEqual({ outcome: 'invalid_credentials' });
    expect(await verifier.verify({ ...CHECK, password: 'p'.repeat(1025) })).toEqual({ outcome: 'invalid_credentials' });
    expect(stub.seen).toEqual([]);
  });

  describe('anything but a well-formed 200 is IdentityUnavailableError (never a failed login)', () => {
    it.each([
      ['503 temporarily_unavailable', 503, '{"error":"temporarily_unavailable","error_description":"retry later"}', /status 503/],
      ['500', 500, '{"error":"server_error"}', /status 500/],
      ['502 from a proxy, not JSON', 502, '<html>bad gateway</html>', /status 502/],
      ['401 (the shared secret does not match)', 401, '{"error":"invalid_token"}', /status 401/],
      ['400', 400, '{"error":"invalid_request"}', /status 400/],
      ['307 redirect (never followed: it would carry the password)', 307, '', /status 307/],
      ['200 that is not JSON', 200, 'ok', /malformed answer/],
      ['200 with an unknown outcome', 200, '{"outcome":"maybe"}', /malformed answer/],
      ['200 authenticated without a user', 200, '{"outcome":"authenticated","auth_time":1}', /malformed answer/],
      ['200 locked with retry_after 0', 200, '{"outcome":"locked","retry_after":0}', /malformed answer/],
    ])('%s', async (_case, status, body, message) => {
      stub = await stubIdentity(() => ({ status, body }));
      const logger = recordingLogger();
      const verifier = new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 2000, logger });
      const error = await verifier.verify(CHECK).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(IdentityUnavailableError);
      expect((error as Error).message).toMatch(message);
      expect(JSON.stringify(logger.lines)).not.toContain('alice-password');
    });

    it('logs a 401 as a deployment error', async () => {
      stub = await stubIdentity(() => ({ status: 401, body: '{"error":"invalid_token"}' }));
      const logger = recordingLogger();
      await new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 2000, logger }).verify(CHECK).catch(() => undefined);
      expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.msg)).toEqual([
        'the identity service refused our internal token: check IDENTITY_INTERNAL_TOKEN on both sides',
      ]);
    });

    it('a refused connection, at once', async () => {
      const closed = await stubIdentity(() => ({ status: 200, body: '' }));
      await closed.close();
      const verifier = new HttpCredentialVerifier({ baseUrl: closed.url, timeoutMs: 2000 });
      const started = Date.now();
      const error = await verifier.verify(CHECK).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(IdentityUnavailableError);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('no answer within timeoutMs', async () => {
      stub = await stubIdentity(() => ({ status: 200, body: '{"outcome":"invalid_credentials"}', delayMs: 1500 }));
      const verifier = new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 300 });
      const started = Date.now();
      const error = await verifier.verify(CHECK).catch((caught: unknown) => caught);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(IdentityUnavailableError);
      expect((error as Error).message).toBe('identity service unavailable: no answer within 300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(1200);
    });
  });

  it('never follows a redirect', async () => {
    stub = await stubIdentity((seen) => (seen.url === '/elsewhere' ? { status: 200, body: '{"outcome":"invalid_credentials"}' } : { status: 308, body: '' }));
    const verifier = new HttpCredentialVerifier({ baseUrl: stub.url, timeoutMs: 2000 });
    await expect(verifier.verify(CHECK)).rejects.toBeInstanceOf(IdentityUnavailableError);
    expect(stub.seen.map((request) => request.url)).toEqual(['/internal/v1/authenticate']);
  });

  it('warns about plain http to another host, not to a loopback one', () => {
    const remote = recordingLogger();
    new HttpCredentialVerifier({ baseUrl: 'http://identity.internal:8084', timeoutMs: 1000, logger: remote });
    expect(remote.lines.map((line) => line.msg)).toEqual([
      'IDENTITY_URL is plain http:// to another host: passwords cross the network unencrypted unless a mesh (mTLS) carries them; prefer https://',
    ]);
    const local = recordingLogger();
    new HttpCredentialVerifier({ baseUrl: 'http://127.0.0.1:8084', timeoutMs: 1000, logger: local });
    new HttpCredentialVerifier({ baseUrl: 'https://identity.internal', timeoutMs: 1000, logger: local });
    expect(local.lines).toEqual([]);
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new HttpCredentialVerifier({ baseUrl: 'ldap://identity:8084', timeoutMs: 1000 })).toThrow('HttpCredentialVerifier: baseUrl must be http(s), got ldap://');
  });
});
