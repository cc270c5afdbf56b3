import { accessTokensProjection } from './access-tokens.projection';
import { auditEventsProjection } from './audit-events.projection';
import { consentsProjection } from './consents.projection';
import type { PartitionedTable } from './partitioning';
import type { Projection } from './projection';
import { refreshFamiliesProjection } from './refresh-families.projection';
import { revocationsProjection } from './revocations.projection';

/** Every projection the projector maintains. Adding one: a file, a migration, a line here. */
export const PROJECTIONS: readonly Projection[] = [accessTokensProjection, consentsProjection, revocationsProjection, auditEventsProjection];

/**
 * Every projection `projections:rebuild` can rebuild: the live ones, and command-side state whose every
 * change is an event (the token service's refresh families), which the live projector must not write.
 */
export const REBUILDABLE_PROJECTIONS: readonly Projection[] = [...PROJECTIONS, refreshFamiliesProjection];

/** The partitioned tables of the live projections, which the projector host's partition maintenance keeps. */
export const PARTITIONED_TABLES: readonly PartitionedTable[] = PROJECTIONS.flatMap((projection) => projection.partitioned ?? []);
