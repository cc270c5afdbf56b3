import { parseArgs } from 'node:util';
import type { SqlExecutor } from '@authz/ports';
import { computeAccessAt } from './access-at.fold';
import { renderAccess } from './access-report';
import { AuditFilterError, parseAuditFilter, parseInstant, parseParty } from './audit-filter';
import { loadAccessEvents, queryAuditPage } from './audit-index.queries';
import { accessEventsOf, filterLog, readLog, type LogSource } from './audit-log.reader';

export const AUDIT_USAGE = `usage: npm run audit -- <command> [options]

commands:
  events               the events of the log, one CloudEvents envelope per line (JSON lines), oldest first
      --user <sub>                  the resource owner (a client_credentials token's sub is its client id)
      --client <client_id>
      --grant <grant_id>
      --from <date-time>            RFC 3339, inclusive (e.g. 2026-11-21T00:00:00Z)
      --to <date-time>              RFC 3339, exclusive
      --type <event type>           repeatable, e.g. oauth.grant.revoked.v1
      --limit <n>                   at most n events (default: all, read a page at a time)
      --source index|log            the audit index in PostgreSQL (default), or the Kafka log itself
  access               who could access what at an instant: the grants, access tokens, refresh
                       families and pending codes valid then (one JSON document)
      --user <sub> | --client <client_id>
      --at <date-time>              RFC 3339 (default: now)
      --source index|log`;

export type AuditCommandDeps = {
  /** The database holding the audit index. */
  index: () => Promise<SqlExecutor>;
  /** The Kafka log, read by a consumer group of its own. */
  log: () => Promise<LogSource>;
  pageSize: number;
  nowMs: () => number;
};

export type AuditOutput = { out: (line: string) => void; err: (line: string) => void };

/** The audit CLI's commands. Returns the exit code: 0 done, 2 usage error. */
export async function runAuditCommand(args: readonly string[], deps: AuditCommandDeps, output: AuditOutput): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'events':
        return await events(rest, deps, output);
      case 'access':
        return await access(rest, deps, output);
      default:
        output.err(command === undefined || command === 'help' ? AUDIT_USAGE : `error: unknown command ${command}\n\n${AUDIT_USAGE}`);
        return 2;
    }
  } catch (error) {
    // node:util parseArgs throws a TypeError with an ERR_PARSE_ARGS_* code (checked by code: another realm's TypeError in tests).
    const parseError = typeof (error as { code?: unknown } | null)?.code === 'string' && (error as { code: string }).code.startsWith('ERR_PARSE_ARGS');
    if (error instanceof AuditFilterError || parseError) {
      output.err(`error: ${(error as Error).message}\n\n${AUDIT_USAGE}`);
      return 2;
    }
    throw error;
  }
}

function source(value: string | undefined): 'index' | 'log' {
  if (value === undefined || value === 'index' || value === 'log') return value ?? 'index';
  throw new AuditFilterError('--source is index or log');
}

async function events(args: readonly string[], deps: AuditCommandDeps, output: AuditOutput): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      user: { type: 'string' },
      client: { type: 'string' },
      grant: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      type: { type: 'string', multiple: true },
      limit: { type: 'string' },
      source: { type: 'string' },
    },
    strict: true,
  });
  const filter = parseAuditFilter(values);
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY) throw new AuditFilterError('--limit must be a positive integer');
  if (limit < 1) throw new AuditFilterError('--limit must be a positive integer');
  if (source(values.source) === 'log') {
    for (const event of (await filterLog(await deps.log(), filter)).slice(0, limit)) output.out(JSON.stringify(event));
    return 0;
  }
  const db = await deps.index();
  let written = 0;
  let cursor: string | undefined;
  do {
    const page = await queryAuditPage(db, filter, { limit: Math.min(deps.pageSize, limit - written), ...(cursor === undefined ? {} : { cursor }) });
    for (const event of page.events) output.out(JSON.stringify(event));
    written += page.events.length;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined && written < limit);
  return 0;
}

async function access(args: readonly string[], deps: AuditCommandDeps, output: AuditOutput): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { user: { type: 'string' }, client: { type: 'string' }, at: { type: 'string' }, source: { type: 'string' } }, strict: true });
  const party = parseParty(values);
  const atMs = values.at === undefined ? deps.nowMs() : parseInstant('at', values.at);
  const at = Math.floor(atMs / 1000);
  const log = source(values.source) === 'log' ? accessEventsOf(await readLog(await deps.log()), party, atMs) : await loadAccessEvents(await deps.index(), party, atMs);
  output.out(JSON.stringify(renderAccess(computeAccessAt(log, party, at))));
  return 0;
}
