import type { Envelope } from '@authz/contracts';
import type { SqlExecutor } from '@authz/ports';
import type { AccessParty } from './access-at.fold';
import { AuditFilterError, type AuditFilter } from './audit-filter';

export type AuditPage = { events: Envelope[]; next: string | null };

/** The key events the fold needs to know which key signed a token and whether it was revoked. */
export const KEY_EVENT_TYPES = ['oauth.signing_key.activated.v1', 'oauth.signing_key.revoked.v1'] as const;

/**
 * Events whose stated times (issuedAt, revokedAt, …) are at or before T are written to the log within
 * this much of them (the time of the envelope is taken right after): the fold at T reads the events up
 * to T plus this slack, from the index and from the log alike.
 */
export const ACCESS_EVENT_SLACK_MS = 3_600_000;

/** An opaque page cursor: the (time, id) of the page's last event, base64url JSON. */
export function encodeCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { time: string; id: string } {
  try {
    if (cursor.length > 1024) throw new Error('too long');
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      // An envelope's time as the index returns it (toISOString), nothing PostgreSQL could refuse.
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value[0]) &&
      !Number.isNaN(Date.parse(value[0])) &&
      typeof value[1] === 'string' &&
      value[1].length > 0
    ) {
      return { time: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new AuditFilterError('cursor is invalid');
}

/**
 * Reads the audit index (`audit_events`, migration 0009) in (time, event id) order: at most `limit`
 * events after `cursor`, and the cursor of the next page (null on the last one). One indexed range
 * scan per page (user, client, grant or time index).
 */
export async function queryAuditPage(db: SqlExecutor, filter: AuditFilter, page: { limit: number; cursor?: string }): Promise<AuditPage> {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.user !== undefined) where.push(`user_subject = ${param(filter.user)}`);
  if (filter.client !== undefined) where.push(`client_id = ${param(filter.client)}`);
  if (filter.grant !== undefined) where.push(`grant_id = ${param(filter.grant)}`);
  if (filter.fromMs !== undefined) where.push(`event_time >= ${param(new Date(filter.fromMs).toISOString())}::timestamptz`);
  if (filter.toMs !== undefined) where.push(`event_time < ${param(new Date(filter.toMs).toISOString())}::timestamptz`);
  if (filter.types !== undefined) where.push(`type = ANY(${param(filter.types)}::text[])`);
  if (page.cursor !== undefined) {
    const after = decodeCursor(page.cursor);
    where.push(`(event_time, event_id) > (${param(after.time)}::timestamptz, ${param(after.id)})`);
  }
  const { rows } = await db.query<{ envelope: Envelope }>(
    `SELECT envelope FROM audit_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY event_time, event_id LIMIT ${param(page.limit + 1)}`,
    values,
  );
  const events = rows.slice(0, page.limit).map((row) => row.envelope);
  const last = events[events.length - 1];
  return { events, next: rows.length > page.limit && last ? encodeCursor(last.time, last.id) : null };
}

/** Every event of `party`'s grants (and every key activation and revocation) up to T plus the slack, for the fold. */
export async function loadAccessEvents(db: SqlExecutor, party: AccessParty, atMs: number): Promise<Envelope[]> {
  const column = 'user' in party ? 'user_subject' : 'client_id';
  const { rows } = await db.query<{ envelope: Envelope }>(
    `SELECT envelope FROM audit_events
      WHERE (${column} = $1 OR type = ANY($2::text[])) AND event_time <= $3::timestamptz
      ORDER BY event_time, event_id`,
    ['user' in party ? party.user : party.client, KEY_EVENT_TYPES, new Date(atMs + ACCESS_EVENT_SLACK_MS).toISOString()],
  );
  return rows.map((row) => row.envelope);
}
