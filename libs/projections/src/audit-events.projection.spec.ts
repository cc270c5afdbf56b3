import { migrate, PgliteDatabase } from '@authz/adapters';
import { createEnvelope, type DomainEvent, type Envelope } from '@authz/contracts';
import { type ConsumedEvent, silentLogger } from '@authz/ports';
import { auditEventsProjection } from './audit-events.projection';
import { Projector } from './projector';

const hash = (c: string) => `sha256:${c.repeat(43)}`;
const envelope = (id: string, type: DomainEvent['type'], subject: string, data: object, time: string): Envelope =>
  createEnvelope({ type, subject, data } as DomainEvent, { source: 'urn:test', id, time: new Date(time) });

const issued = envelope('e-issued', 'oauth.refresh_token.issued.v1', 'g1', {
  familyId: 'f1', grantId: 'g1', grantType: 'authorization_code', clientId: 'web', sub: 'alice', scope: 'api:read', audience: ['https://api'],
  generation: 0, tokenHash: hash('r'), issuedAt: 1_800_000_000, expiresAt: 1_800_100_000, idleExpiresAt: 1_800_050_000,
}, '2027-01-15T08:00:00.000Z');
const rotated = envelope('e-rotated', 'oauth.refresh_token.rotated.v1', 'g1', {
  familyId: 'f1', grantId: 'g1', clientId: 'web', parentTokenHash: hash('r'), generation: 1, tokenHash: hash('s'), rotatedAt: 1_800_000_100, idleExpiresAt: 1_800_050_100,
}, '2027-01-15T08:01:40.000Z');
const revoked = envelope('e-revoked', 'oauth.grant.revoked.v1', 'g1', { grantId: 'g1', clientId: 'web', reason: 'code_replay', revokedAt: 1_800_000_200 }, '2027-01-15T08:03:20.000Z');
const keyRevoked = envelope('e-key', 'oauth.signing_key.revoked.v1', 'k1', { kid: 'k1', revokedAt: 1_800_000_300 }, '2027-01-15T08:05:00.000Z');

const consumed = (events: Envelope[], topic: string, first = 0): ConsumedEvent[] => events.map((e, n) => ({ envelope: e, topic, partition: 0, offset: String(first + n) }));

describe('audit_events projection (PGlite, same migrations as PostgreSQL)', () => {
  let db: PgliteDatabase;

  beforeAll(async () => {
    db = await PgliteDatabase.create({ logger: silentLogger });
    await migrate(db, { logger: silentLogger });
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE audit_events, projection_positions');
  });

  const rows = async () =>
    (await db.query(`SELECT event_id, event_time, type, topic, aggregate, user_subject, client_id, grant_id, envelope FROM audit_events ORDER BY event_time, event_id`)).rows;

  const expected = [
    { event_id: 'e-issued', event_time: new Date('2027-01-15T08:00:00.000Z'), type: 'oauth.refresh_token.issued.v1', topic: 'oauth.tokens', aggregate: 'g1', user_subject: 'alice', client_id: 'web', grant_id: 'g1', envelope: issued },
    { event_id: 'e-rotated', event_time: new Date('2027-01-15T08:01:40.000Z'), type: 'oauth.refresh_token.rotated.v1', topic: 'oauth.tokens', aggregate: 'g1', user_subject: 'alice', client_id: 'web', grant_id: 'g1', envelope: rotated },
    { event_id: 'e-revoked', event_time: new Date('2027-01-15T08:03:20.000Z'), type: 'oauth.grant.revoked.v1', topic: 'oauth.revocations', aggregate: 'g1', user_subject: 'alice', client_id: 'web', grant_id: 'g1', envelope: revoked },
    { event_id: 'e-key', event_time: new Date('2027-01-15T08:05:00.000Z'), type: 'oauth.signing_key.revoked.v1', topic: 'oauth.keys', aggregate: 'k1', user_subject: null, client_id: null, grant_id: null, envelope: keyRevoked },
  ];

  it('indexes every event with its envelope; events without a user take their grant’s, from the same batch or an earlier one', async () => {
    const projector = new Projector(auditEventsProjection, db, silentLogger);
    await projector.applyBatch(consumed([issued, rotated], 'oauth.tokens'));
    await projector.applyBatch(consumed([revoked], 'oauth.revocations'));
    await projector.applyBatch(consumed([keyRevoked], 'oauth.keys'));
    // Redelivered: nothing changes.
    await projector.applyBatch(consumed([issued, rotated], 'oauth.tokens'));
    expect(await rows()).toEqual(expected);
  });

  it('gives the same rows when the revocation is projected before the events naming the user (another topic read first)', async () => {
    const projector = new Projector(auditEventsProjection, db, silentLogger);
    await projector.applyBatch(consumed([revoked], 'oauth.revocations'));
    await projector.applyBatch(consumed([keyRevoked], 'oauth.keys'));
    await projector.applyBatch(consumed([rotated], 'oauth.tokens'));
    await projector.applyBatch(consumed([issued], 'oauth.tokens', 1));
    expect(await rows()).toEqual(expected);
  });
});
