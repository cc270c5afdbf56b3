import { Module } from '@nestjs/common';
import { ClientAuthenticationService } from './client-authentication.service';
import { ClientRegistrationService } from './client-registration.service';
import { RegistrationController } from './registration.controller';

/** Client authentication for a service's endpoints (token, introspection): the hasher and private_key_jwt. Needs CLIENT_REGISTRY. */
@Module({
  providers: [ClientAuthenticationService],
  exports: [ClientAuthenticationService],
})
export class ClientAuthenticationModule {}

/**
 * The registration service without HTTP (the admin CLI): needs CLIENT_REGISTRY and EVENT_PUBLISHER.
 */
@Module({
  imports: [ClientAuthenticationModule],
  providers: [ClientRegistrationService],
  exports: [ClientRegistrationService],
})
export class ClientManagementModule {}

/** RFC 7591/7592 endpoints (/register) on the token service. */
@Module({
  imports: [ClientAuthenticationModule, ClientManagementModule],
  controllers: [RegistrationController],
})
export class ClientRegistrationModule {}
