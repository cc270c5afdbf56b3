import { type DynamicModule, Module } from '@nestjs/common';
import { InfrastructureModule } from '@authz/adapters';
import { AuditModule } from '@authz/audit';
import { AuthorizeModule } from '@authz/authorize';
import { IdentityModule } from '@authz/identity';
import { IntrospectionModule } from '@authz/introspection';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { ProjectionsModule } from '@authz/projections';
import { DashboardModule, RevocationModule, RevocationService } from '@authz/revocation';
import { AccessTokenModule, TokenModule } from '@authz/token';

/**
 * The all-in-one suite: the same feature modules as the separate services, in one process. With
 * MODE=embedded (its default) it needs no outside service: in-process event bus, PGlite, in-memory
 * TTL store, users from an LDIF file.
 */
@Module({})
export class SuiteAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: SuiteAppModule,
      imports: [
        PlatformModule.forRoot(settings, logger),
        InfrastructureModule.forRoot(settings, { events: true, sql: true, signingKeys: true, ttl: true, directory: true, clients: true, codes: true, refreshFamilies: true }),
        TokenModule.register(),
        IntrospectionModule,
        RevocationModule,
        // The connected-apps dashboard (/account), revoking through the same RevocationService.
        DashboardModule.register({ imports: [RevocationModule], revoker: RevocationService }),
        ProjectionsModule,
        // The audit API (/internal/v1/audit/*; 404 unless AUDIT_API_TOKEN is set) over the projector's audit index.
        AuditModule,
        // CREDENTIAL_VERIFIER in process (no internal HTTP endpoint on the suite's public port).
        IdentityModule.inProcess(),
        // The implicit flow's tokens: the same issuer (one key ring) as TokenModule's.
        AuthorizeModule.register({ imports: [AccessTokenModule] }),
      ],
    };
  }
}
