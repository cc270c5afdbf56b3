import { MemoryEventBus, migrate, PgliteDatabase } from '@authz/adapters';
import type { EventOf } from '@authz/contracts';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { Projector } from './projector';
import { revocationsProjection } from './revocations.projection';

type Revocation = EventOf<'oauth.grant.revoked.v1'> | EventOf<'oauth.access_token.revoked.v1'>;

const grantRevoked = (grantId: string, revokedAt: number, coversUntil?: number): EventOf<'oauth.grant.revoked.v1'> => ({
  type: 'oauth.grant.revoked.v1',
  subject: grantId,
  data: { grantId, clientId: 'web-app', subject: 'alice', reason: 'user_request', revokedAt, ...(coversUntil === undefined ? {} : { coversUntil }) },
});
const tokenRevoked = (jti: string, grantId: string, revokedAt: number, expiresAt: number): EventOf<'oauth.access_token.revoked.v1'> => ({
  type: 'oauth.access_token.revoked.v1',
  subject: grantId,
  data: { jti, grantId, clientId: 'demo-service', sub: 'demo-service', reason: 'client_request', revokedAt, expiresAt },
});

describe('revocations projection (PGlite, same migrations as PostgreSQL)', () => {
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
    await db.query('TRUNCATE revocations, projection_positions');
    bus = new MemoryEventBus({ source: 'urn:authz:test', logger: silentLogger });
  });
  afterEach(async () => {
    await bus.close();
  });

  async function consumed(events: Revocation[], firstOffset = 0): Promise<ConsumedEvent[]> {
    const envelopes = await Promise.all(events.map((event) => bus.publish(event)));
    return envelopes.map((envelope, n) => ({ envelope, topic: 'oauth.revocations', partition: 0, offset: String(firstOffset + n) }));
  }

  const rows = async () =>
    (await db.query('SELECT kind, id, grant_id, client_id, subject, reason, revoked_at, covers_until, event_id FROM revocations ORDER BY kind, id')).rows;

  it('writes one row per revoked grant and per revoked jti, with the instant their tokens have all expired, and its position', async () => {
    const projector = new Projector(revocationsProjection, db, silentLogger);
    const batch = await consumed([grantRevoked('grant-1', 1_000, 1_600), tokenRevoked('jti-1', 'grant-2', 1_100, 1_300), grantRevoked('grant-3', 1_200)]);
    await projector.applyBatch(batch);
    // A redelivered batch changes nothing.
    await projector.applyBatch(batch);

    expect(await rows()).toEqual([
      { kind: 'grant', id: 'grant-1', grant_id: 'grant-1', client_id: 'web-app', subject: 'alice', reason: 'user_request', revoked_at: new Date(1_000_000), covers_until: new Date(1_600_000), event_id: batch[0]!.envelope.id },
      // Without coversUntil (written before it existed): the longest lifetime an access token may have.
      { kind: 'grant', id: 'grant-3', grant_id: 'grant-3', client_id: 'web-app', subject: 'alice', reason: 'user_request', revoked_at: new Date(1_200_000), covers_until: new Date((1_200 + 86_400) * 1000), event_id: batch[2]!.envelope.id },
      { kind: 'token', id: 'jti-1', grant_id: 'grant-2', client_id: 'demo-service', subject: 'demo-service', reason: 'client_request', revoked_at: new Date(1_100_000), covers_until: new Date(1_300_000), event_id: batch[1]!.envelope.id },
    ]);
    expect((await db.query('SELECT projection, topic, partition, "offset"::text AS "offset" FROM projection_positions')).rows).toEqual([
      { projection: 'revocations', topic: 'oauth.revocations', partition: 0, offset: '2' },
    ]);
  });

  it('keeps the first revocation of a grant, extended to the latest deadline, within a batch and across batches', async () => {
    const projector = new Projector(revocationsProjection, db, silentLogger);
    const first = await consumed([grantRevoked('grant-1', 1_000, 1_600), grantRevoked('grant-1', 1_100, 2_000)]);
    await projector.applyBatch(first);
    await projector.applyBatch(await consumed([grantRevoked('grant-1', 1_200, 1_800)], 2));

    expect(await rows()).toEqual([
      { kind: 'grant', id: 'grant-1', grant_id: 'grant-1', client_id: 'web-app', subject: 'alice', reason: 'user_request', revoked_at: new Date(1_000_000), covers_until: new Date(2_000_000), event_id: first[0]!.envelope.id },
    ]);
  });
});
