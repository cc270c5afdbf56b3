import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { Controller, Get, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, OAuthError, TemporarilyUnavailable } from '@authz/oauth';
import { CLOCK, type Clock, DatabaseUnavailableError, SQL_DATABASE, type SqlDatabase } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { computeAccessAt } from './access-at.fold';
import { renderAccess } from './access-report';
import { AuditFilterError, parseAuditFilter, parseInstant, parseParty } from './audit-filter';
import { loadAccessEvents, queryAuditPage } from './audit-index.queries';

export const AUDIT_EVENTS_PATH = '/internal/v1/audit/events';
export const AUDIT_ACCESS_PATH = '/internal/v1/audit/access';

/** RFC 6750 §3.1: the audit token is missing or wrong. */
export class InvalidAuditToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status = 401;
  override readonly headers = { 'www-authenticate': 'Bearer realm="audit", error="invalid_token"' };
}

const EVENTS_PARAMETERS = new Set(['user', 'client', 'grant', 'from', 'to', 'type', 'limit', 'cursor']);
const ACCESS_PARAMETERS = new Set(['user', 'client', 'at']);

/**
 * The audit API of the revocation service (the projector's host), admin only, on an internal path the
 * ingress never routes:
 * - `GET /internal/v1/audit/events?user=&client=&grant=&from=&to=&type=&limit=&cursor=`: the events of
 *   the audit index, oldest first, as JSON lines (`application/x-ndjson`, streamed), at most `limit`
 *   (≤ AUDIT_PAGE_SIZE_MAX, its default); `x-next-cursor` names the next page when there is one.
 * - `GET /internal/v1/audit/access?user=|client=&at=`: who could access what at `at` (see accessAt).
 * Protection: its own bearer token, AUDIT_API_TOKEN (compared in constant time); unset, both paths are 404.
 */
@Controller()
export class AuditController {
  private readonly expectedToken: Buffer | undefined;

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.expectedToken = settings.AUDIT_API_TOKEN !== undefined ? digest(settings.AUDIT_API_TOKEN) : undefined;
  }

  @Get(AUDIT_EVENTS_PATH)
  async events(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = this.authorize(request, reply, EVENTS_PARAMETERS);
    const filter = parse(() => parseAuditFilter({ ...single(query, ['user', 'client', 'grant', 'from', 'to']), ...(query.type === undefined ? {} : { type: [query.type].flat() }) }));
    const { limit: limitText, cursor } = single(query, ['limit', 'cursor']);
    const limit = limitText === undefined ? this.settings.AUDIT_PAGE_SIZE_MAX : Number(limitText);
    if (!/^[0-9]{1,6}$/.test(limitText ?? '1') || !Number.isInteger(limit) || limit < 1 || limit > this.settings.AUDIT_PAGE_SIZE_MAX) {
      throw new InvalidRequest(`limit must be an integer from 1 to ${this.settings.AUDIT_PAGE_SIZE_MAX}`);
    }
    // The page is read before the answer starts (bounded by AUDIT_PAGE_SIZE_MAX), so an outage is a 503, never a cut stream.
    const page = await unavailableAs503(() => queryAuditPage(this.db, filter, { limit, ...(cursor === undefined ? {} : { cursor }) }));
    reply.header('content-type', 'application/x-ndjson; charset=utf-8');
    if (page.next !== null) reply.header('x-next-cursor', page.next);
    await reply.send(Readable.from(page.events.map((event) => `${JSON.stringify(event)}\n`)));
  }

  @Get(AUDIT_ACCESS_PATH)
  async access(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const query = this.authorize(request, reply, ACCESS_PARAMETERS);
    const values = single(query, ['user', 'client', 'at']);
    const party = parse(() => parseParty(values));
    const atMs = values.at === undefined ? this.clock.now().getTime() : parse(() => parseInstant('at', values.at!));
    const events = await unavailableAs503(() => loadAccessEvents(this.db, party, atMs));
    return renderAccess(computeAccessAt(events, party, Math.floor(atMs / 1000)));
  }

  private authorize(request: FastifyRequest, reply: FastifyReply, allowed: ReadonlySet<string>): Record<string, string | string[]> {
    if (this.expectedToken === undefined) throw new NotFoundException();
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(request.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), this.expectedToken)) throw new InvalidAuditToken('a valid audit token is required');
    const query = (request.query ?? {}) as Record<string, string | string[]>;
    const unknown = Object.keys(query).find((name) => !allowed.has(name));
    if (unknown !== undefined) throw new InvalidRequest(`unknown parameter ${unknown.slice(0, 40)}`);
    return query;
  }
}

/** The named parameters, each given at most once. */
function single<K extends string>(query: Record<string, string | string[]>, names: readonly K[]): Partial<Record<K, string>> {
  const values: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new InvalidRequest(`${name} must be given once`);
    values[name] = value;
  }
  return values;
}

function parse<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof AuditFilterError) throw new InvalidRequest(error.message);
    throw error;
  }
}

async function unavailableAs503<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AuditFilterError) throw new InvalidRequest(error.message);
    if (error instanceof DatabaseUnavailableError) throw new TemporarilyUnavailable('the audit index is temporarily unavailable, retry later');
    throw error;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
