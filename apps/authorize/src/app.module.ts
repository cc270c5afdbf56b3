import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';

/** The authorize service: /authorize, login and consent pages come with the authorization code issue; it boots with its dependencies (Redis, Kafka, clients) and reports health. */
@Module({})
export class AuthorizeAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: AuthorizeAppModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { ttl: true, events: true, clients: true })],
    };
  }
}
