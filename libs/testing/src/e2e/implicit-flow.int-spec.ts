/**
 * The legacy implicit flow (RFC 6749 §4.2) over the distributed services, on Kafka, PostgreSQL, Redis
 * and slapd: the authorize service signs the access token with the token service's active key (same
 * key store, same issuer code) and returns it in the fragment; the introspection service, which learns
 * keys from the log only, finds it active.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { fetchTransport, hiddenFields, locationOf, PageBrowser } from '../page-browser';
import { cleanupRun, createRunDatabase, e2eRun, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'http://localhost:8080';
const CALLBACK = 'http://127.0.0.1:8094/callback';
const DEMO_API = `Basic ${Buffer.from('demo-api:NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU').toString('base64')}`;

const e2e = e2eRun('e2e-implicit');

let services: Record<string, RunningService> = {};

beforeAll(async () => {
  await createRunDatabase(e2e);
  const env = serviceEnv(e2e, {
    ISSUER,
    SESSION_KEYS: randomBytes(32).toString('base64url'),
    IDENTITY_INTERNAL_TOKEN: randomBytes(32).toString('base64url'),
    ACCESS_TOKEN_TTL: '300',
    LOG_LEVEL: 'warn',
  });
  services.identity = await startServiceProcess('identity', env);
  const withIdentity = { ...env, IDENTITY_URL: services.identity.url };
  // The token service first: it creates the signing key; the authorize service loads the same one.
  services.token = await startServiceProcess('token', withIdentity);
  const [introspection, authorize] = await Promise.all([startServiceProcess('introspection', env), startServiceProcess('authorize', withIdentity)]);
  services.introspection = introspection;
  services.authorize = authorize;
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map(stopServiceProcess));
  services = {};
  await cleanupRun(e2e);
}, 60_000);

describe('the implicit flow over the distributed services', () => {
  it('returns an access token in the fragment that the introspection service finds active', async () => {
    const browser = new PageBrowser(fetchTransport(services.authorize!.url));
    const query = new URLSearchParams({ response_type: 'token', client_id: 'demo-legacy-implicit', redirect_uri: CALLBACK, scope: 'profile api:read', state: 'st' });
    const login = await browser.get(locationOf(await browser.get(`/authorize?${query}`)));
    const consent = await browser.get(locationOf(await browser.post('/authorize/login', { ...hiddenFields(login.body), username: 'alice', password: 'alice-password' })));
    const redirect = new URL(locationOf(await browser.post('/authorize/consent', { ...hiddenFields(consent.body), decision: 'allow' })));

    expect(`${redirect.origin}${redirect.pathname}${redirect.search}`).toBe(CALLBACK);
    const fragment = Object.fromEntries(new URLSearchParams(redirect.hash.slice(1)));
    expect(fragment).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: '300', state: 'st', iss: ISSUER });

    const token = fragment.access_token!;
    const claims = decodeJwt(token);
    const jwks = (await (await fetch(`${services.token!.url}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([decodeProtectedHeader(token).kid]);

    const introspection = await fetch(`${services.introspection!.url}/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: DEMO_API },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    expect({ status: introspection.status, body: await introspection.json() }).toEqual({
      status: 200,
      body: {
        active: true,
        scope: 'profile api:read',
        client_id: 'demo-legacy-implicit',
        sub: 'alice',
        aud: 'https://api.example.org',
        iss: ISSUER,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        token_type: 'Bearer',
      },
    });
  }, 60_000);
});
