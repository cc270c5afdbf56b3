import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { AuditModule } from '@authz/audit';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { ProjectionsModule } from '@authz/projections';
import { DashboardModule, RevocationModule, RevocationService } from '@authz/revocation';

/**
 * The revocation service: RFC 7009 /revoke, the connected-apps dashboard (/account, revoking through
 * RevocationService; Redis for its form tokens), and the projector (events → PostgreSQL projections).
 */
@Module({})
export class RevocationAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: RevocationAppModule,
      imports: [
        PlatformModule.forRoot(settings, logger),
        InfrastructureModule.forRoot(settings, { events: true, sql: true, ttl: true, clients: true, refreshFamilies: true }),
        ProjectionsModule,
        // The audit API (/internal/v1/audit/*; 404 unless AUDIT_API_TOKEN is set) over the projector's audit index.
        AuditModule,
        RevocationModule,
        DashboardModule.register({ imports: [RevocationModule], revoker: RevocationService }),
      ],
    };
  }
}
