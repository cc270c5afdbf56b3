import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '@authz/clients';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';
import { KeyRingService } from './key-ring.service';

/** The introspection service's feature: /introspect and /verify. Needs the event subscriber and the client registry. */
@Module({
  imports: [ClientAuthenticationModule],
  controllers: [IntrospectionController],
  providers: [KeyRingService, IntrospectionService],
})
export class IntrospectionModule {}
