import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@authz/ports';
import { HttpClientKeySets } from './http-client-key-sets';

const EC = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'ec', alg: 'ES256', use: 'sig' };
const RSA = { kty: 'RSA', n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw', e: 'AQAB', kid: 'rsa' };

type Route = (request: { url: string }) => { status?: number; body: string | Buffer; headers?: Record<string, string> };

let server: Server;
let base: string;
let route: Route;
let hits: string[];

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(request.url!);
    const { status = 200, body, headers = { 'content-type': 'application/json' } } = route({ url: request.url! });
    response.writeHead(status, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let now: number;
beforeEach(() => {
  hits = [];
  now = Date.parse('2026-01-02T03:04:05Z');
  route = () => ({ body: JSON.stringify({ keys: [EC] }) });
});

const keySets = (options: Partial<ConstructorParameters<typeof HttpClientKeySets>[0]> = {}) =>
  new HttpClientKeySets({ logger: silentLogger, clock: { now: () => new Date(now) }, ...options });

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a failure');
}

describe('HttpClientKeySets', () => {
  it('fetches a JWK Set and keeps it for the TTL', async () => {
    const sets = keySets({ ttlMs: 60_000 });

    expect(await sets.get(`${base}/jwks`)).toEqual({ keys: [EC] });
    now += 59_000;
    expect(await sets.get(`${base}/jwks`)).toEqual({ keys: [EC] });
    expect(hits).toEqual(['/jwks']);

    now += 2000;
    route = () => ({ body: JSON.stringify({ keys: [RSA] }) });
    expect(await sets.get(`${base}/jwks`)).toEqual({ keys: [RSA] });
    expect(hits).toEqual(['/jwks', '/jwks']);
  });

  it('refreshes on request, at most once per minimum interval', async () => {
    const sets = keySets({ minRefreshIntervalMs: 30_000 });
    await sets.get(`${base}/jwks`);
    route = () => ({ body: JSON.stringify({ keys: [EC, RSA] }) });

    expect(await sets.get(`${base}/jwks`, { refresh: true })).toEqual({ keys: [EC] });
    now += 30_000;
    expect(await sets.get(`${base}/jwks`, { refresh: true })).toEqual({ keys: [EC, RSA] });
    expect(hits).toEqual(['/jwks', '/jwks']);
  });

  it('fetches once for concurrent requests', async () => {
    const sets = keySets();

    await Promise.all([sets.get(`${base}/jwks`), sets.get(`${base}/jwks`), sets.get(`${base}/jwks`)]);

    expect(hits).toEqual(['/jwks']);
  });

  it('keeps only public signature keys with the members it uses', async () => {
    route = () => ({
      body: JSON.stringify({
        keys: [
          { ...EC, x5t: 'thumb', ext: true },
          { ...EC, kid: 'private', d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' },
          { kty: 'oct', k: 'c2VjcmV0', kid: 'symmetric' },
          { ...RSA, p: 'x', kid: 'rsa-private' },
          'not a key',
          RSA,
        ],
      }),
    });

    expect(await keySets().get(`${base}/jwks`)).toEqual({ keys: [EC, RSA] });
  });

  it.each<[string, Route, string]>([
    ['a 404', () => ({ status: 404, body: 'no' }), 'HTTP 404'],
    ['a redirect (never followed)', () => ({ status: 302, body: '', headers: { location: '/elsewhere' } }), 'fetch failed'],
    ['a body that is not JSON', () => ({ body: '<html>' }), 'not JSON'],
    ['JSON without keys', () => ({ body: '{"keys":"none"}' }), 'not a JWK Set (no keys array)'],
    ['a body over the limit', () => ({ body: JSON.stringify({ keys: [EC], pad: 'x'.repeat(70_000) }) }), 'larger than 65536 bytes'],
  ])('fails on %s, and remembers the failure for the minimum interval', async (_case, failing, reason) => {
    route = failing;
    const sets = keySets({ minRefreshIntervalMs: 30_000 });

    expect(await failure(sets.get(`${base}/jwks`))).toBe(`jwks_uri ${base}/jwks: ${reason}`);
    route = () => ({ body: JSON.stringify({ keys: [EC] }) });
    expect(await failure(sets.get(`${base}/jwks`))).toBe(`jwks_uri ${base}/jwks: ${reason}`);
    expect(hits).toHaveLength(1);

    now += 30_000;
    expect(await sets.get(`${base}/jwks`)).toEqual({ keys: [EC] });
  });

  it('gives up on a slow host after the timeout', async () => {
    const slow = createServer(() => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const uri = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/jwks`;
      expect(await failure(keySets({ timeoutMs: 200 }).get(uri))).toBe(`jwks_uri ${uri}: The operation was aborted due to timeout`);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('fails on an unreachable host', async () => {
    expect(await failure(keySets().get('http://127.0.0.1:1/jwks'))).toBe('jwks_uri http://127.0.0.1:1/jwks: fetch failed');
  });
});
