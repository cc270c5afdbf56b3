import { MemoryEventBus, migrate, PgliteDatabase } from '@authz/adapters';
import type { EventOf } from '@authz/contracts';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { consentsProjection } from './consents.projection';
import { Projector } from './projector';

function granted(sub: string, clientId: string, scopes: string[], grantedAt: number): EventOf<'oauth.consent.granted.v1'> {
  return { type: 'oauth.consent.granted.v1', subject: sub, data: { sub, clientId, scopes, grantedAt } };
}

describe('consents projection (PGlite, same migrations as PostgreSQL)', () => {
  let db: PgliteDatabase;
  let bus: MemoryEventBus;

  beforeAll(async () => {
    db = await PgliteDatabase.create({ logger: silentLogger });
    await migrate(db, { logger: silentLogger });
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE consents, projection_positions');
    bus = new MemoryEventBus({ source: 'urn:authz:test', logger: silentLogger });
  });
  afterEach(async () => {
    await bus.close();
  });

  async function consumed(events: EventOf<'oauth.consent.granted.v1'>[], firstOffset = 0): Promise<ConsumedEvent[]> {
    const envelopes = await Promise.all(events.map((event) => bus.publish(event)));
    return envelopes.map((envelope, n) => ({ envelope, topic: 'oauth.consents', partition: 0, offset: String(firstOffset + n) }));
  }

  it('keeps the union of the scopes granted per user and client, with the latest grant, across and within batches', async () => {
    const projector = new Projector(consentsProjection, db, silentLogger);
    const first = await consumed([granted('alice', 'web', ['profile'], 100), granted('alice', 'web', ['api:read', 'profile'], 200), granted('bob', 'web', ['profile'], 150)]);
    await projector.applyBatch(first);
    const second = await consumed([granted('alice', 'web', ['api:write'], 300)], 3);
    await projector.applyBatch(second);
    // A redelivered batch changes nothing.
    await projector.applyBatch(first);

    const { rows } = await db.query('SELECT subject, client_id, scopes, granted_at, event_id FROM consents ORDER BY subject');
    expect(rows).toEqual([
      { subject: 'alice', client_id: 'web', scopes: ['api:read', 'api:write', 'profile'], granted_at: new Date(300_000), event_id: second[0]!.envelope.id },
      { subject: 'bob', client_id: 'web', scopes: ['profile'], granted_at: new Date(150_000), event_id: first[2]!.envelope.id },
    ]);
  });

  it('is commutative: the same statements applied out of order give the same row', async () => {
    const events = await consumed([granted('carol', 'spa', ['a'], 10), granted('carol', 'spa', ['b'], 20)]);
    for (const event of [events[1]!, events[0]!]) {
      for (const statement of consentsProjection.apply([event.envelope])) await db.query(statement.text, statement.values);
    }
    const { rows } = await db.query('SELECT subject, client_id, scopes, granted_at, event_id FROM consents');
    expect(rows).toEqual([{ subject: 'carol', client_id: 'spa', scopes: ['a', 'b'], granted_at: new Date(20_000), event_id: events[1]!.envelope.id }]);
  });
});
