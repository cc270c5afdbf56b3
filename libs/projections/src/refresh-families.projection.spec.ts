import { MemoryEventBus, migrate, PgliteDatabase, SqlRefreshFamilyStore } from '@authz/adapters';
import type { DomainEvent } from '@authz/contracts';
import { evolveRefreshFamily, type RefreshFamilyState, sha256Hash } from '@authz/oauth';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { Projector } from './projector';
import { refreshFamiliesProjection } from './refresh-families.projection';

const T0 = 1_767_225_600;
const events: DomainEvent[] = [
  {
    type: 'oauth.refresh_token.issued.v1',
    subject: 'grant-1',
    data: {
      familyId: 'family-1',
      grantId: 'grant-1',
      grantType: 'authorization_code',
      clientId: 'web-app',
      sub: 'alice',
      scope: 'openid api:read',
      audience: ['https://api.example.org'],
      authTime: T0 - 5,
      generation: 0,
      tokenHash: sha256Hash('rt0'),
      issuedAt: T0,
      expiresAt: T0 + 86_400,
      idleExpiresAt: T0 + 3600,
    },
  },
  {
    type: 'oauth.refresh_token.rotated.v1',
    subject: 'grant-1',
    data: { familyId: 'family-1', grantId: 'grant-1', clientId: 'web-app', parentTokenHash: sha256Hash('rt0'), generation: 1, tokenHash: sha256Hash('rt1'), rotatedAt: T0 + 10, idleExpiresAt: T0 + 3610 },
  },
  { type: 'oauth.grant.revoked.v1', subject: 'grant-1', data: { grantId: 'grant-1', clientId: 'web-app', subject: 'alice', reason: 'refresh_token_reuse', revokedAt: T0 + 20 } },
];

describe('refresh_families rebuild projection (PGlite)', () => {
  let db: PgliteDatabase;
  beforeAll(async () => {
    db = await PgliteDatabase.create({ logger: silentLogger });
    await migrate(db, { logger: silentLogger });
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });

  it('writes what folding the events gives (evolveRefreshFamily), the tokens and the revoked grant; a redelivery changes nothing', async () => {
    const bus = new MemoryEventBus({ source: 'urn:authz:test', logger: silentLogger });
    const envelopes = await Promise.all(events.map((event) => bus.publish(event)));
    const batch: ConsumedEvent[] = envelopes.map((envelope, n) => ({ envelope, topic: 'oauth.tokens', partition: 0, offset: String(n) }));
    const projector = new Projector(refreshFamiliesProjection, db, silentLogger);
    await projector.applyBatch(batch);
    await db.query('DELETE FROM projection_positions');
    await projector.applyBatch(batch);

    const family = await new SqlRefreshFamilyStore(db).exchange(sha256Hash('rt0'), async (found) => found);
    expect(family).toStrictEqual({ family: events.reduce<RefreshFamilyState | null>(evolveRefreshFamily, null), grace: null, presentedGeneration: 0 });
    expect((await db.query('SELECT token_hash, family_id, generation, issued_at FROM refresh_tokens ORDER BY generation')).rows).toEqual([
      { token_hash: sha256Hash('rt0'), family_id: 'family-1', generation: 0, issued_at: new Date(T0 * 1000) },
      { token_hash: sha256Hash('rt1'), family_id: 'family-1', generation: 1, issued_at: new Date((T0 + 10) * 1000) },
    ]);
    expect((await db.query('SELECT * FROM revoked_grants')).rows).toEqual([
      { grant_id: 'grant-1', client_id: 'web-app', reason: 'refresh_token_reuse', revoked_at: new Date((T0 + 20) * 1000) },
    ]);
    await bus.close();
  });
});
