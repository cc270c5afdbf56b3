import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MemoryEventBus, migrate, PgDatabase } from '@authz/adapters';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { accessTokensProjection } from './access-tokens.projection';
import { Projector } from './projector';

const connectionString = process.env.DATABASE_URL!;
const schema = `test_projector_${randomBytes(4).toString('hex')}`;

describe('Projector on PostgreSQL', () => {
  const admin = new PgDatabase({ connectionString, max: 1 });
  const db = new PgDatabase({ connectionString, schema, max: 2 });
  const bus = new MemoryEventBus({ source: 'urn:authz:test', logger: silentLogger });

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await migrate(db, { logger: silentLogger });
  });
  afterAll(async () => {
    await bus.close();
    await db.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });

  async function consumed(from: number, count: number): Promise<ConsumedEvent[]> {
    const envelopes = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        bus.publish({
          type: 'oauth.access_token.issued.v1',
          subject: `grant-${from + i}`,
          data: {
            jti: `jti-${from + i}`,
            grantId: `grant-${from + i}`,
            grantType: 'client_credentials',
            clientId: "o'brien-service",
            sub: "o'brien-service",
            scope: 'api:read',
            audience: ['https://api.example.org'],
            issuedAt: 1_800_000_000,
            expiresAt: 1_800_000_300,
            tokenHash: `sha256:${String(from + i).padStart(43, 'A')}`,
          },
        }),
      ),
    );
    return envelopes.map((envelope, i) => ({ envelope, topic: 'oauth.tokens', partition: (from + i) % 2, offset: String(100 + from + i) }));
  }

  it('applies a batch in three round trips: BEGIN with the schema and the positions, the rows, the positions with COMMIT', async () => {
    const projector = new Projector(accessTokensProjection, db, silentLogger, schema);
    const batch = await consumed(0, 4);
    const spy = jest.spyOn(pg.Client.prototype, 'query');
    let applied: number;
    let sent: string[];
    try {
      applied = await projector.applyBatch(batch);
      sent = spy.mock.calls.map(([text]) => String(text).replace(/\s+/g, ' '));
    } finally {
      spy.mockRestore();
    }
    expect(applied).toBe(4);
    expect(sent).toEqual([
      `BEGIN; SET LOCAL search_path TO "${schema}"; SELECT topic, partition, "offset" FROM "${schema}".projection_positions WHERE projection = 'access_tokens' AND topic = ANY('{"oauth.tokens"}'::text[])`,
      expect.stringMatching(/^INSERT INTO access_tokens /),
      expect.stringMatching(/^INSERT INTO projection_positions .* SELECT 'access_tokens', .* unnest\('\{"oauth\.tokens","oauth\.tokens"\}'::text\[\], '\{"0","1"\}'::int\[\], '\{"102","103"\}'::bigint\[\]\) .*; COMMIT$/),
    ]);
    expect((await db.query('SELECT jti, client_id FROM access_tokens ORDER BY jti')).rows).toEqual(
      [0, 1, 2, 3].map((n) => ({ jti: `jti-${n}`, client_id: "o'brien-service" })),
    );
    expect((await db.query('SELECT topic, partition, "offset" FROM projection_positions ORDER BY partition')).rows).toEqual([
      { topic: 'oauth.tokens', partition: 0, offset: '102' },
      { topic: 'oauth.tokens', partition: 1, offset: '103' },
    ]);
  });

  it('skips what it applied already when a batch comes again with more', async () => {
    const projector = new Projector(accessTokensProjection, db, silentLogger, schema);
    const again = [...(await consumed(0, 4)), ...(await consumed(4, 2))];
    expect(await projector.applyBatch(again)).toBe(2);
    expect(await projector.applyBatch(again)).toBe(0);
    expect((await db.query<{ count: string }>('SELECT count(*) FROM access_tokens')).rows).toEqual([{ count: '6' }]);
    expect((await db.query('SELECT partition, "offset" FROM projection_positions ORDER BY partition')).rows).toEqual([
      { partition: 0, offset: '104' },
      { partition: 1, offset: '105' },
    ]);
  });
});
