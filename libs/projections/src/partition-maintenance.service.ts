import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CLOCK, type Clock, type Logger, SQL_DATABASE, type SqlDatabase } from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { maintainPartitions, type PartitionReport } from './partitioning';
import { partitionPolicy } from './partition-policy';
import { PARTITIONED_TABLES } from './registry';

/**
 * The projector host's partition maintenance: one pass before the projectors start (the partitions of
 * today and PARTITION_PREMAKE ahead exist before the first row is written), then one every
 * PARTITION_MAINTENANCE_INTERVAL. A pass holds an advisory lock: several hosts take turns. A failed
 * pass is logged and retried at the next interval; rows meanwhile land in the default partitions.
 */
@Injectable()
export class PartitionMaintenanceService implements OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs a pass now, then schedules the next ones. */
  async start(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.settings.PARTITION_MAINTENANCE_INTERVAL * 1000);
    this.timer.unref();
  }

  /** One pass; null when another host holds the lock or the pass failed. */
  async runOnce(): Promise<PartitionReport[] | null> {
    try {
      const reports = await maintainPartitions(this.db, PARTITIONED_TABLES, partitionPolicy(this.settings), { nowMs: this.clock.now().getTime() });
      for (const report of reports ?? []) {
        if (report.created.length + report.dropped.length + report.prunedFromDefault > 0) this.logger.info(report, 'partitions maintained');
      }
      return reports;
    } catch (error) {
      this.logger.warn({ err: error }, 'partition maintenance failed; retried at the next interval');
      return null;
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
