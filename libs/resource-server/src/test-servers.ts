// Test helpers of this package's specs (not exported by index.ts): a JWK Set server and an
// introspection server on node:http, each on a loopback port, counting their requests.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export type TestKey = { kid: string; alg: string; privateKey: CryptoKeyLike; jwk: JWK };
type CryptoKeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export async function testKey(kid: string, alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export async function signAccessToken(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }).sign(key.privateKey);
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/** GET /jwks answers `keys` with `cacheControl`; `down` makes it answer 503. */
export class JwksServer {
  keys: JWK[] = [];
  cacheControl: string | undefined = 'public, max-age=300';
  down = false;
  hits = 0;
  url = '';
  private readonly server = createServer((request, response) => {
    this.hits += 1;
    if (this.down || request.url !== '/jwks') {
      response.writeHead(this.down ? 503 : 404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/jwk-set+json', ...(this.cacheControl ? { 'cache-control': this.cacheControl } : {}) });
    response.end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<this> {
    this.url = `${await listen(this.server)}/jwks`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** POST /introspect: `{active}` from `answer(token)`; records each request's authorization and body. */
export class IntrospectionServer {
  answer: (token: string) => { status: number; body: unknown } = () => ({ status: 200, body: { active: true } });
  requests: Array<{ authorization: string | undefined; body: string }> = [];
  url = '';
  private readonly server = createServer(async (request, response) => {
    const body = await readBody(request);
    this.requests.push({ authorization: request.headers.authorization, body });
    const { status, body: answer } = this.answer(new URLSearchParams(body).get('token') ?? '');
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });

  async start(): Promise<this> {
    this.url = `${await listen(this.server)}/introspect`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
