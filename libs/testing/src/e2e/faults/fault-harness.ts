/**
 * What the fault-tolerance specs (faults/*.int-spec.ts) share: timed token requests, a closed-loop
 * load that records every answer, the exact 503 of an outage, the check that every token a client
 * received has its event in the log (and the count of events whose token never left: over-reports),
 * and the comparison of the live projections with a rebuild from offset 0.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { createKafka, KafkaEventSubscriber, PgDatabase, PrefixedEventSubscriber } from '@authz/adapters';
import { deserializeEnvelope, type Envelope } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { silentLogger } from '@authz/ports';
import { type Projection, PROJECTIONS, rebuildProjection } from '@authz/projections';
import { formBody } from '../grants-protocol';
import type { RunningService } from '../service-process';
import { readTopic } from '../environment';

export { seedCode, WEB_REDIRECT } from '../seed-code';

/** RFC 6749 §5.2 body of a dependency outage (OAuthExceptionFilter), with its headers. */
export const UNAVAILABLE = {
  status: 503,
  retryAfter: '1',
  cacheControl: 'no-store',
  body: { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable, retry later' },
};

export type Answer = {
  /** 0: no HTTP answer (connection refused or reset, or the client's own timeout). */
  status: number;
  ms: number;
  retryAfter: string | null;
  cacheControl: string | null;
  body: Record<string, unknown>;
  /** When the request was sent (performance.now()). */
  at: number;
};

/** POST a form, timed; a network failure (or no answer within `timeoutMs`) is status 0. */
export async function postForm(url: string, form: Record<string, string>, authorization?: string, timeoutMs = 30_000): Promise<Answer> {
  const at = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: formBody(form),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      status: response.status,
      ms: performance.now() - at,
      retryAfter: response.headers.get('retry-after'),
      cacheControl: response.headers.get('cache-control'),
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      at,
    };
  } catch (error) {
    return { status: 0, ms: performance.now() - at, retryAfter: null, cacheControl: null, body: { network: String(error) }, at };
  }
}

/** The part of an answer an outage assertion compares with UNAVAILABLE. */
export const outage = (answer: Answer) => ({ status: answer.status, retryAfter: answer.retryAfter, cacheControl: answer.cacheControl, body: answer.body });

/** GET /healthz/ready: its status and the checks it lists. */
export async function readiness(url: string): Promise<{ status: number; checks: Record<string, string> }> {
  const response = await fetch(`${url}/healthz/ready`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (!response) return { status: 0, checks: {} };
  return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
}

/**
 * `workers` closed loops, each calling `request` again as soon as it answers, until `stop()`; every
 * answer is kept. A worker whose `request` throws ends (its error is rethrown by `stop()`).
 */
export class Load {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(workers: number, request: (worker: number) => Promise<Answer>) {
    this.loops = Array.from({ length: workers }, async (_, worker) => {
      while (this.running) this.answers.push(await request(worker));
    });
  }

  count(status: number): number {
    return this.answers.filter((answer) => answer.status === status).length;
  }

  /** Resolves once `accept` holds for the answers so far, polled every 20 ms; rejects after `timeoutMs`. */
  async until(accept: (answers: readonly Answer[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!accept(this.answers)) {
      if (Date.now() > deadline) throw new Error(`load: ${what} not seen within ${timeoutMs} ms (${summary(this.answers)})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<Answer[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.answers;
  }
}

/**
 * The log lines of a service at level error or fatal that are not an outage being reported: an
 * "unhandled error" (a 500) or a consumer that crashed for good would show here.
 */
export function errorLines(service: RunningService): string[] {
  return service
    .output()
    .split('\n')
    .filter((line) => /"level":"(error|fatal)"/.test(line))
    .filter((line) => /unhandled error|"restart":false/.test(line));
}

/** `{200: 812, 503: 40}`-style counts of statuses. */
export function summary(answers: readonly Answer[]): string {
  const counts = new Map<number, number>();
  for (const answer of answers) counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries([...counts].sort(([a], [b]) => a - b)));
}

export const sha256 = (value: string) => `sha256:${createHash('sha256').update(value).digest('base64url')}`;

/** Every event on `<prefix><topic>` (default oauth.tokens) up to the high watermarks, parsed. */
export async function tokenEvents(brokers: string[], prefix: string, topic = 'oauth.tokens'): Promise<Envelope[]> {
  const messages = await readTopic(`${prefix}${topic}`, { clientId: `faults-read-${randomBytes(3).toString('hex')}`, brokers, timeoutMs: 60_000 });
  return messages.map((message) => deserializeEnvelope(Buffer.from(message.value)));
}

export type LogCheck = {
  /** Tokens clients received (200 answers): access tokens, and refresh tokens. */
  received: number;
  /** Of those, the ones whose event is not in the log (must be none). */
  missing: string[];
  /** Access-token events in the log for tokens no client received (a response that never left). */
  overReported: number;
  /** The grant ids of those events. */
  overReportedGrants: string[];
};

/**
 * Every access token of a 200 has its oauth.access_token.issued.v1 (same jti, and the SHA-256 of the
 * token), every refresh token its oauth.refresh_token.issued.v1 or .rotated.v1 (its hash); and how many
 * access-token events belong to no answer received (only `events` of the `clientIds` are counted).
 */
export function checkLog(answers: readonly Answer[], events: readonly Envelope[], clientIds: readonly string[]): LogCheck {
  const issued = new Map<string, string>();
  const grantOf = new Map<string, string>();
  const refreshHashes = new Set<string>();
  for (const event of events) {
    const data = event.data as { jti?: string; tokenHash?: string; clientId?: string; grantId?: string };
    if (event.type === 'oauth.access_token.issued.v1' && clientIds.includes(data.clientId!)) {
      issued.set(data.jti!, data.tokenHash!);
      grantOf.set(data.jti!, data.grantId!);
    }
    if (event.type === 'oauth.refresh_token.issued.v1' || event.type === 'oauth.refresh_token.rotated.v1') refreshHashes.add(data.tokenHash!);
  }
  const missing: string[] = [];
  const receivedJtis = new Set<string>();
  let received = 0;
  for (const answer of answers) {
    if (answer.status !== 200) continue;
    const accessToken = answer.body.access_token as string;
    const jti = decodeJwt(accessToken).jti!;
    receivedJtis.add(jti);
    received += 1;
    if (issued.get(jti) !== sha256(accessToken)) missing.push(`access token ${jti}`);
    const refreshToken = answer.body.refresh_token as string | undefined;
    if (refreshToken !== undefined) {
      received += 1;
      if (!refreshHashes.has(sha256Hash(refreshToken))) missing.push(`refresh token ${sha256Hash(refreshToken)}`);
    }
  }
  const overReportedJtis = [...issued.keys()].filter((jti) => !receivedJtis.has(jti));
  return { received, missing, overReported: overReportedJtis.length, overReportedGrants: overReportedJtis.map((jti) => grantOf.get(jti)!) };
}

export type ProjectionComparison = { projection: string; table: string; live: string[]; rebuilt: string[] };

/**
 * Rebuilds every live projection (or `projections`) from offset 0 (`rebuildProjection`, into a schema of its own) and
 * returns, per table, the live rows and the rebuilt rows (each row as JSON, sorted): equal lists mean no
 * row lost, doubled or different.
 */
export async function rebuildAndCompare(databaseUrl: string, brokers: string[], prefix: string, projections: readonly Projection[] = PROJECTIONS): Promise<ProjectionComparison[]> {
  const db = new PgDatabase({ connectionString: databaseUrl, max: 2 });
  const kafka = createKafka({ brokers, clientId: `faults-rebuild-${randomBytes(3).toString('hex')}`, logger: silentLogger });
  const subscriber = new PrefixedEventSubscriber(new KafkaEventSubscriber({ kafka, logger: silentLogger }), prefix);
  const rows = async (schema: string, table: string) =>
    (await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${schema}"."${table}" t`)).rows.map((row) => row.row).sort();
  try {
    const comparisons: ProjectionComparison[] = [];
    for (const projection of projections) {
      const { schema } = await rebuildProjection(projection, { db, subscriber, logger: silentLogger });
      for (const table of projection.tables) comparisons.push({ projection: projection.name, table, live: await rows('public', table), rebuilt: await rows(schema, table) });
    }
    return comparisons;
  } finally {
    await db.close();
  }
}

/** Waits until the access_tokens projection holds `count` rows (the projector caught up with those events). */
export async function projectedAccessTokens(databaseUrl: string, count: number, timeoutMs: number): Promise<number> {
  const db = new PgDatabase({ connectionString: databaseUrl, max: 1 });
  const started = performance.now();
  try {
    for (;;) {
      const found = await db
        .query<{ n: string }>('SELECT count(*)::text AS n FROM access_tokens')
        .then((result) => Number(result.rows[0]!.n))
        .catch(() => -1);
      if (found >= count) return performance.now() - started;
      if (performance.now() - started > timeoutMs) throw new Error(`access_tokens holds ${found} rows, not ${count}, after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await db.close();
  }
}
