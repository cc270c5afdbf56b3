import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { ACCESS_TOKEN_ISSUER } from '@authz/ports';
import { SETTINGS, type Settings } from '@authz/platform';
import { DEVELOPMENT_KEY_ENCRYPTION_KEY, KeyEncryption } from './key-encryption';
import { KEY_ENCRYPTION, SigningKeysService } from './signing-keys.service';
import { TokenIssuerService } from './token-issuer.service';

/**
 * Signing keys and the access token issuer: what mints an RFC 9068 access token. The token service
 * imports it through TokenModule; the authorize service imports it for the implicit flow (RFC 6749
 * §4.2), which issues the same tokens through the same path (ACCESS_TOKEN_ISSUER). Needs the event
 * publisher, the clock and the signing key store (InfrastructureModule `signingKeys`). A static
 * module: imported twice in one process (the suite), it is one instance, one key ring.
 */
@Module({
  providers: [
    {
      provide: KEY_ENCRYPTION,
      inject: [SETTINGS],
      useFactory: (settings: Settings) =>
        new KeyEncryption(settings.KEY_ENCRYPTION_KEY ?? (settings.MODE === 'embedded' ? randomBytes(32).toString('base64url') : DEVELOPMENT_KEY_ENCRYPTION_KEY)),
    },
    SigningKeysService,
    TokenIssuerService,
    { provide: ACCESS_TOKEN_ISSUER, useExisting: TokenIssuerService },
  ],
  exports: [KEY_ENCRYPTION, SigningKeysService, TokenIssuerService, ACCESS_TOKEN_ISSUER],
})
export class AccessTokenModule {}
