import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { IntrospectionModule } from '@authz/introspection';

/** The introspection service: /introspect (RFC 7662) and the internal /verify; revocations from oauth.revocations (loaded from PostgreSQL at start). */
@Module({})
export class IntrospectionAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: IntrospectionAppModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { events: true, sql: true, clients: true }), IntrospectionModule],
    };
  }
}
