import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSourcedClientRegistry, MemoryEventBus } from '@authz/adapters';
import { Topics } from '@authz/contracts';
import type { RegisteredClient } from '@authz/oauth';
import { silentLogger, systemClock } from '@authz/ports';
import { loadSettings } from '@authz/platform';
import { ClientAuthenticationService } from './client-authentication.service';
import { ClientRegistrationService } from './client-registration.service';
import { runClientsCommand } from './clients.command';

const PEPPER = 'cGVwcGVyLWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc';
const seed: RegisteredClient = {
  clientId: 'demo-service',
  clientName: 'Demo',
  secretHash: `sha256:${'A'.repeat(43)}`,
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  scope: [],
  defaultScope: [],
  audience: [],
  redirectUris: [],
};

let bus: MemoryEventBus;
let registry: EventSourcedClientRegistry;
let service: ClientRegistrationService;
let authentication: ClientAuthenticationService;
let connects: number;

beforeEach(async () => {
  bus = new MemoryEventBus({ source: 'urn:authz:cli' });
  registry = new EventSourcedClientRegistry({ subscriber: bus, seeds: new Map([[seed.clientId, seed]]), groupId: 'cli', logger: silentLogger });
  await registry.start();
  authentication = new ClientAuthenticationService(loadSettings('token', {}, { CLIENT_SECRET_PEPPER: PEPPER }), systemClock);
  service = new ClientRegistrationService(registry, bus, systemClock, authentication);
  connects = 0;
});

afterEach(async () => {
  await registry.stop();
  await bus.close();
});

async function run(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runClientsCommand(
    args,
    {
      hasher: authentication.hasher,
      connect: async () => {
        connects += 1;
        return service;
      },
    },
    { out: (line) => out.push(line), err: (line) => err.push(line), stdin: () => stdin },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run cli -- clients', () => {
  it('registers a client with a chosen id, prints its secret once, publishes oauth.client.registered.v1', async () => {
    const result = await run(['register', '--client-id', 'billing', '--name', 'Billing', '--grant-type', 'client_credentials', '--scope', 'invoices:read', '--audience', 'https://api.example.org']);

    expect(result.code).toBe(0);
    const printed = JSON.parse(result.out) as Record<string, unknown>;
    expect(printed).toEqual({
      client_id: 'billing',
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      client_id_issued_at: expect.any(Number),
      client_secret_expires_at: 0,
      client_name: 'Billing',
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      scope: 'invoices:read',
      audience: ['https://api.example.org'],
    });
    expect(result.err).toBe('The client secret is shown this once: only its hash is kept.');
    const record = await registry.findRecord('billing');
    expect(authentication.hasher.matches(printed.client_secret as string, record!.client.secretHash!)).toBe(true);
    expect(record).not.toHaveProperty('registrationAccessTokenHash');
    expect(bus.readTopic(Topics.clients).map((message) => JSON.parse(message.value.toString('utf8')).type)).toEqual(['oauth.client.registered.v1']);
  });

  it('reads RFC 7591 metadata and keys from files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clients-cli-'));
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ client_name: 'From file', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' }));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k' }] }));

    const result = await run(['register', '--metadata-file', join(dir, 'metadata.json'), '--jwks-file', join(dir, 'jwks.json')]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ client_name: 'From file', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'OKP', kid: 'k' }] } });
    expect(JSON.parse(result.out)).not.toHaveProperty('client_secret');
  });

  it('refuses invalid metadata with the RFC error, before joining the log', async () => {
    const result = await run(['register', '--redirect-uri', 'http://app.example.org/cb']);

    expect(result).toEqual({
      code: 1,
      out: '',
      err: 'error: invalid_redirect_uri: a redirect URI must be an absolute https URL (http only on a loopback host) without a fragment',
    });
    expect(connects).toBe(0);
  });

  it('refuses a seed id or a taken id', async () => {
    expect(await run(['register', '--client-id', 'demo-service', '--grant-type', 'client_credentials'])).toEqual({ code: 1, out: '', err: 'error: client id demo-service is already taken' });
  });

  it('lists, shows, rotates a secret and deletes', async () => {
    await run(['register', '--client-id', 'billing', '--name', 'Billing', '--grant-type', 'client_credentials']);

    expect(await run(['list'])).toEqual({
      code: 0,
      out: 'demo-service\tseed\tclient_secret_basic\tclient_credentials\tDemo\nbilling\tregistered\tclient_secret_basic\tclient_credentials\tBilling',
      err: '',
    });
    expect(JSON.parse((await run(['show', 'billing'])).out)).toMatchObject({ client_id: 'billing', origin: 'registered', revision: 1 });

    const rotated = await run(['rotate-secret', 'billing']);
    const secret = (JSON.parse(rotated.out) as { client_secret: string }).client_secret;
    expect(authentication.hasher.matches(secret, (await registry.find('billing'))!.secretHash!)).toBe(true);
    expect(registry.lastRevision('billing')).toBe(2);

    expect(await run(['delete', 'billing'])).toEqual({ code: 0, out: 'deleted billing', err: '' });
    expect(await registry.find('billing')).toBeNull();
    expect(await run(['show', 'billing'])).toEqual({ code: 1, out: '', err: 'error: no client billing' });
    expect(bus.readTopic(Topics.clients).map((message) => JSON.parse(message.value.toString('utf8')).type)).toEqual([
      'oauth.client.registered.v1',
      'oauth.client.updated.v1',
      'oauth.client.deleted.v1',
    ]);
  });

  it('never changes a seed client', async () => {
    expect(await run(['delete', 'demo-service'])).toEqual({ code: 1, out: '', err: 'error: client demo-service comes from the seed file (CLIENTS_FILE): change it there' });
    expect(await run(['rotate-secret', 'demo-service'])).toEqual({ code: 1, out: '', err: 'error: client demo-service comes from the seed file (CLIENTS_FILE): change it there' });
  });

  it('hashes a secret from stdin for the seed file without joining the log', async () => {
    const result = await run(['hash-secret'], 'my-secret\n');

    expect(result).toEqual({ code: 0, out: authentication.hasher.hash('my-secret'), err: '' });
    expect(connects).toBe(0);
  });

  it.each([
    [[], 'a command is required'],
    [['nope'], 'unknown command nope'],
    [['show'], 'expected exactly one client id'],
    [['register', '--colour', 'red'], "Unknown option '--colour'"],
  ])('prints the usage for %j with exit code 2', async (args, message) => {
    const result = await run(args);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(new RegExp(`^error: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n\nusage: npm run cli -- clients <command>`));
  });
});
