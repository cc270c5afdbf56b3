import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuthenticatedRequest, bearerMiddleware } from './middleware';
import { RevocationFeed } from './revocation-feed';
import { JwksServer, signAccessToken, testKey } from './test-servers';
import { createVerifier, type Verifier } from './verifier';

const ISSUER = 'https://issuer.example.org';
const AUDIENCE = 'https://api.example.org';

let jwks: JwksServer;
let server: Server;
let verifier: Verifier;
let url: string;

beforeAll(async () => {
  jwks = await new JwksServer().start();
  const key = await testKey('k1');
  jwks.keys = [key.jwk];
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url, realm: 'plain', revocations: new RevocationFeed({ maxTokenLifetimeSeconds: 3600, clockSkewSeconds: 30 }) });
  const guard = bearerMiddleware(verifier, { scopes: ['api:read'] });
  server = createServer((request: AuthenticatedRequest, response) =>
    guard(request, response, () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: request.auth!.claims.sub, scopes: request.auth!.scopes }))),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const iat = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub: 'alice', aud: AUDIENCE, client_id: 'web-app', iat, exp: iat + 600, jti: 'j', grant_id: 'g' };
  tokens.read = await signAccessToken(key, { ...claims, scope: 'api:read' });
  tokens.none = await signAccessToken(key, claims);
});

const tokens: Record<string, string> = {};

afterAll(async () => {
  await verifier.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await jwks.stop();
});

async function get(authorization?: string) {
  const response = await fetch(url, { headers: authorization ? { authorization } : {} });
  return {
    status: response.status,
    headers: { 'www-authenticate': response.headers.get('www-authenticate'), 'content-type': response.headers.get('content-type'), 'cache-control': response.headers.get('cache-control') },
    body: await response.json(),
  };
}

describe('bearerMiddleware (node:http, Express, Connect)', () => {
  it('passes a valid token on with request.auth', async () => {
    expect(await get(`Bearer ${tokens.read}`)).toEqual({
      status: 200,
      headers: { 'www-authenticate': null, 'content-type': 'application/json', 'cache-control': null },
      body: { sub: 'alice', scopes: ['api:read'] },
    });
  });

  it('writes the RFC 6750 answers itself', async () => {
    const json = 'application/json; charset=utf-8';
    expect(await get()).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="plain"', 'content-type': json, 'cache-control': 'no-store' },
      body: { error: 'unauthorized', error_description: 'a bearer access token is required' },
    });
    expect(await get(`Bearer ${tokens.none}`)).toEqual({
      status: 403,
      headers: { 'www-authenticate': 'Bearer realm="plain", error="insufficient_scope", scope="api:read"', 'content-type': json, 'cache-control': 'no-store' },
      body: { error: 'insufficient_scope', error_description: 'the token lacks the scope: api:read' },
    });
    expect(await get('Bearer x y')).toEqual({
      status: 400,
      headers: { 'www-authenticate': 'Bearer realm="plain", error="invalid_request"', 'content-type': json, 'cache-control': 'no-store' },
      body: { error: 'invalid_request', error_description: 'the Authorization header must be Bearer followed by a token' },
    });
  });
});
