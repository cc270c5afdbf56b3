import { MemoryEventBus, migrate, PgliteDatabase } from '@authz/adapters';
import type { EventOf } from '@authz/contracts';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { accessTokensProjection } from './access-tokens.projection';
import { listPartitions, maintainPartitions, partitionName, partitionStart, type PartitionPolicy } from './partitioning';
import { partitionPolicy } from './partition-policy';
import { Projector } from './projector';
import { rebuildProjection } from './rebuild';
import { revocationsProjection } from './revocations.projection';

const DAY = 86_400;
const hash = (n: number) => `sha256:${String(n).padStart(43, 'A')}`;
// 2027-01-10T00:00:00Z
const MIDNIGHT = 1_799_539_200;
const policy: PartitionPolicy = { premakeSeconds: 2 * DAY, keepAfterSeconds: (table) => (table === 'access_tokens' ? DAY : table === 'revocations' ? 3 * DAY : null) };

const token = (jti: string, issuedAt: number, expiresAt: number): EventOf<'oauth.access_token.issued.v1'> => ({
  type: 'oauth.access_token.issued.v1',
  subject: 'g1',
  data: { jti, grantId: 'g1', grantType: 'client_credentials', clientId: 'svc', sub: 'svc', scope: 'api:read', audience: ['https://api'], issuedAt, expiresAt, tokenHash: hash(issuedAt) },
});
const grantRevoked = (grantId: string, revokedAt: number, coversUntil: number): EventOf<'oauth.grant.revoked.v1'> => ({
  type: 'oauth.grant.revoked.v1',
  subject: grantId,
  data: { grantId, clientId: 'web', subject: 'alice', reason: 'user_request', revokedAt, coversUntil },
});

describe('partition names', () => {
  it('are UTC days or months, and read back', () => {
    expect(partitionName('access_tokens', MIDNIGHT * 1000, 'day')).toBe('access_tokens_p20270110');
    expect(partitionName('audit_events', MIDNIGHT * 1000, 'month')).toBe('audit_events_p202701');
    expect(partitionStart('access_tokens', 'access_tokens_p20270110', 'day')).toBe(MIDNIGHT * 1000);
    expect(partitionStart('audit_events', 'audit_events_p202701', 'month')).toBe(Date.UTC(2027, 0, 1));
    expect(partitionStart('access_tokens', 'access_tokens_default', 'day')).toBeNull();
  });

  it('the settings keep revocation tombstones at least a refresh lifetime and the audit index forever by default', () => {
    const settings = { PARTITION_PREMAKE: 604_800, PARTITION_DROP_GRACE: 86_400, REFRESH_TOKEN_TTL: 2_592_000, REVOCATION_TOMBSTONE_TTL: 0, AUDIT_INDEX_RETENTION: 0 };
    const fromSettings = partitionPolicy(settings);
    expect([fromSettings.keepAfterSeconds('access_tokens'), fromSettings.keepAfterSeconds('revocations'), fromSettings.keepAfterSeconds('audit_events')]).toEqual([86_400, 2_592_000, null]);
    const longer = partitionPolicy({ ...settings, REVOCATION_TOMBSTONE_TTL: 5_000_000, AUDIT_INDEX_RETENTION: 94_608_000 });
    expect([longer.keepAfterSeconds('revocations'), longer.keepAfterSeconds('audit_events')]).toEqual([5_000_000, 94_608_000]);
  });
});

describe('partition maintenance (PGlite, same migrations as PostgreSQL)', () => {
  let db: PgliteDatabase;
  let bus: MemoryEventBus;

  beforeAll(async () => {
    db = await PgliteDatabase.create({ logger: silentLogger });
    await migrate(db, { logger: silentLogger });
    bus = new MemoryEventBus({ source: 'urn:authz:test', logger: silentLogger });
  }, 60_000);
  afterAll(async () => {
    await bus.close();
    await db.close();
  });

  const children = async (table: string) => (await listPartitions(db, 'public', table)).map((child) => child.name);
  const where = async (table: string, key: string) =>
    (await db.query<{ partition: string; id: string }>(`SELECT tableoid::regclass::text AS partition, ${key} AS id FROM ${table} ORDER BY ${key}`)).rows;

  it('makes partitions ahead, moves rows out of the default one, drops wholly expired ones past the grace, and a rebuild equals the live table', async () => {
    const tokens = new Projector(accessTokensProjection, db, silentLogger);
    const revocations = new Projector(revocationsProjection, db, silentLogger);
    // Written before any partition exists: all in the default partitions.
    const tokenEvents = [token('old', MIDNIGHT - 3 * DAY, MIDNIGHT - 2 * DAY), token('today', MIDNIGHT, MIDNIGHT + 3600), token('tomorrow', MIDNIGHT + 3600, MIDNIGHT + DAY + 60)];
    const published = await Promise.all(tokenEvents.map((event) => bus.publish(event)));
    await tokens.applyBatch(published.map((envelope, n): ConsumedEvent => ({ envelope, topic: 'oauth.tokens', partition: 0, offset: String(n) })));
    const revocationEvents = [grantRevoked('g-old', MIDNIGHT - 10 * DAY, MIDNIGHT - 9 * DAY), grantRevoked('g-recent', MIDNIGHT - 2 * DAY, MIDNIGHT - DAY)];
    const revPublished = await Promise.all(revocationEvents.map((event) => bus.publish(event)));
    await revocations.applyBatch(revPublished.map((envelope, n): ConsumedEvent => ({ envelope, topic: 'oauth.revocations', partition: 0, offset: String(n) })));

    const now = (MIDNIGHT + 7200) * 1000;
    const reports = await maintainPartitions(db, [...accessTokensProjection.partitioned!, ...revocationsProjection.partitioned!], policy, { nowMs: now });
    expect(reports).toEqual([
      { table: 'access_tokens', created: ['access_tokens_p20270110', 'access_tokens_p20270111', 'access_tokens_p20270112'], dropped: [], prunedFromDefault: 1 },
      { table: 'revocations', created: ['revocations_p20270110', 'revocations_p20270111', 'revocations_p20270112'], dropped: [], prunedFromDefault: 1 },
    ]);
    expect(await where('access_tokens', 'jti')).toEqual([
      { partition: 'access_tokens_p20270110', id: 'today' },
      { partition: 'access_tokens_p20270111', id: 'tomorrow' },
    ]);
    // g-old's coverage ended 9 days ago (> 3 days kept): gone; g-recent's 1 day ago: kept.
    expect(await where('revocations', 'id')).toEqual([{ partition: 'revocations_default', id: 'g-recent' }]);
    // A later deadline for a revoked grant moves its row to the later partition, the first revocation's fields kept.
    const moves = await Promise.all([grantRevoked('g-move', MIDNIGHT + 60, MIDNIGHT + 3600), grantRevoked('g-move', MIDNIGHT + 120, MIDNIGHT + DAY + 3600)].map((event) => bus.publish(event)));
    await revocations.applyBatch([{ envelope: moves[0]!, topic: 'oauth.revocations', partition: 0, offset: '2' }]);
    expect(await where('revocations', 'id')).toEqual([{ partition: 'revocations_p20270110', id: 'g-move' }, { partition: 'revocations_default', id: 'g-recent' }]);
    await revocations.applyBatch([{ envelope: moves[1]!, topic: 'oauth.revocations', partition: 0, offset: '3' }]);
    expect((await db.query(`SELECT tableoid::regclass::text AS partition, revoked_at, covers_until, event_id FROM revocations WHERE id = 'g-move'`)).rows).toEqual([
      { partition: 'revocations_p20270111', revoked_at: new Date((MIDNIGHT + 60) * 1000), covers_until: new Date((MIDNIGHT + DAY + 3600) * 1000), event_id: moves[0]!.id },
    ]);

    // Two days later: the 10th's tokens all expired more than a day ago, its partition goes; nothing still valid is lost.
    const later = (MIDNIGHT + 2 * DAY + 3600) * 1000;
    expect(await maintainPartitions(db, accessTokensProjection.partitioned!, policy, { nowMs: later })).toEqual([
      { table: 'access_tokens', created: ['access_tokens_p20270113', 'access_tokens_p20270114'], dropped: ['access_tokens_p20270110'], prunedFromDefault: 0 },
    ]);
    expect(await children('access_tokens')).toEqual(['access_tokens_default', 'access_tokens_p20270111', 'access_tokens_p20270112', 'access_tokens_p20270113', 'access_tokens_p20270114']);
    expect(await where('access_tokens', 'jti')).toEqual([{ partition: 'access_tokens_p20270111', id: 'tomorrow' }]);

    // A rebuild from the log with the same retention: the same rows, partitioned alike, and --swap keeps it partitioned.
    const live = (await db.query('SELECT * FROM access_tokens ORDER BY jti')).rows;
    const rebuilt = await rebuildProjection(accessTokensProjection, { db, subscriber: bus, logger: silentLogger }, { swap: true, partitions: { policy, nowMs: later } });
    expect(rebuilt.events).toBe(3);
    expect((await db.query('SELECT * FROM access_tokens ORDER BY jti')).rows).toEqual(live);
    expect(await children('access_tokens')).toEqual(['access_tokens_default', 'access_tokens_p20270111', 'access_tokens_p20270112', 'access_tokens_p20270113', 'access_tokens_p20270114']);
    expect((await db.query<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE oid = 'public.access_tokens'::regclass`)).rows).toEqual([{ relkind: 'p' }]);
    // The projection still writes to it (the upsert's key includes the partition key).
    await new Projector(accessTokensProjection, db, silentLogger).applyBatch([{ envelope: await bus.publish(token('next', MIDNIGHT + 2 * DAY, MIDNIGHT + 2 * DAY + 600)), topic: 'oauth.tokens', partition: 0, offset: '3' }]);
    expect(await where('access_tokens', 'jti')).toEqual([
      { partition: 'access_tokens_p20270112', id: 'next' },
      { partition: 'access_tokens_p20270111', id: 'tomorrow' },
    ]);
  });
});
