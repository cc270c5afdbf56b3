import { Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EVENT_SUBSCRIBER, type EventSubscriber, type Logger, SQL_DATABASE, type SqlDatabase, type Subscription } from '@authz/ports';
import { LOGGER } from '@authz/platform';
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
  ) {}

  async onModuleInit(): Promise<void> {
    // The partitions of today and ahead exist before the first row is written.
    await this.partitions.start();
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
