import type { SqlDatabase, SqlExecutor } from '@authz/ports';
import { quoteIdent } from './projector';

export type PartitionInterval = 'day' | 'month';

/**
 * A projection table range-partitioned by the instant its rows stop mattering (an access token's
 * expiry, a revocation's coverage, an event's time). Partitions are named `<table>_p<YYYYMMDD>` (day) or
 * `<table>_p<YYYYMM>` (month), in UTC; the DEFAULT partition takes rows outside them.
 */
export type PartitionedTable = { table: string; column: string; interval: PartitionInterval };

export type PartitionPolicy = {
  /** Partitions are made this far ahead of now (seconds), so live rows never land in the default partition. */
  premakeSeconds: number;
  /** How long after a partition's upper bound it is kept (seconds); null: never dropped. */
  keepAfterSeconds(table: string): number | null;
};

export type PartitionReport = { table: string; created: string[]; dropped: string[]; prunedFromDefault: number };

const DAY_MS = 86_400_000;

/** The start (ms, UTC) of the interval holding `ms`. */
export function intervalStart(ms: number, interval: PartitionInterval): number {
  const date = new Date(ms);
  return interval === 'day' ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) : Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** The start of the interval after the one starting at `startMs`. */
export function nextIntervalStart(startMs: number, interval: PartitionInterval): number {
  if (interval === 'day') return startMs + DAY_MS;
  const date = new Date(startMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

export function partitionName(table: string, startMs: number, interval: PartitionInterval): string {
  const iso = new Date(startMs).toISOString();
  return `${table}_p${iso.slice(0, 4)}${iso.slice(5, 7)}${interval === 'day' ? iso.slice(8, 10) : ''}`;
}

/** The start (ms) a partition's name stands for, or null for a name that is not one of ours. */
export function partitionStart(table: string, name: string, interval: PartitionInterval): number | null {
  const match = new RegExp(`^${table}_p(\\d{4})(\\d{2})${interval === 'day' ? '(\\d{2})' : ''}$`).exec(name);
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, interval === 'day' ? Number(match[3]) : 1);
}

type Child = { name: string; isDefault: boolean };

/** The partitions of `schema.table` (through pg_inherits: a partition's name is not assumed). */
export async function listPartitions(executor: SqlExecutor, schema: string, table: string): Promise<Child[]> {
  const { rows } = await executor.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = (quote_ident($1) || '.' || quote_ident($2))::regclass ORDER BY c.relname`,
    [schema, table],
  );
  return rows.map((row) => ({ name: row.name, isDefault: row.bound === 'DEFAULT' }));
}

/** Creates the partition starting at `startMs`, moving the rows of its range out of the default partition first. */
async function createPartition(tx: SqlExecutor, schema: string, spec: PartitionedTable, startMs: number, defaultName: string | undefined): Promise<string> {
  const s = quoteIdent(schema);
  const name = partitionName(spec.table, startMs, spec.interval);
  const from = new Date(startMs).toISOString();
  const to = new Date(nextIntervalStart(startMs, spec.interval)).toISOString();
  await tx.query(`CREATE TABLE ${s}.${quoteIdent(name)} (LIKE ${s}.${quoteIdent(spec.table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  if (defaultName !== undefined) {
    const column = quoteIdent(spec.column);
    await tx.query(
      `WITH moved AS (DELETE FROM ${s}.${quoteIdent(defaultName)} WHERE ${column} >= $1::timestamptz AND ${column} < $2::timestamptz RETURNING *)
       INSERT INTO ${s}.${quoteIdent(name)} SELECT * FROM moved`,
      [from, to],
    );
  }
  await tx.query(`ALTER TABLE ${s}.${quoteIdent(spec.table)} ATTACH PARTITION ${s}.${quoteIdent(name)} FOR VALUES FROM ('${from}') TO ('${to}')`);
  return name;
}

/**
 * One pass of partition maintenance for `tables` in `schema`: makes the partitions from the current
 * interval to `premakeSeconds` ahead, drops those whose upper bound is more than the table's retention in
 * the past (their rows have all stopped mattering), and deletes such rows from the default partition.
 * Under a transaction-scoped advisory lock (PostgreSQL and PGlite): with several projector hosts one
 * pass runs at a time, and a host that finds the lock taken skips (returns null).
 */
export async function maintainPartitions(
  db: SqlDatabase,
  tables: readonly PartitionedTable[],
  policy: PartitionPolicy,
  options: { nowMs: number; schema?: string },
): Promise<PartitionReport[] | null> {
  const schema = options.schema ?? 'public';
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('authz.partitions'), hashtext($1)) AS locked`, [schema]);
    if (!rows[0]?.locked) return null;
    const reports: PartitionReport[] = [];
    for (const spec of tables) reports.push(await maintainTable(tx, schema, spec, policy, options.nowMs));
    return reports;
  });
}

async function maintainTable(tx: SqlExecutor, schema: string, spec: PartitionedTable, policy: PartitionPolicy, nowMs: number): Promise<PartitionReport> {
  const report: PartitionReport = { table: spec.table, created: [], dropped: [], prunedFromDefault: 0 };
  const children = await listPartitions(tx, schema, spec.table);
  const defaultName = children.find((child) => child.isDefault)?.name;
  const existing = new Set(children.map((child) => child.name));
  for (let start = intervalStart(nowMs, spec.interval); start < nowMs + policy.premakeSeconds * 1000; start = nextIntervalStart(start, spec.interval)) {
    if (!existing.has(partitionName(spec.table, start, spec.interval))) report.created.push(await createPartition(tx, schema, spec, start, defaultName));
  }
  const keep = policy.keepAfterSeconds(spec.table);
  if (keep === null) return report;
  const horizon = nowMs - keep * 1000;
  for (const child of children) {
    const start = child.isDefault ? null : partitionStart(spec.table, child.name, spec.interval);
    if (start === null || nextIntervalStart(start, spec.interval) > horizon) continue;
    await tx.query(`DROP TABLE ${quoteIdent(schema)}.${quoteIdent(child.name)}`);
    report.dropped.push(child.name);
  }
  if (defaultName !== undefined) {
    const pruned = await tx.query(`DELETE FROM ${quoteIdent(schema)}.${quoteIdent(defaultName)} WHERE ${quoteIdent(spec.column)} < $1::timestamptz`, [new Date(horizon).toISOString()]);
    report.prunedFromDefault = pruned.rowCount;
  }
  return report;
}

/**
 * In a rebuild: makes `schema.table` partitioned like the live `public.table`, with a default partition
 * and the live table's partitions (so the rebuilt rows land where the live ones are).
 */
export async function createPartitionedCopy(tx: SqlExecutor, schema: string, spec: PartitionedTable): Promise<void> {
  const s = quoteIdent(schema);
  const t = quoteIdent(spec.table);
  await tx.query(`CREATE TABLE ${s}.${t} (LIKE public.${t} INCLUDING ALL) PARTITION BY RANGE (${quoteIdent(spec.column)})`);
  await tx.query(`CREATE TABLE ${s}.${quoteIdent(`${spec.table}_default`)} PARTITION OF ${s}.${t} DEFAULT`);
  for (const child of await listPartitions(tx, 'public', spec.table)) {
    const start = child.isDefault ? null : partitionStart(spec.table, child.name, spec.interval);
    if (start === null) continue;
    const from = new Date(start).toISOString();
    const to = new Date(nextIntervalStart(start, spec.interval)).toISOString();
    await tx.query(`CREATE TABLE ${s}.${quoteIdent(child.name)} PARTITION OF ${s}.${t} FOR VALUES FROM ('${from}') TO ('${to}')`);
  }
}
