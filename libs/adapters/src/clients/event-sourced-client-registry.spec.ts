import { createEnvelope, type EventOf, Topics } from '@authz/contracts';
import type { RegisteredClient } from '@authz/oauth';
import { silentLogger } from '@authz/ports';
import { eventually } from '../events/event-bus.contract';
import { MemoryEventBus } from '../memory/memory-event-bus';
import { type ClientEntry, EventSourcedClientRegistry, evolveClient } from './event-sourced-client-registry';

const SECRET_HASH = `hmac-sha256:${'S'.repeat(43)}`;
const RAT_HASH = `hmac-sha256:${'R'.repeat(43)}`;

const seed: RegisteredClient = {
  clientId: 'seed-service',
  clientName: 'Seed service',
  secretHash: `sha256:${'A'.repeat(43)}`,
  tokenEndpointAuthMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  scope: ['api:read'],
  defaultScope: ['api:read'],
  audience: ['https://api.example.org'],
  redirectUris: [],
};

function registered(clientId: string, revision = 1, name = `Client ${clientId}`): EventOf<'oauth.client.registered.v1'> {
  return {
    type: 'oauth.client.registered.v1',
    subject: clientId,
    data: {
      clientId,
      revision,
      clientIdIssuedAt: 1_767_000_000,
      registrationAccessTokenHash: RAT_HASH,
      client: {
        clientName: name,
        secretHash: SECRET_HASH,
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        responseTypes: [],
        scope: ['reports'],
        defaultScope: [],
        audience: ['https://reports.example.org'],
        redirectUris: [],
      },
    },
  };
}

function updated(clientId: string, revision: number, name: string): EventOf<'oauth.client.updated.v1'> {
  const event = registered(clientId, revision, name);
  return { ...event, type: 'oauth.client.updated.v1' };
}

function deleted(clientId: string, revision: number): EventOf<'oauth.client.deleted.v1'> {
  return { type: 'oauth.client.deleted.v1', subject: clientId, data: { clientId, revision, deletedAt: 1_767_000_100 } };
}

function expectedClient(clientId: string, name = `Client ${clientId}`): RegisteredClient {
  return {
    clientId,
    clientIdIssuedAt: 1_767_000_000,
    clientName: name,
    secretHash: SECRET_HASH,
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    responseTypes: [],
    scope: ['reports'],
    defaultScope: [],
    audience: ['https://reports.example.org'],
    redirectUris: [],
  };
}

let bus: MemoryEventBus;
let registries: EventSourcedClientRegistry[];

beforeEach(() => {
  bus = new MemoryEventBus({ source: 'urn:authz:test', retryBackoffMs: 1 });
  registries = [];
});

afterEach(async () => {
  await Promise.all(registries.map((registry) => registry.stop()));
  await bus.close();
});

async function startRegistry(groupId = `clients.broadcast.${registries.length}`): Promise<EventSourcedClientRegistry> {
  const registry = new EventSourcedClientRegistry({ subscriber: bus, seeds: new Map([[seed.clientId, seed]]), groupId, logger: silentLogger });
  registries.push(registry);
  await registry.start();
  return registry;
}

describe('EventSourcedClientRegistry (memory bus)', () => {
  it('serves the seed clients, read-only, with revision 0', async () => {
    const registry = await startRegistry();

    expect(await registry.find('seed-service')).toBe(seed);
    expect(await registry.findRecord('seed-service')).toEqual({ client: seed, origin: 'seed', revision: 0 });
    expect(await registry.list()).toEqual([{ client: seed, origin: 'seed', revision: 0 }]);
    expect(registry.isTaken('seed-service')).toBe(true);
    expect(await registry.find('nobody')).toBeNull();
    expect(registry.isTaken('nobody')).toBe(false);
  });

  it('has read the whole topic when start resolves (a replica is ready only once caught up)', async () => {
    await bus.publish(registered('a'));
    await bus.publish(registered('b'));
    await bus.publish(updated('a', 2, 'Renamed a'));
    await bus.publish(deleted('b', 2));

    const registry = await startRegistry();

    expect(registry.ready).toBe(true);
    expect(await registry.find('a')).toEqual(expectedClient('a', 'Renamed a'));
    expect(await registry.findRecord('a')).toEqual({ client: expectedClient('a', 'Renamed a'), origin: 'registered', revision: 2, registrationAccessTokenHash: RAT_HASH });
    expect(await registry.find('b')).toBeNull();
    expect(registry.isTaken('b')).toBe(true);
    expect(registry.lastRevision('b')).toBe(2);
    expect((await registry.list()).map((record) => record.client.clientId)).toEqual(['seed-service', 'a']);
  });

  it('lists in a stable order: the seeds in file order, then by client_id_issued_at, then by client id', async () => {
    const issuedAt = (event: EventOf<'oauth.client.registered.v1'>, at: number) => ({ ...event, data: { ...event.data, clientIdIssuedAt: at } });
    // As a 3-partition topic may deliver them: not in registration order.
    await bus.publish(issuedAt(registered('zeta'), 1_767_000_005));
    await bus.publish(issuedAt(registered('beta'), 1_767_000_009));
    await bus.publish(issuedAt(registered('alpha'), 1_767_000_009));
    await bus.publish(issuedAt(registered('omega'), 1_767_000_001));
    const other: RegisteredClient = { ...seed, clientId: 'another-seed' };
    const registry = new EventSourcedClientRegistry({ subscriber: bus, seeds: new Map([[seed.clientId, seed], [other.clientId, other]]), groupId: 'clients.order', logger: silentLogger });
    registries.push(registry);
    await registry.start();

    expect((await registry.list()).map((record) => record.client.clientId)).toEqual(['seed-service', 'another-seed', 'omega', 'zeta', 'alpha', 'beta']);
  });

  it('applies the events published after its start, on every replica', async () => {
    const first = await startRegistry();
    const second = await startRegistry();

    await bus.publish(registered('late'));

    await eventually(async () => {
      expect(await first.find('late')).toEqual(expectedClient('late'));
      expect(await second.find('late')).toEqual(expectedClient('late'));
    });
  });

  it('rebuilds everything after a restart with the same group id (the map is memory, not the group offset)', async () => {
    await bus.publish(registered('a'));
    const before = await startRegistry('clients.broadcast.fixed');
    expect(await before.find('a')).toEqual(expectedClient('a'));
    await before.stop();
    registries = [];

    const after = await startRegistry('clients.broadcast.fixed');

    expect(await after.find('a')).toEqual(expectedClient('a'));
  });

  it('applies its own acknowledged event at once (read-your-writes) and ignores the older delivery that follows', async () => {
    const registry = await startRegistry();
    const first = await bus.publish(registered('a'));
    const second = await bus.publish(updated('a', 2, 'Renamed a'));

    registry.applyAcknowledged(first);
    registry.applyAcknowledged(second);
    expect(await registry.find('a')).toEqual(expectedClient('a', 'Renamed a'));

    // The log delivers revision 1, then 2: the registry never goes back to revision 1.
    await eventually(async () => expect(bus.readTopic(Topics.clients)).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await registry.find('a')).toEqual(expectedClient('a', 'Renamed a'));
    expect(registry.lastRevision('a')).toBe(2);
  });

  it('ignores an event about a seed client id (a seed cannot be replaced through the log)', async () => {
    await bus.publish(registered('seed-service'));

    const registry = await startRegistry();

    expect(await registry.find('seed-service')).toBe(seed);
  });

  it('ignores events of other types on the topic', async () => {
    const registry = await startRegistry();

    registry.applyAcknowledged(createEnvelope({ type: 'oauth.signing_key.published.v1', subject: 'k', data: { kid: 'k', alg: 'ES256', createdAt: 1, publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k', alg: 'ES256', use: 'sig' } } }, { source: 'test' }));

    expect(await registry.list()).toEqual([{ client: seed, origin: 'seed', revision: 0 }]);
  });
});

describe('evolveClient (the reducer)', () => {
  const at = (revision: number, name: string): ClientEntry => ({
    revision,
    record: { client: expectedClient('a', name), origin: 'registered', revision, registrationAccessTokenHash: RAT_HASH },
  });

  it('creates, updates and deletes', () => {
    const created = evolveClient(undefined, registered('a', 1, 'One'), true);
    const changed = evolveClient(created, updated('a', 2, 'Two'), true);
    const removed = evolveClient(changed, deleted('a', 3), true);

    expect([created, changed, removed]).toEqual([at(1, 'One'), at(2, 'Two'), { revision: 3, record: null }]);
  });

  it('keeps the higher revision whatever the order', () => {
    expect(evolveClient(at(3, 'Three'), updated('a', 2, 'Two'), true)).toEqual(at(3, 'Three'));
    expect(evolveClient(at(3, 'Three'), updated('a', 2, 'Two'), false)).toEqual(at(3, 'Three'));
    expect(evolveClient({ revision: 3, record: null }, registered('a', 1, 'One'), true)).toEqual({ revision: 3, record: null });
  });

  it('on an equal revision, lets the log win over a local application (replicas converge on the log order)', () => {
    expect(evolveClient(at(2, 'Mine'), updated('a', 2, 'Theirs'), true)).toEqual(at(2, 'Theirs'));
    expect(evolveClient(at(2, 'Mine'), updated('a', 2, 'Theirs'), false)).toEqual(at(2, 'Mine'));
  });

  it('keeps a client without a registration access token without the field', () => {
    const event = registered('a');
    const { registrationAccessTokenHash: _hash, ...data } = event.data;

    expect(evolveClient(undefined, { ...event, data }, true)).toEqual({ revision: 1, record: { client: expectedClient('a'), origin: 'registered', revision: 1 } });
  });
});
