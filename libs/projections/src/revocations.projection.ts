import type { Envelope, EventOf } from '@authz/contracts';
import { MAX_ACCESS_TOKEN_TTL } from '@authz/oauth';
import type { Projection, Statement } from './projection';

type GrantRevoked = Envelope<EventOf<'oauth.grant.revoked.v1'>>;
type TokenRevoked = Envelope<EventOf<'oauth.access_token.revoked.v1'>>;

/**
 * oauth.grant.revoked.v1 and oauth.access_token.revoked.v1 → `revocations` (migration 0007): the
 * revocations in force, with the instant their tokens have all expired (`covers_until`). A replica of
 * introspection or token loads them at startup with this projection's position (see RevocationFeedService),
 * then tails oauth.revocations from there. The first revocation of a grant or jti is kept (a later one
 * changes nothing a verifier does) but its coverage is extended to the latest deadline.
 */
export const revocationsProjection: Projection = {
  name: 'revocations',
  topics: ['oauth.revocations'],
  handles: ['oauth.grant.revoked.v1', 'oauth.access_token.revoked.v1'],
  tables: ['revocations'],
  partitioned: [{ table: 'revocations', column: 'covers_until', interval: 'day' }],
  apply(events) {
    const rows = events.flatMap((event) => {
      switch (event.type) {
        case 'oauth.grant.revoked.v1':
          return [grantRow(event as GrantRevoked)];
        case 'oauth.access_token.revoked.v1':
          return [tokenRow(event as TokenRevoked)];
        default:
          return [];
      }
    });
    return rows.length === 0 ? [] : [upsert(rows)];
  },
};

type Row = { kind: 'grant' | 'token'; id: string; grantId: string; clientId: string; subject: string | null; reason: string; revokedAt: number; coversUntil: number; eventId: string };

/** How long a grant's revocation must be remembered (seconds since the epoch): see grant.revoked.v1's coversUntil. */
export function grantCoversUntil(data: EventOf<'oauth.grant.revoked.v1'>['data']): number {
  return data.coversUntil ?? data.revokedAt + MAX_ACCESS_TOKEN_TTL;
}

function grantRow({ id, data }: GrantRevoked): Row {
  return { kind: 'grant', id: data.grantId, grantId: data.grantId, clientId: data.clientId, subject: data.subject ?? null, reason: data.reason, revokedAt: data.revokedAt, coversUntil: grantCoversUntil(data), eventId: id };
}

function tokenRow({ id, data }: TokenRevoked): Row {
  return { kind: 'token', id: data.jti, grantId: data.grantId, clientId: data.clientId, subject: data.sub, reason: data.reason, revokedAt: data.revokedAt, coversUntil: data.expiresAt, eventId: id };
}

function upsert(rows: Row[]): Statement {
  // One row per (kind, id) in the batch: the statement sees the table as it was before it, not its own rows.
  const unique = new Map<string, Row>();
  for (const row of rows) {
    const key = `${row.kind}:${row.id}`;
    const known = unique.get(key);
    unique.set(key, known ? { ...known, coversUntil: Math.max(known.coversUntil, row.coversUntil) } : row);
  }
  const column = <T>(pick: (row: Row) => T) => [...unique.values()].map(pick);
  // revocations is partitioned by covers_until (migration 0010), so its key is (kind, id, covers_until):
  // one row per (kind, id) is this statement's doing. A later deadline replaces the row (the first
  // revocation's fields kept, the row moving to its new partition); an equal or earlier one changes nothing.
  return {
    text: `WITH incoming AS (
        SELECT r.kind, r.id, r.grant_id, r.client_id, r.subject, r.reason, to_timestamp(r.revoked_at) AS revoked_at, to_timestamp(r.covers_until) AS covers_until, r.event_id
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[])
            AS r(kind, id, grant_id, client_id, subject, reason, revoked_at, covers_until, event_id)
      ), superseded AS (
        DELETE FROM revocations v USING incoming i WHERE v.kind = i.kind AND v.id = i.id AND v.covers_until < i.covers_until
        RETURNING v.*
      )
      INSERT INTO revocations (kind, id, grant_id, client_id, subject, reason, revoked_at, covers_until, event_id)
      SELECT i.kind, i.id, coalesce(s.grant_id, i.grant_id), coalesce(s.client_id, i.client_id),
             CASE WHEN s.kind IS NULL THEN i.subject ELSE s.subject END, coalesce(s.reason, i.reason),
             coalesce(s.revoked_at, i.revoked_at), i.covers_until, coalesce(s.event_id, i.event_id)
        FROM incoming i LEFT JOIN superseded s ON s.kind = i.kind AND s.id = i.id
       WHERE NOT EXISTS (SELECT 1 FROM revocations v WHERE v.kind = i.kind AND v.id = i.id AND v.covers_until >= i.covers_until)`,
    values: [
      column((row) => row.kind),
      column((row) => row.id),
      column((row) => row.grantId),
      column((row) => row.clientId),
      column((row) => row.subject),
      column((row) => row.reason),
      column((row) => row.revokedAt),
      column((row) => row.coversUntil),
      column((row) => row.eventId),
    ],
  };
}
