import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { AuthorizeModule } from '@authz/authorize';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { AccessTokenModule } from '@authz/token';

/**
 * The authorize service: /authorize, the login and consent pages. Redis (codes, interactions, form
 * tokens), Kafka (code and consent events), PostgreSQL (remembered consent), the client registry, and
 * the identity service over HTTP for passwords (never Kafka). The signing keys (PostgreSQL) and the
 * token service's issuer (AccessTokenModule) for the legacy implicit flow's access tokens.
 */
@Module({})
export class AuthorizeAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: AuthorizeAppModule,
      imports: [
        PlatformModule.forRoot(settings, logger),
        InfrastructureModule.forRoot(settings, { ttl: true, events: true, clients: true, codes: true, sql: true, credentials: true, signingKeys: true }),
        AuthorizeModule.register({ imports: [AccessTokenModule] }),
      ],
    };
  }
}
