import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '@authz/clients';
import { AccessTokenVerificationModule } from '@authz/introspection';
import { RevocationFeedModule } from '@authz/projections';
import { RevocationController } from './revocation.controller';
import { RevocationService } from './revocation.service';

/**
 * The revocation service's feature: POST /revoke (RFC 7009) and RevocationService for the
 * connected-apps dashboard. Needs the event log, the SQL database (refresh families, revocations) and
 * the client registry.
 */
@Module({
  imports: [ClientAuthenticationModule, AccessTokenVerificationModule, RevocationFeedModule],
  controllers: [RevocationController],
  providers: [RevocationService],
  exports: [RevocationService],
})
export class RevocationModule {}
