import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { ProjectionsModule } from '@authz/projections';
import { RevocationModule } from '@authz/revocation';

/** The revocation service: RFC 7009 /revoke, and the projector (events → PostgreSQL projections). */
@Module({})
export class RevocationAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: RevocationAppModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { events: true, sql: true, clients: true, refreshFamilies: true }), ProjectionsModule, RevocationModule],
    };
  }
}
