import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '@authz/clients';
import { RevocationFeedModule } from '@authz/projections';
import { AccessTokenVerificationModule } from './access-token-verifier';
import { CallerAuthentication } from './caller-authentication';
import { IntrospectionRoutes } from './introspection.routes';
import { IntrospectionService } from './introspection.service';

/**
 * The introspection service's feature: /introspect and /verify, plain Fastify routes (IntrospectionRoutes
 * says why). Needs the event subscriber, the SQL database (revocations) and the client registry.
 */
@Module({
  imports: [ClientAuthenticationModule, AccessTokenVerificationModule, RevocationFeedModule],
  providers: [IntrospectionService, CallerAuthentication, IntrospectionRoutes],
  exports: [IntrospectionService],
})
export class IntrospectionModule {}
