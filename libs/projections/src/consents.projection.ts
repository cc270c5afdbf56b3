import type { Envelope, EventOf } from '@authz/contracts';
import type { Projection, Statement } from './projection';

type Granted = Envelope<EventOf<'oauth.consent.granted.v1'>>;

/** One row per (user, client): the union of the scopes granted, the time and event of the latest grant. */
export type ConsentRow = { subject: string; clientId: string; scopes: string[]; grantedAt: number; eventId: string };

/**
 * oauth.consent.granted.v1 → `consents`, one row per user and client holding the union of every scope
 * granted. A union is commutative and idempotent, so a redelivered or reordered event changes nothing,
 * and the authorize service may apply the same statement for read-your-writes before the projector does.
 */
export const consentsProjection: Projection = {
  name: 'consents',
  topics: ['oauth.consents'],
  handles: ['oauth.consent.granted.v1'],
  tables: ['consents'],
  apply(events) {
    const granted = events.filter((event): event is Granted => event.type === 'oauth.consent.granted.v1');
    if (granted.length === 0) return [];
    return [upsertConsents(mergeConsents(granted))];
  },
};

/** Folds a batch per (user, client) first: one upsert may not touch a row twice. */
export function mergeConsents(events: readonly Granted[]): ConsentRow[] {
  const rows = new Map<string, ConsentRow>();
  for (const event of events) {
    const key = JSON.stringify([event.data.sub, event.data.clientId]);
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { subject: event.data.sub, clientId: event.data.clientId, scopes: [...new Set(event.data.scopes)].sort(), grantedAt: event.data.grantedAt, eventId: event.id });
      continue;
    }
    row.scopes = [...new Set([...row.scopes, ...event.data.scopes])].sort();
    if (event.data.grantedAt >= row.grantedAt) Object.assign(row, { grantedAt: event.data.grantedAt, eventId: event.id });
  }
  return [...rows.values()];
}

function upsertConsents(rows: ConsentRow[]): Statement {
  return {
    text: `INSERT INTO consents (subject, client_id, scopes, granted_at, event_id)
      SELECT t.subject, t.client_id, ARRAY(SELECT jsonb_array_elements_text(t.scopes)), to_timestamp(t.granted_at), t.event_id
        FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bigint[], $5::text[]) AS t(subject, client_id, scopes, granted_at, event_id)
      ON CONFLICT (subject, client_id) DO UPDATE SET
        scopes = ARRAY(SELECT DISTINCT s FROM unnest(consents.scopes || EXCLUDED.scopes) AS s ORDER BY s),
        granted_at = GREATEST(consents.granted_at, EXCLUDED.granted_at),
        event_id = CASE WHEN EXCLUDED.granted_at >= consents.granted_at THEN EXCLUDED.event_id ELSE consents.event_id END`,
    values: [
      rows.map((row) => row.subject),
      rows.map((row) => row.clientId),
      rows.map((row) => JSON.stringify(row.scopes)),
      rows.map((row) => row.grantedAt),
      rows.map((row) => row.eventId),
    ],
  };
}
