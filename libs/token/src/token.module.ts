import { type DynamicModule, Module } from '@nestjs/common';
import { ClientAuthenticationModule, ClientRegistrationModule } from '@authz/clients';
import { RevocationFeedModule } from '@authz/projections';
import { AccessTokenModule } from './access-token.module';
import { GrantServicesService } from './grant-services.service';
import { TokenController } from './token.controller';
import { TokenRoutes } from './token.routes';

/**
 * The token service's feature: /token (every grant), metadata, JWKS. Needs the event publisher, SQL
 * (signing keys, refresh token families, revocations: every replica follows oauth.revocations), the authorization code store, the client registry and, for
 * the password grant, a credential verifier (CREDENTIAL_VERIFIER; without one that grant answers 503).
 */
@Module({})
export class TokenModule {
  static register(): DynamicModule {
    return {
      module: TokenModule,
      imports: [AccessTokenModule, ClientAuthenticationModule, ClientRegistrationModule, RevocationFeedModule],
      controllers: [TokenController],
      providers: [GrantServicesService, TokenRoutes],
      exports: [AccessTokenModule],
    };
  }
}
