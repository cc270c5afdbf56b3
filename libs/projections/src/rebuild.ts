import { randomBytes } from 'node:crypto';
import type { EventSubscriber, Logger, SqlDatabase } from '@authz/ports';
import { createPartitionedCopy, listPartitions, maintainPartitions, type PartitionPolicy } from './partitioning';
import type { Projection } from './projection';
import { Projector, quoteIdent } from './projector';

export type RebuildResult = { projection: string; schema: string; events: number; swapped: boolean };

/**
 * Replays the log from offset 0 into fresh copies of a projection's tables, in a new schema
 * (`rebuild_<projection>_<random>`). With `swap`, the rebuilt tables and positions then replace the
 * live ones in one transaction (stop the projector first; the replaced tables are kept in the schema
 * `<rebuild schema>_previous`). Without it, the rebuild is left beside the live tables for comparison.
 */
export async function rebuildProjection(
  projection: Projection,
  deps: { db: SqlDatabase; subscriber: EventSubscriber; logger: Logger },
  /**
   * `partitions`: the live partition maintenance's policy. A partitioned table is rebuilt partitioned
   * (like the live one), and once caught up the same pass runs on the rebuild, so the partitions the
   * live maintenance dropped are dropped from the rebuild too and both hold the same rows.
   */
  options: { swap?: boolean; partitions?: { policy: PartitionPolicy; nowMs: number } } = {},
): Promise<RebuildResult> {
  const schema = `rebuild_${projection.name}_${randomBytes(4).toString('hex')}`;
  await deps.db.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    for (const table of [...projection.tables, 'projection_positions']) {
      const partitioned = projection.partitioned?.find((spec) => spec.table === table);
      if (partitioned) await createPartitionedCopy(tx, schema, partitioned);
      else await tx.query(`CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(table)} (LIKE public.${quoteIdent(table)} INCLUDING ALL)`);
    }
  });
  const projector = new Projector(projection, deps.db, deps.logger, schema);
  let events = 0;
  // A consumer group of its own that starts at offset 0 and stops once it has caught up with the log.
  const subscription = await deps.subscriber.subscribe({
    groupId: `rebuild.${schema}`,
    topics: projection.topics,
    fromBeginning: true,
    handle: async (batch) => {
      events += await projector.applyBatch(batch);
    },
  });
  await subscription.caughtUp();
  await subscription.stop();
  if (options.partitions && projection.partitioned) {
    await maintainPartitions(deps.db, projection.partitioned, options.partitions.policy, { nowMs: options.partitions.nowMs, schema });
  }
  if (options.swap) await swap(projection, deps.db, schema);
  deps.logger.info({ projection: projection.name, schema, events, swapped: Boolean(options.swap) }, 'projection rebuilt');
  return { projection: projection.name, schema, events, swapped: Boolean(options.swap) };
}

async function swap(projection: Projection, db: SqlDatabase, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  // Index names are per schema: the live tables move to an archive schema of their own, names kept.
  const archive = quoteIdent(`${schema}_previous`);
  await db.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA ${archive}`);
    for (const table of projection.tables) {
      const t = quoteIdent(table);
      await tx.query(`LOCK TABLE public.${t} IN ACCESS EXCLUSIVE MODE`);
      // A partitioned table's partitions do not follow it to another schema: each one is moved too.
      const live = await listPartitions(tx, 'public', table);
      const rebuilt = await listPartitions(tx, schema, table);
      await tx.query(`ALTER TABLE public.${t} SET SCHEMA ${archive}`);
      for (const child of live) await tx.query(`ALTER TABLE public.${quoteIdent(child.name)} SET SCHEMA ${archive}`);
      await tx.query(`ALTER TABLE ${s}.${t} SET SCHEMA public`);
      for (const child of rebuilt) await tx.query(`ALTER TABLE ${s}.${quoteIdent(child.name)} SET SCHEMA public`);
    }
    await tx.query('DELETE FROM public.projection_positions WHERE projection = $1', [projection.name]);
    await tx.query(`INSERT INTO public.projection_positions SELECT * FROM ${s}.projection_positions WHERE projection = $1`, [projection.name]);
  });
}
