import type { Envelope } from '@authz/contracts';
import { auditColumns, AUDITED_TOPICS } from '@authz/projections';
import type { AccessParty } from './access-at.fold';
import { matchesAuditFilter, type AuditFilter, type AuditKeys } from './audit-filter';
import { ACCESS_EVENT_SLACK_MS, KEY_EVENT_TYPES } from './audit-index.queries';

/**
 * The log itself (KafkaLogReader in libs/adapters): every event of `topics` (names without the
 * deployment's prefix) from the first at or after `fromMs`, or from the start, up to the end as of the call.
 */
export type LogSource = { read(topics: readonly string[], fromMs?: number): Promise<Envelope[]> };

/** Every audited topic of the log (not the index), for an auditor checking the index against it. */
export function readLog(source: LogSource, fromMs?: number): Promise<Envelope[]> {
  return source.read(AUDITED_TOPICS, fromMs);
}

/** The audit columns of events read from the log, a grant's user filled in from its other events (as the index does). */
export function keysOf(events: readonly Envelope[]): Map<Envelope, AuditKeys> {
  const columns = new Map(events.map((event) => [event, auditColumns(event)] as const));
  const userOfGrant = new Map<string, string>();
  for (const event of sortByTime(events)) {
    const { user, grant } = columns.get(event)!;
    if (user !== null && grant !== null && !userOfGrant.has(grant)) userOfGrant.set(grant, user);
  }
  for (const keys of columns.values()) if (keys.user === null && keys.grant !== null) keys.user = userOfGrant.get(keys.grant) ?? null;
  return columns;
}

/** The (time, id) order of the index. */
export function sortByTime(events: readonly Envelope[]): Envelope[] {
  return [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The events of the log matching `filter`, in the index's order. A filter by user reads the log from
 * its start whatever `from` says (an event may name its user only through an earlier event of its grant).
 */
export async function filterLog(source: LogSource, filter: AuditFilter): Promise<Envelope[]> {
  const events = await readLog(source, filter.user === undefined ? filter.fromMs : undefined);
  const keys = keysOf(events);
  return sortByTime(events.filter((event) => matchesAuditFilter(filter, event, keys.get(event)!)));
}

/** The events the fold at T needs, taken from the log: the party's grants' events and the key events, up to T plus the slack. */
export function accessEventsOf(events: readonly Envelope[], party: AccessParty, atMs: number): Envelope[] {
  const keys = keysOf(events);
  const limit = atMs + ACCESS_EVENT_SLACK_MS;
  return sortByTime(
    events.filter((event) => {
      if (Date.parse(event.time) > limit) return false;
      if ((KEY_EVENT_TYPES as readonly string[]).includes(event.type)) return true;
      const { user, client } = keys.get(event)!;
      return 'user' in party ? user === party.user : client === party.client;
    }),
  );
}
