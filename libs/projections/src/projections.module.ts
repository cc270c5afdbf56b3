import { Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { EVENT_SUBSCRIBER, type EventSubscriber, type Logger, SQL_DATABASE, type SqlDatabase, type Subscription } from '@authz/ports';
import { LOGGER, ServiceMetrics } from '@authz/platform';
import { PartitionMaintenanceService } from './partition-maintenance.service';
import { Projector } from './projector';
import { PROJECTIONS } from './registry';

/** Runs every projection's projector in this process (the revocation service, or the all-in-one suite). */
@Injectable()
export class ProjectorsService implements OnModuleInit, OnModuleDestroy {
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(EVENT_SUBSCRIBER) private readonly subscriber: EventSubscriber,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly partitions: PartitionMaintenanceService,
    @Optional() private readonly metrics?: ServiceMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    // The partitions of today and ahead exist before the first row is written.
    await this.partitions.start();
    // The projection's own position (where the projector resumes), read at scrape time; its lag is
    // authz_kafka_consumer_lag{group="projector.<name>"} (the group commits after the database).
    this.metrics?.gauge({
      name: 'authz_projection_position',
      help: 'The last Kafka offset applied to a projection, per topic-partition (projection_positions).',
      labelNames: ['projection', 'topic', 'partition'],
      collect: async (gauge) => {
        const { rows } = await this.db.query<{ projection: string; topic: string; partition: number; offset: string }>('SELECT projection, topic, partition, "offset" FROM projection_positions');
        for (const row of rows) gauge.set({ projection: row.projection, topic: row.topic, partition: String(row.partition) }, Number(row.offset));
      },
    });
    this.subscriptions = await Promise.all(PROJECTIONS.map((projection) => new Projector(projection, this.db, this.logger).start(this.subscriber)));
  }

  /** Resolves when every projection has caught up with the log as of its start. */
  async caughtUp(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscription) => subscription.caughtUp()));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscription) => subscription.stop()));
  }
}

@Module({ providers: [ProjectorsService, PartitionMaintenanceService], exports: [ProjectorsService, PartitionMaintenanceService] })
export class ProjectionsModule {}
