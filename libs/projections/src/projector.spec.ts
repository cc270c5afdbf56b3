import { MemoryEventBus, migrate, PgliteDatabase } from '@authz/adapters';
import type { EventOf } from '@authz/contracts';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { accessTokensProjection } from './access-tokens.projection';
import { Projector } from './projector';
import { rebuildProjection } from './rebuild';

const hash = (n: number) => `sha256:${String(n).padStart(43, 'A')}`;

function issued(n: number): EventOf<'oauth.access_token.issued.v1'> {
  return {
    type: 'oauth.access_token.issued.v1',
    subject: `grant-${n}`,
    data: {
      jti: `jti-${n}`,
      grantId: `grant-${n}`,
      grantType: 'client_credentials',
      clientId: 'demo-service',
      sub: 'demo-service',
      scope: 'api:read',
      audience: ['https://api.example.org', `https://other-${n}.example.org`],
      issuedAt: 1_800_000_000 + n,
      expiresAt: 1_800_000_300 + n,
      tokenHash: hash(n),
    },
  };
}

describe('access_tokens projection (PGlite, same migrations as PostgreSQL)', () => {
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
    await db.query('TRUNCATE access_tokens, projection_positions');
    bus = new MemoryEventBus({ source: 'urn:authz:test', logger: silentLogger });
  });
  afterEach(async () => {
    await bus.close();
  });

  async function consumed(count: number): Promise<ConsumedEvent[]> {
    const envelopes = await Promise.all(Array.from({ length: count }, (_, n) => bus.publish(issued(n))));
    return envelopes.map((envelope, n) => ({ envelope, topic: 'oauth.tokens', partition: 0, offset: String(n) }));
  }

  it('writes one row per issued token, exactly as the event says', async () => {
    const [event] = await consumed(1);
    await new Projector(accessTokensProjection, db, silentLogger).applyBatch([event!]);
    const { rows } = await db.query('SELECT * FROM access_tokens');
    expect(rows).toEqual([
      {
        jti: 'jti-0',
        grant_id: 'grant-0',
        grant_type: 'client_credentials',
        client_id: 'demo-service',
        subject: 'demo-service',
        scope: 'api:read',
        audience: ['https://api.example.org', 'https://other-0.example.org'],
        token_hash: hash(0),
        issued_at: new Date(1_800_000_000_000),
        expires_at: new Date(1_800_000_300_000),
        event_id: event!.envelope.id,
      },
    ]);
    expect((await db.query('SELECT projection, topic, partition, "offset" FROM projection_positions')).rows).toEqual([
      { projection: 'access_tokens', topic: 'oauth.tokens', partition: 0, offset: '0' },
    ]);
  });

  it('skips a batch delivered again (positions), and a replayed event changes nothing', async () => {
    const events = await consumed(5);
    const projector = new Projector(accessTokensProjection, db, silentLogger);
    expect(await projector.applyBatch(events.slice(0, 3))).toBe(3);
    expect(await projector.applyBatch(events)).toBe(2); // 0..2 again after a crash before the commit, then 3..4
    expect(await projector.applyBatch(events)).toBe(0);
    expect((await db.query<{ count: string }>('SELECT count(*) FROM access_tokens')).rows).toEqual([{ count: '5' }]);
  });

  it('keeps each partition\'s position of a batch that spans several, and a copy of an event at a later offset adds no row', async () => {
    const [a, b, c] = await consumed(3);
    const projector = new Projector(accessTokensProjection, db, silentLogger);
    const batch: ConsumedEvent[] = [
      { ...a!, partition: 0, offset: '7' },
      { ...b!, partition: 2, offset: '3' },
      { ...c!, partition: 2, offset: '4' },
      // The same event published twice (a producer's retry): a new offset, the same jti.
      { ...a!, partition: 0, offset: '8' },
    ];
    expect(await projector.applyBatch(batch)).toBe(4);
    expect((await db.query('SELECT jti FROM access_tokens ORDER BY jti')).rows).toEqual([{ jti: 'jti-0' }, { jti: 'jti-1' }, { jti: 'jti-2' }]);
    expect((await db.query('SELECT projection, topic, partition, "offset" FROM projection_positions ORDER BY partition')).rows).toEqual([
      { projection: 'access_tokens', topic: 'oauth.tokens', partition: 0, offset: '8' },
      { projection: 'access_tokens', topic: 'oauth.tokens', partition: 2, offset: '4' },
    ]);
    // Positions only move forward: an older batch of partition 2 changes neither rows nor positions.
    expect(await projector.applyBatch([{ ...b!, partition: 2, offset: '2' }])).toBe(0);
    expect((await db.query('SELECT "offset" FROM projection_positions WHERE partition = 2')).rows).toEqual([{ offset: '4' }]);
  });

  it('runs as a consumer group and a rebuild from offset 0 gives the same rows', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, n) => bus.publish(issued(n))));
    const subscription = await new Projector(accessTokensProjection, db, silentLogger).start(bus);
    await subscription.caughtUp();
    await subscription.stop();
    const result = await rebuildProjection(accessTokensProjection, { db, subscriber: bus, logger: silentLogger });
    const live = await db.query('SELECT * FROM public.access_tokens ORDER BY jti');
    const rebuilt = await db.query(`SELECT * FROM "${result.schema}".access_tokens ORDER BY jti`);
    expect(live.rows).toHaveLength(40);
    expect(rebuilt.rows).toEqual(live.rows);
    expect(result).toEqual({ projection: 'access_tokens', schema: result.schema, events: 40, swapped: false });
  }, 30_000);

  it('resumes from its own positions: a database reset behind the group\'s committed offsets is caught up again', async () => {
    await Promise.all(Array.from({ length: 6 }, (_, n) => bus.publish(issued(n))));
    const projector = new Projector(accessTokensProjection, db, silentLogger);
    const first = await projector.start(bus);
    await first.caughtUp();
    await first.stop();
    // The group has committed offset 6; the database is restored to an empty state.
    await db.query('TRUNCATE access_tokens, projection_positions');
    const second = await projector.start(bus);
    await second.caughtUp();
    await second.stop();
    expect((await db.query<{ jti: string }>('SELECT jti FROM access_tokens ORDER BY jti')).rows.map((row) => row.jti)).toEqual(
      Array.from({ length: 6 }, (_, n) => `jti-${n}`),
    );
  }, 30_000);

  it('swaps a rebuild in place of the live tables, positions included', async () => {
    await Promise.all(Array.from({ length: 3 }, (_, n) => bus.publish(issued(n))));
    await db.query(`INSERT INTO access_tokens SELECT 'stale', 'g', 'client_credentials', 'c', 's', '', '{}', $1, now(), now(), 'e'`, [hash(99)]);
    const result = await rebuildProjection(accessTokensProjection, { db, subscriber: bus, logger: silentLogger }, { swap: true });
    expect((await db.query<{ jti: string }>('SELECT jti FROM public.access_tokens ORDER BY jti')).rows).toEqual([{ jti: 'jti-0' }, { jti: 'jti-1' }, { jti: 'jti-2' }]);
    expect((await db.query('SELECT projection, "offset" FROM public.projection_positions')).rows).toEqual([{ projection: 'access_tokens', offset: '2' }]);
    expect((await db.query<{ jti: string }>(`SELECT jti FROM "${result.schema}_previous".access_tokens`)).rows).toEqual([{ jti: 'stale' }]);
  }, 30_000);
});
