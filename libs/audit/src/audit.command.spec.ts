import { migrate, PgliteDatabase } from '@authz/adapters';
import { createEnvelope, type DomainEvent, type Envelope } from '@authz/contracts';
import { silentLogger } from '@authz/ports';
import { auditEventsProjection, AUDITED_TOPICS, Projector } from '@authz/projections';
import { AUDIT_USAGE, runAuditCommand, type AuditCommandDeps } from './audit.command';
import type { LogSource } from './audit-log.reader';

const hash = (c: string) => `sha256:${c.repeat(43)}`;
const T = 1_800_000_000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const envelope = (id: string, event: DomainEvent, atSeconds: number): Envelope => createEnvelope(event, { source: 'urn:test', id, time: new Date(atSeconds * 1000) });
const issued = (id: string, grantId: string, jti: string, sub: string, at: number) =>
  envelope(id, { type: 'oauth.access_token.issued.v1', subject: grantId, data: { jti, grantId, grantType: 'authorization_code', clientId: 'web-app', sub, scope: 'api:read', audience: ['https://api'], issuedAt: at, expiresAt: at + 600, tokenHash: hash('t') } }, at);

const LOG = [
  issued('e1', 'g1', 'j1', 'alice', T - 300),
  issued('e2', 'g2', 'j2', 'bob', T - 200),
  envelope('e3', { type: 'oauth.refresh_token.rotated.v1', subject: 'g1', data: { familyId: 'f1', grantId: 'g1', clientId: 'web-app', parentTokenHash: hash('p'), generation: 1, tokenHash: hash('q'), rotatedAt: T - 100, idleExpiresAt: T + 900 } }, T - 100),
  issued('e4', 'g1', 'j3', 'alice', T - 100),
];

describe('npm run audit', () => {
  let db: PgliteDatabase;
  const reads: Array<{ topics: readonly string[]; fromMs: number | undefined }> = [];
  // The log as KafkaLogReader would return it (partition by partition, not in time order).
  const log: LogSource = {
    async read(topics, fromMs) {
      reads.push({ topics, fromMs });
      return [...LOG].reverse().filter((event) => fromMs === undefined || Date.parse(event.time) >= fromMs);
    },
  };
  let deps: AuditCommandDeps;

  beforeAll(async () => {
    db = await PgliteDatabase.create({ logger: silentLogger });
    await migrate(db, { logger: silentLogger });
    await new Projector(auditEventsProjection, db, silentLogger).applyBatch(LOG.map((event, n) => ({ envelope: event, topic: 'oauth.tokens', partition: 0, offset: String(n) })));
    deps = { index: async () => db, log: async () => log, pageSize: 2, nowMs: () => T * 1000 };
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });

  async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAuditCommand(args, deps, { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { code, out, err };
  }

  it('events: pages through the index (page size 2), one envelope per line; the log gives the same lines', async () => {
    const fromIndex = await run('events', '--user', 'alice');
    expect(fromIndex).toEqual({ code: 0, out: [LOG[0], LOG[2], LOG[3]].map((event) => JSON.stringify(event)), err: [] });
    const fromLog = await run('events', '--user', 'alice', '--from', iso(T - 150), '--source', 'log');
    // A filter by user reads the log from its start (e3 names alice only through g1's issuance).
    expect(reads.at(-1)).toEqual({ topics: AUDITED_TOPICS, fromMs: undefined });
    expect(fromLog).toEqual({ code: 0, out: [LOG[2], LOG[3]].map((event) => JSON.stringify(event)), err: [] });
    expect(await run('events', '--client', 'web-app', '--limit', '3')).toEqual({ code: 0, out: LOG.slice(0, 3).map((event) => JSON.stringify(event)), err: [] });
    await run('events', '--from', iso(T - 150), '--source', 'log');
    expect(reads.at(-1)).toEqual({ topics: AUDITED_TOPICS, fromMs: (T - 150) * 1000 });
  });

  it('access: the same answer from the index and from the log, at --at or now', async () => {
    const index = await run('access', '--user', 'alice', '--at', iso(T));
    expect(index.code).toBe(0);
    expect(JSON.parse(index.out[0]!)).toEqual({
      at: iso(T),
      user: 'alice',
      grants: [
        {
          grant_id: 'g1',
          client_id: 'web-app',
          subject: 'alice',
          access_tokens: [
            { jti: 'j1', scope: 'api:read', audience: ['https://api'], issued_at: iso(T - 300), expires_at: iso(T + 300), kid: null },
            { jti: 'j3', scope: 'api:read', audience: ['https://api'], issued_at: iso(T - 100), expires_at: iso(T + 500), kid: null },
          ],
          refresh_families: [],
          pending_code: null,
        },
      ],
    });
    expect(await run('access', '--user', 'alice', '--source', 'log')).toEqual(index);
    expect(JSON.parse((await run('access', '--client', 'web-app', '--at', iso(T - 250))).out[0]!).grants.map((grant: { grant_id: string }) => grant.grant_id)).toEqual(['g1']);
  });

  it('usage errors exit 2 with the usage', async () => {
    for (const args of [[], ['nothing'], ['events', '--from', 'yesterday'], ['events', '--bogus'], ['events', '--limit', '0'], ['events', '--source', 'kafka'], ['access'], ['access', '--user', 'a', '--client', 'b']]) {
      const result = await run(...args);
      expect([args, result.code, result.out]).toEqual([args, 2, []]);
      expect(result.err[0]).toContain(AUDIT_USAGE);
    }
  });
});
