import { assertNever, EVENT_TYPES, topicOf, Topics, type Envelope, type TopicName } from '@authz/contracts';
import type { Projection, Statement } from './projection';

/** The columns an auditor asks by: the resource owner, the client and the grant an event is about. */
export type AuditColumns = { user: string | null; client: string | null; grant: string | null };

/**
 * What an event says about its user, client and grant. `user` is the resource owner (`sub`; for
 * client_credentials the client itself, RFC 9068 §2.2); events that do not name one get it from their
 * grant's other events (see auditEventsProjection). Login events name the user only by the directory
 * subject of a success (a failure names nobody: telling unknown users apart would enumerate them).
 */
export function auditColumns(event: Envelope): AuditColumns {
  switch (event.type) {
    case 'oauth.access_token.issued.v1':
    case 'oauth.authorization_code.issued.v1':
    case 'oauth.authorization_code.redeemed.v1':
    case 'oauth.refresh_token.issued.v1':
    case 'oauth.access_token.revoked.v1':
      return { user: event.data.sub, client: event.data.clientId, grant: event.data.grantId };
    case 'oauth.grant.revoked.v1':
      return { user: event.data.subject ?? null, client: event.data.clientId, grant: event.data.grantId };
    case 'oauth.refresh_token.rotated.v1':
    case 'oauth.refresh_token.reuse_detected.v1':
      return { user: null, client: event.data.clientId, grant: event.data.grantId };
    case 'oauth.consent.granted.v1':
      return { user: event.data.sub, client: event.data.clientId, grant: null };
    case 'oauth.user.authenticated.v1':
      return { user: event.data.subject, client: event.data.clientId, grant: null };
    case 'oauth.user.authentication_failed.v1':
      return { user: null, client: event.data.clientId, grant: null };
    case 'oauth.client.registered.v1':
    case 'oauth.client.updated.v1':
    case 'oauth.client.deleted.v1':
      return { user: null, client: event.data.clientId, grant: null };
    case 'oauth.signing_key.published.v1':
    case 'oauth.signing_key.published.v2':
    case 'oauth.signing_key.activated.v1':
    case 'oauth.signing_key.retired.v1':
    case 'oauth.signing_key.revoked.v1':
      return { user: null, client: null, grant: null };
    default:
      return assertNever(event);
  }
}

/** Every topic of the log but the dead letters (invalid messages, never events). */
export const AUDITED_TOPICS: readonly TopicName[] = Object.values(Topics).filter((topic) => topic !== Topics.deadLetter);

type Row = { event: Envelope; columns: AuditColumns };

/**
 * Every event → one `audit_events` row (migration 0009) with its envelope, idempotent by event id.
 * An event without a user (a rotation, a reuse detection, a revocation that names none) takes its
 * grant's user: from an earlier event of the same batch, else from the table; and when the event naming
 * the user is projected later (another topic, another partition: a rebuild may read the revocations
 * before the issuance), its batch fills in the grant's rows still without one. So the table does not
 * depend on the order the topics are read in, and a rebuild equals the live projection.
 */
export const auditEventsProjection: Projection = {
  name: 'audit_events',
  topics: AUDITED_TOPICS,
  handles: EVENT_TYPES,
  tables: ['audit_events'],
  partitioned: [{ table: 'audit_events', column: 'event_time', interval: 'month' }],
  apply(events) {
    if (events.length === 0) return [];
    const userOfGrant = new Map<string, string>();
    const rows: Row[] = events.map((event) => {
      const columns = auditColumns(event);
      if (columns.grant !== null && columns.user !== null && !userOfGrant.has(columns.grant)) userOfGrant.set(columns.grant, columns.user);
      return { event, columns };
    });
    for (const row of rows) if (row.columns.user === null && row.columns.grant !== null) row.columns.user = userOfGrant.get(row.columns.grant) ?? null;
    const statements = [insert(rows)];
    if (userOfGrant.size > 0) statements.push(backfill(userOfGrant));
    return statements;
  },
};

function insert(rows: Row[]): Statement {
  const column = <T>(pick: (row: Row) => T) => rows.map(pick);
  return {
    text: `INSERT INTO audit_events (event_id, event_time, type, topic, aggregate, user_subject, client_id, grant_id, envelope)
      SELECT e.event_id, e.event_time::timestamptz, e.type, e.topic, e.aggregate,
             coalesce(e.user_subject, (SELECT a.user_subject FROM audit_events a WHERE a.grant_id = e.grant_id AND a.user_subject IS NOT NULL ORDER BY a.event_time, a.event_id LIMIT 1)),
             e.client_id, e.grant_id, e.envelope::json
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
          AS e(event_id, event_time, type, topic, aggregate, user_subject, client_id, grant_id, envelope)
      ON CONFLICT (event_id, event_time) DO NOTHING`,
    values: [
      column((row) => row.event.id),
      column((row) => row.event.time),
      column((row) => row.event.type),
      column((row) => topicOf(row.event.type)),
      column((row) => row.event.subject),
      column((row) => row.columns.user),
      column((row) => row.columns.client),
      column((row) => row.columns.grant),
      column((row) => JSON.stringify(row.event)),
    ],
  };
}

function backfill(userOfGrant: ReadonlyMap<string, string>): Statement {
  return {
    text: `UPDATE audit_events a SET user_subject = b.user_subject
        FROM unnest($1::text[], $2::text[]) AS b(grant_id, user_subject)
       WHERE a.grant_id = b.grant_id AND a.user_subject IS NULL`,
    values: [[...userOfGrant.keys()], [...userOfGrant.values()]],
  };
}
