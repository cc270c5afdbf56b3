import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { ProjectionsModule } from '@authz/projections';

/** The revocation service. For now it hosts the projector (events → PostgreSQL projections); RFC 7009 /revoke and the connected-apps dashboard come with the revocation issue. */
@Module({})
export class RevocationAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: RevocationAppModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { events: true, sql: true }), ProjectionsModule],
    };
  }
}
