import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';

/** The identity service: the user directory (LDAP through ldapts). Its authentication endpoint for the login page comes with the authorization code issue. */
@Module({})
export class IdentityAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: IdentityAppModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { directory: true, events: true })],
    };
  }
}
