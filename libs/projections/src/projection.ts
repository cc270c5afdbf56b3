import type { Envelope, EventType, TopicName } from '@authz/contracts';
import type { PartitionedTable } from './partitioning';

/** One SQL statement a projection wants run. */
export type Statement = { text: string; values: readonly unknown[] };

/**
 * A projection is a pure reducer (after Zitadel's internal/query/projection): a batch of events in,
 * SQL statements out, idempotent by key so a redelivered batch changes nothing. The projector runs
 * the statements of one Kafka batch in one transaction, with the projection's position.
 */
export interface Projection {
  readonly name: string;
  readonly topics: readonly TopicName[];
  /** The event types it reads (others on its topics are skipped). */
  readonly handles: readonly EventType[];
  /** The tables it owns, for a rebuild into fresh copies. */
  readonly tables: readonly string[];
  /** Those of its tables that are range-partitioned (a rebuild makes them partitioned too; see partitioning.ts). */
  readonly partitioned?: readonly PartitionedTable[];
  apply(events: readonly Envelope[]): Statement[];
}
