import { ClientAuthenticationService } from '@authz/clients';
import { InvalidClient, InvalidRequest, type OAuthError, type RegisteredClient } from '@authz/oauth';
import { loadSettings } from '@authz/platform';
import type { ClientRegistry, Clock } from '@authz/ports';
import { CALLER_CACHE_ENTRIES, CALLER_CACHE_TTL_MS, CallerAuthentication } from './caller-authentication';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const SECRET = 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU';
const ROTATED = 'c2Vjb25kLXNlY3JldC1vZi10aGUtcmVzb3VyY2Utc2Vy';
const CHALLENGE = { 'www-authenticate': 'Basic realm="introspect", error="invalid_client"' };

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (entries: Record<string, string>) => new Map(Object.entries(entries));

let now: number;
let clients: Map<string, RegisteredClient>;
let finds: number;
let comparisons: number;
let callers: CallerAuthentication;
let authentication: ClientAuthenticationService;

function resourceServer(secret: string, method: RegisteredClient['tokenEndpointAuthMethod'] = 'client_secret_basic', clientId = 'demo-api'): RegisteredClient {
  return {
    clientId,
    clientName: 'Demo API',
    ...(method === 'none' ? {} : { secretHash: authentication.hasher.hash(secret) }),
    tokenEndpointAuthMethod: method,
    grantTypes: ['client_credentials'],
    scope: [],
    defaultScope: [],
    audience: [],
    redirectUris: [],
  };
}

/** The whole error an authentication fails with: class, code, description, status, headers. */
async function failure(promise: Promise<unknown>): Promise<{ type: string; body: unknown; status: number; headers: unknown }> {
  const error = (await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  )) as OAuthError | null;
  if (!error) throw new Error('authentication succeeded');
  return { type: error.constructor.name, body: error.toBody(), status: error.status, headers: error.headers };
}

const refusedWith = (description: string) => ({ type: InvalidClient.name, body: { error: 'invalid_client', error_description: description }, status: 401, headers: CHALLENGE });

beforeEach(() => {
  now = NOW;
  finds = 0;
  const clock: Clock = { now: () => new Date(now) };
  authentication = new ClientAuthenticationService(loadSettings('introspection', {}, { ISSUER: 'https://issuer.test' }), clock);
  const matches = authentication.hasher.matches.bind(authentication.hasher);
  comparisons = 0;
  authentication.hasher.matches = (secret, stored) => {
    comparisons += 1;
    return matches(secret, stored);
  };
  clients = new Map([['demo-api', resourceServer(SECRET)]]);
  const registry: ClientRegistry = {
    find: async (clientId) => {
      finds += 1;
      return clients.get(clientId) ?? null;
    },
  };
  callers = new CallerAuthentication(registry, authentication, clock);
});

describe('CallerAuthentication (RFC 7662 §2.1: the introspection caller, successes remembered by hash)', () => {
  it('checks the secret once, then recognises the same Authorization header by its hash (the registry still read each time)', async () => {
    const header = basic('demo-api', SECRET);
    expect(await callers.authenticate(form({ token: 'x' }), header)).toBe(clients.get('demo-api'));
    expect(await callers.authenticate(form({ token: 'y' }), header)).toBe(clients.get('demo-api'));
    expect(await callers.authenticate(form({ token: 'z', client_id: 'demo-api' }), header)).toBe(clients.get('demo-api'));
    expect({ comparisons, finds }).toEqual({ comparisons: 1, finds: 3 });
  });

  it('remembers client_secret_post credentials by the hash of client_id and client_secret', async () => {
    clients.set('demo-api', resourceServer(SECRET, 'client_secret_post'));
    const body = { token: 'x', client_id: 'demo-api', client_secret: SECRET };
    expect(await callers.authenticate(form(body), undefined)).toBe(clients.get('demo-api'));
    expect(await callers.authenticate(form(body), undefined)).toBe(clients.get('demo-api'));
    expect(comparisons).toBe(1);
    expect(await failure(callers.authenticate(form({ ...body, client_secret: `${SECRET}x` }), undefined))).toEqual(refusedWith('client authentication failed'));
    expect(comparisons).toBe(2);
  });

  it('never remembers a failure: each wrong secret is compared again, and the right one afterwards too', async () => {
    const wrong = basic('demo-api', 'wrong');
    expect(await failure(callers.authenticate(form({ token: 'x' }), wrong))).toEqual(refusedWith('client authentication failed'));
    expect(await failure(callers.authenticate(form({ token: 'x' }), wrong))).toEqual(refusedWith('client authentication failed'));
    expect(comparisons).toBe(2);
    expect(await callers.authenticate(form({ token: 'x' }), basic('demo-api', SECRET))).toBe(clients.get('demo-api'));
    expect(comparisons).toBe(3);
  });

  it('refuses the old secret at the next request once the registry has the rotated one, and accepts the new one', async () => {
    const old = basic('demo-api', SECRET);
    await callers.authenticate(form({ token: 'x' }), old);
    clients.set('demo-api', resourceServer(ROTATED));
    expect(await failure(callers.authenticate(form({ token: 'x' }), old))).toEqual(refusedWith('client authentication failed'));
    expect(await callers.authenticate(form({ token: 'x' }), basic('demo-api', ROTATED))).toBe(clients.get('demo-api'));
  });

  it('refuses a remembered caller at the next request once it is deleted, or registered for another method, or public', async () => {
    const header = basic('demo-api', SECRET);
    await callers.authenticate(form({ token: 'x' }), header);
    clients.delete('demo-api');
    expect(await failure(callers.authenticate(form({ token: 'x' }), header))).toEqual(refusedWith('client authentication failed'));

    clients.set('demo-api', resourceServer(SECRET));
    await callers.authenticate(form({ token: 'x' }), header);
    clients.set('demo-api', resourceServer(SECRET, 'client_secret_post'));
    expect(await failure(callers.authenticate(form({ token: 'x' }), header))).toEqual(refusedWith('client authentication failed'));

    clients.set('demo-api', resourceServer(SECRET));
    await callers.authenticate(form({ token: 'x' }), header);
    clients.set('demo-api', resourceServer(SECRET, 'none'));
    expect(await failure(callers.authenticate(form({ token: 'x' }), header))).toEqual(refusedWith('client authentication failed'));
  });

  it(`checks the secret again after ${CALLER_CACHE_TTL_MS / 1000} s`, async () => {
    const header = basic('demo-api', SECRET);
    await callers.authenticate(form({ token: 'x' }), header);
    now += CALLER_CACHE_TTL_MS - 1;
    await callers.authenticate(form({ token: 'x' }), header);
    expect(comparisons).toBe(1);
    now += 1;
    await callers.authenticate(form({ token: 'x' }), header);
    expect(comparisons).toBe(2);
    await callers.authenticate(form({ token: 'x' }), header);
    expect(comparisons).toBe(2);
  });

  it('gives a remembered header the full check when the body adds credentials or names another client', async () => {
    const header = basic('demo-api', SECRET);
    await callers.authenticate(form({ token: 'x' }), header);
    expect(await failure(callers.authenticate(form({ token: 'x', client_secret: SECRET }), header))).toEqual({
      type: InvalidRequest.name,
      body: { error: 'invalid_request', error_description: 'more than one client authentication method was used' },
      status: 400,
      headers: {},
    });
    expect(await failure(callers.authenticate(form({ token: 'x', client_id: 'demo-web' }), header))).toEqual({
      type: InvalidRequest.name,
      body: { error: 'invalid_request', error_description: 'client_id does not match the Authorization header' },
      status: 400,
      headers: {},
    });
    expect(await failure(callers.authenticate(form({ token: 'x', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'a.b.c' }), header))).toEqual({
      type: InvalidRequest.name,
      body: { error: 'invalid_request', error_description: 'more than one client authentication method was used' },
      status: 400,
      headers: {},
    });
  });

  it(`keeps at most ${CALLER_CACHE_ENTRIES} authentications, the oldest first out`, async () => {
    for (let i = 0; i <= CALLER_CACHE_ENTRIES; i += 1) clients.set(`rs-${i}`, resourceServer(`${SECRET}-${i}`, 'client_secret_basic', `rs-${i}`));
    for (let i = 0; i <= CALLER_CACHE_ENTRIES; i += 1) await callers.authenticate(form({ token: 'x' }), basic(`rs-${i}`, `${SECRET}-${i}`));
    expect(comparisons).toBe(CALLER_CACHE_ENTRIES + 1);
    await callers.authenticate(form({ token: 'x' }), basic(`rs-${CALLER_CACHE_ENTRIES}`, `${SECRET}-${CALLER_CACHE_ENTRIES}`));
    await callers.authenticate(form({ token: 'x' }), basic('rs-1', `${SECRET}-1`));
    expect(comparisons).toBe(CALLER_CACHE_ENTRIES + 1);
    await callers.authenticate(form({ token: 'x' }), basic('rs-0', `${SECRET}-0`));
    expect(comparisons).toBe(CALLER_CACHE_ENTRIES + 2);
  });
});
