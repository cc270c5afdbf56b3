import { Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type Envelope, type EventOf, Topics } from '@authz/contracts';
import {
  broadcastGroupId,
  CLOCK,
  type Clock,
  type ConsumedEvent,
  EVENT_SUBSCRIBER,
  type EventSubscriber,
  type Logger,
  SQL_DATABASE,
  type SqlDatabase,
  type Subscription,
} from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { RevocationSet } from '@authz/resource-server';
import { grantCoversUntil, revocationsProjection } from './revocations.projection';

/** How often entries whose tokens have all expired are forgotten (ms). */
const SWEEP_INTERVAL_MS = 30_000;

/**
 * The revocations in force, in memory, in every introspection and token replica (and the revocation
 * service, which writes them). How a replica comes to know every revocation, with no gap and no full
 * replay of the log:
 *
 * 1. Startup: in one snapshot (REPEATABLE READ), the `revocations` projection's rows still in force and
 *    its position on each partition of oauth.revocations.
 * 2. Then it tails oauth.revocations as a consumer group of its own (broadcast: every replica sees every
 *    event) from the position after that snapshot (a partition the projection has not reached yet is
 *    read from its start), and is ready once it has caught up with the topic as of its start.
 * 3. Afterwards each revocation event is applied within milliseconds of its acknowledgement; a
 *    revocation made in this process is applied at once (`record`), before the event comes back.
 *
 * Entries are forgotten once the tokens they cover have expired, so memory holds one token lifetime of
 * revocations, not history.
 */
@Injectable()
export class RevocationFeedService implements OnModuleInit, OnModuleDestroy {
  private readonly set = new RevocationSet();
  private subscription?: Subscription;
  private sweeper?: NodeJS.Timeout;

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(EVENT_SUBSCRIBER) private readonly subscriber: EventSubscriber,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    const { positions, loaded } = await this.loadSnapshot();
    this.subscription = await this.subscriber.subscribe({
      groupId: broadcastGroupId(`${this.settings.SERVICE}.revocations`, this.settings.INSTANCE_ID),
      topics: [Topics.revocations],
      fromBeginning: true,
      startFrom: async (topic, partition) => {
        const position = positions.get(`${topic}/${partition}`);
        return position === undefined ? '0' : (position + 1n).toString();
      },
      handle: async (batch) => this.apply(batch),
    });
    await this.subscription.caughtUp();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.logger.info({ loaded, ...this.set.size, ms: Date.now() - started }, 'revocations known');
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.subscription?.stop();
  }

  /** Whether an access token with these claims is revoked (by its jti or its grant). */
  isRevoked(claims: { jti: string; grant_id?: string | undefined }): boolean {
    return this.set.isRevoked(claims);
  }

  isGrantRevoked(grantId: string): boolean {
    return this.set.isGrantRevoked(grantId);
  }

  /** Applies a revocation this process has just had acknowledged by the log (read-your-writes). */
  record(event: EventOf<'oauth.grant.revoked.v1'> | EventOf<'oauth.access_token.revoked.v1'>): void {
    this.applyEvent(event);
  }

  private async loadSnapshot(): Promise<{ positions: Map<string, bigint>; loaded: number }> {
    return this.db.transaction(async (tx) => {
      // One snapshot for the rows and the positions: nothing applied between the two reads is missed.
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const { rows } = await tx.query<{ kind: 'grant' | 'token'; id: string; covers_until: string }>(
        `SELECT kind, id, floor(extract(epoch FROM covers_until))::bigint::text AS covers_until FROM revocations WHERE covers_until > to_timestamp($1)`,
        [this.nowSeconds()],
      );
      const positions = await tx.query<{ topic: string; partition: number; offset: string }>(
        `SELECT topic, partition, "offset"::text AS "offset" FROM projection_positions WHERE projection = $1`,
        [revocationsProjection.name],
      );
      for (const row of rows) {
        if (row.kind === 'grant') this.set.revokeGrant(row.id, Number(row.covers_until));
        else this.set.revokeToken(row.id, Number(row.covers_until));
      }
      return { positions: new Map(positions.rows.map((row) => [`${row.topic}/${row.partition}`, BigInt(row.offset)])), loaded: rows.length };
    });
  }

  private async apply(batch: readonly ConsumedEvent[]): Promise<void> {
    for (const { envelope } of batch) this.applyEvent(envelope);
  }

  private applyEvent(event: Envelope | EventOf<'oauth.grant.revoked.v1'> | EventOf<'oauth.access_token.revoked.v1'>): void {
    const now = this.nowSeconds();
    switch (event.type) {
      case 'oauth.grant.revoked.v1': {
        const until = grantCoversUntil(event.data);
        if (until > now) this.set.revokeGrant(event.data.grantId, until);
        return;
      }
      case 'oauth.access_token.revoked.v1':
        if (event.data.expiresAt > now) this.set.revokeToken(event.data.jti, event.data.expiresAt);
        return;
      default:
        return;
    }
  }

  private sweep(): void {
    const forgotten = this.set.sweep(this.nowSeconds());
    if (forgotten > 0) this.logger.debug({ forgotten, ...this.set.size }, 'expired revocations forgotten');
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

/** The revocation feed for a service (needs the SQL database and the event subscriber). */
@Module({ providers: [RevocationFeedService], exports: [RevocationFeedService] })
export class RevocationFeedModule {}
