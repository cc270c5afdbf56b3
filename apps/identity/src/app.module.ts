import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { IdentityModule } from '@authz/identity';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';

/**
 * The identity service: checks usernames and passwords against the directory (LDAP through ldapts)
 * for the login page and the password grant, over its internal API `POST /internal/v1/authenticate`.
 * Brute-force counters in Redis; oauth.user.* events in Kafka.
 */
@Module({})
export class IdentityAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: IdentityAppModule,
      imports: [
        PlatformModule.forRoot(settings, logger),
        InfrastructureModule.forRoot(settings, { directory: true, events: true, ttl: true }),
        IdentityModule.service(),
      ],
    };
  }
}
