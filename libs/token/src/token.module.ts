import { randomBytes } from 'node:crypto';
import { type DynamicModule, Module } from '@nestjs/common';
import { SETTINGS, type Settings } from '@authz/platform';
import { DEVELOPMENT_KEY_ENCRYPTION_KEY, KeyEncryption } from './key-encryption';
import { KEY_ENCRYPTION, SigningKeysService } from './signing-keys.service';
import { GrantServicesService } from './grant-services.service';
import { TokenController } from './token.controller';
import { TokenIssuerService } from './token-issuer.service';

/**
 * The token service's feature: /token (every grant), metadata, JWKS. Needs the event publisher, SQL
 * (signing keys, refresh token families), the authorization code store, the client registry and, for
 * the password grant, a credential verifier (CREDENTIAL_VERIFIER; without one that grant answers 503).
 */
@Module({})
export class TokenModule {
  static register(): DynamicModule {
    return {
      module: TokenModule,
      controllers: [TokenController],
      providers: [
        {
          provide: KEY_ENCRYPTION,
          inject: [SETTINGS],
          useFactory: (settings: Settings) =>
            new KeyEncryption(
              settings.KEY_ENCRYPTION_KEY ?? (settings.MODE === 'embedded' ? randomBytes(32).toString('base64url') : DEVELOPMENT_KEY_ENCRYPTION_KEY),
            ),
        },
        SigningKeysService,
        TokenIssuerService,
        GrantServicesService,
      ],
      exports: [SigningKeysService],
    };
  }
}
