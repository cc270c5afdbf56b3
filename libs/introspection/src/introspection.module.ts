import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '@authz/clients';
import { RevocationFeedModule } from '@authz/projections';
import { AccessTokenVerificationModule } from './access-token-verifier';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';

/** The introspection service's feature: /introspect and /verify. Needs the event subscriber, the SQL database (revocations) and the client registry. */
@Module({
  imports: [ClientAuthenticationModule, AccessTokenVerificationModule, RevocationFeedModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionService],
  exports: [IntrospectionService],
})
export class IntrospectionModule {}
