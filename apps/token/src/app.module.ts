import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { TokenModule } from '@authz/token';

/** The token service: /token (every grant), metadata (RFC 8414) and the JWK Set. */
@Module({})
export class TokenAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: TokenAppModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { events: true, signingKeys: true, ttl: true, clients: true, codes: true, refreshFamilies: true, credentials: true }), TokenModule.register()],
    };
  }
}
