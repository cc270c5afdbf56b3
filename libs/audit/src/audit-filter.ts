import { isEventType, type Envelope, type EventType } from '@authz/contracts';
import type { AccessParty } from './access-at.fold';

/** What an auditor asks the log for. Every field narrows; none given: every event. */
export type AuditFilter = {
  /** The resource owner (`sub`; the client id for client_credentials tokens). */
  user?: string;
  client?: string;
  grant?: string;
  /** Events at or after this instant (ms since the epoch, the envelope's `time`). */
  fromMs?: number;
  /** Events before this instant (ms, exclusive). */
  toMs?: number;
  types?: EventType[];
};

/** The columns of an event the filter compares (see auditColumns in libs/projections; the user may come from the grant's other events). */
export type AuditKeys = { user: string | null; client: string | null; grant: string | null };

export class AuditFilterError extends Error {
  override readonly name = 'AuditFilterError';
}

const MAX_VALUE = 256;

/** An RFC 3339 instant (`2026-11-21T12:00:00Z`, an offset allowed) in ms; AuditFilterError otherwise. */
export function parseInstant(name: string, value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  if (!match) throw new AuditFilterError(`${name} must be an RFC 3339 date-time, e.g. 2026-11-21T12:00:00Z`);
  // Date.parse rolls 2026-02-30 over into March: a day past its month's end is refused instead.
  if (Number(match[3]) > new Date(Date.UTC(Number(match[1]), Number(match[2]), 0)).getUTCDate()) throw new AuditFilterError(`${name} is not a valid date-time`);
  const ms = Date.parse(value);
  // 1970 to 9999: what every timestamp of the log can be (epoch seconds), and what PostgreSQL takes.
  if (Number.isNaN(ms) || ms < 0 || ms >= Date.UTC(10000, 0, 1)) throw new AuditFilterError(`${name} is not a valid date-time`);
  return ms;
}

function text(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > MAX_VALUE || /[\u0000-\u001f\u007f]/.test(value)) throw new AuditFilterError(`${name} must be 1-${MAX_VALUE} printable characters`);
  return value;
}

/** Builds a filter from the query's or the command line's strings (each at most once, `type` repeatable). */
export function parseAuditFilter(input: { user?: string; client?: string; grant?: string; from?: string; to?: string; type?: readonly string[] }): AuditFilter {
  const filter: AuditFilter = {};
  const user = text('user', input.user);
  const client = text('client', input.client);
  const grant = text('grant', input.grant);
  if (user !== undefined) filter.user = user;
  if (client !== undefined) filter.client = client;
  if (grant !== undefined) filter.grant = grant;
  if (input.from !== undefined) filter.fromMs = parseInstant('from', input.from);
  if (input.to !== undefined) filter.toMs = parseInstant('to', input.to);
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.toMs <= filter.fromMs) throw new AuditFilterError('to must be after from');
  if (input.type !== undefined && input.type.length > 0) {
    const unknown = input.type.filter((type) => !isEventType(type));
    if (unknown.length > 0) throw new AuditFilterError(`unknown event type: ${unknown[0]!.slice(0, 100)}`);
    filter.types = [...new Set(input.type as EventType[])];
  }
  return filter;
}

/** Whether an event read from the log matches (the index applies the same conditions in SQL). */
export function matchesAuditFilter(filter: AuditFilter, event: Envelope, keys: AuditKeys): boolean {
  const time = Date.parse(event.time);
  return (
    (filter.user === undefined || keys.user === filter.user) &&
    (filter.client === undefined || keys.client === filter.client) &&
    (filter.grant === undefined || keys.grant === filter.grant) &&
    (filter.fromMs === undefined || time >= filter.fromMs) &&
    (filter.toMs === undefined || time < filter.toMs) &&
    (filter.types === undefined || filter.types.includes(event.type))
  );
}

/** Exactly one of user and client. */
export function parseParty(values: { user?: string | undefined; client?: string | undefined }): AccessParty {
  const filter = parseAuditFilter({ ...(values.user === undefined ? {} : { user: values.user }), ...(values.client === undefined ? {} : { client: values.client }) });
  if ((filter.user === undefined) === (filter.client === undefined)) throw new AuditFilterError('give exactly one of user and client');
  return filter.user !== undefined ? { user: filter.user } : { client: filter.client! };
}
