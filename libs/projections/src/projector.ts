import type { ConsumedEvent, EventSubscriber, Logger, SqlDatabase, SqlExecutor, SqlStatement, Subscription } from '@authz/ports';
import type { Projection } from './projection';

type Position = { topic: string; partition: number; offset: bigint };

/**
 * Applies events to a projection's tables: one transaction per batch holding the rows and the
 * projection's position, so a batch delivered again after a crash (the Kafka commit comes after the
 * database commit) is recognised by its offsets and skipped.
 */
export class Projector {
  constructor(
    private readonly projection: Projection,
    private readonly db: SqlDatabase,
    private readonly logger: Logger,
    /** Schema holding the tables (a rebuild writes into a fresh one). */
    private readonly schema = 'public',
  ) {}

  async applyBatch(batch: readonly ConsumedEvent[]): Promise<number> {
    if (batch.length === 0) return 0;
    // Three round trips per batch whatever its size and however many partitions it spans: BEGIN with
    // the schema and the positions; the projection's statements (one for most; bulk rows, so bound as
    // parameters); the new positions with COMMIT.
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.batch<PositionRow>([
        { text: `SET LOCAL search_path TO ${quoteIdent(this.schema)}` },
        this.positionsStatement([...new Set(batch.map((event) => event.topic))]),
      ]);
      const positions = toPositions(rows);
      const fresh = batch.filter((event) => BigInt(event.offset) > (positions.get(key(event)) ?? -1n));
      const relevant = fresh.map((event) => event.envelope).filter((envelope) => this.projection.handles.includes(envelope.type));
      for (const statement of this.projection.apply(relevant)) await tx.query(statement.text, statement.values);
      const save = this.savePositionsStatement(fresh);
      if (save) tx.atCommit(save);
      return relevant.length;
    });
  }

  /** Subscribes as the projection's consumer group (the replicas of the projector share the partitions). */
  async start(subscriber: EventSubscriber, groupId = `projector.${this.projection.name}`): Promise<Subscription> {
    const subscription = await subscriber.subscribe({
      groupId,
      topics: this.projection.topics,
      fromBeginning: true,
      // The positions table is the truth: resume right after the last offset applied, or from 0.
      startFrom: async (topic, partition) => String(((await this.positions(this.db, [topic])).get(key({ topic, partition })) ?? -1n) + 1n),
      handle: async (batch) => {
        const applied = await this.applyBatch(batch);
        this.logger.debug({ projection: this.projection.name, events: batch.length, applied }, 'projection batch');
      },
    });
    return subscription;
  }

  /** The last offset applied on each partition of `topics`, keyed `topic/partition`. */
  private async positions(executor: SqlExecutor, topics: readonly string[]): Promise<Map<string, bigint>> {
    const { text, values } = this.positionsStatement(topics);
    return toPositions((await executor.query<PositionRow>(text, values)).rows);
  }

  private positionsStatement(topics: readonly string[]): SqlStatement {
    return {
      text: `SELECT topic, partition, "offset" FROM ${quoteIdent(this.schema)}.projection_positions WHERE projection = $1 AND topic = ANY($2::text[])`,
      values: [this.projection.name, topics],
    };
  }

  /** The batch's last offset of each partition, all in one statement; null when no event is new. */
  private savePositionsStatement(events: readonly ConsumedEvent[]): SqlStatement | null {
    const latest = new Map<string, Position>();
    for (const event of events) {
      const offset = BigInt(event.offset);
      const current = latest.get(key(event));
      if (!current || offset > current.offset) latest.set(key(event), { topic: event.topic, partition: event.partition, offset });
    }
    if (latest.size === 0) return null;
    const positions = [...latest.values()];
    return {
      text: `INSERT INTO projection_positions (projection, topic, partition, "offset", updated_at)
               SELECT $1, p.topic, p.partition, p."offset", now() FROM unnest($2::text[], $3::int[], $4::bigint[]) AS p(topic, partition, "offset")
             ON CONFLICT (projection, topic, partition) DO UPDATE SET "offset" = GREATEST(projection_positions."offset", EXCLUDED."offset"), updated_at = now()`,
      values: [this.projection.name, positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.offset.toString())],
    };
  }
}

type PositionRow = { topic: string; partition: number; offset: string };

function toPositions(rows: readonly PositionRow[]): Map<string, bigint> {
  return new Map(rows.map((row) => [key(row), BigInt(row.offset)]));
}

function key(event: { topic: string; partition: number }): string {
  return `${event.topic}/${event.partition}`;
}

export function quoteIdent(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`unsafe SQL identifier: ${identifier}`);
  return `"${identifier}"`;
}
