import { type DynamicModule, type ForwardReference, Module, type Type } from '@nestjs/common';
import { CLIENT_REGISTRY, type ClientRegistry, CLOCK, type Clock, type Logger, SQL_DATABASE, type SqlDatabase, TTL_STORE, type TtlStore } from '@authz/ports';
import { normalizeDn } from '@authz/oauth';
import { adminGroupDn, browserCookieNames, FormTokens, LOGGER, SessionCodec, SETTINGS, type Settings } from '@authz/platform';
import { ConnectedAppsQueries } from './connected-apps.queries';
import { DashboardContext, DashboardController } from './dashboard.controller';
import { DashboardPages, dashboardPaths } from './dashboard.pages';
import { GRANT_REVOKER, type GrantRevoker } from './grant-revoker';

/** How long a dashboard form stays usable, ms (the page must be reloaded after). */
const FORM_TOKEN_TTL_MS = 30 * 60 * 1000;

/**
 * The connected-apps dashboard under /account (revocation service, and the suite). Needs SQL (the
 * projections), the TTL store (form tokens), the client registry (app names), the clock, and a
 * GrantRevoker: `revoker` is the injection token of the revocation core's service (RevocationService),
 * provided by one of `imports`.
 */
@Module({})
export class DashboardModule {
  static register(options: { revoker: Type<GrantRevoker> | string | symbol; imports?: Array<Type<unknown> | DynamicModule | ForwardReference> }): DynamicModule {
    return {
      module: DashboardModule,
      imports: options.imports ?? [],
      controllers: [DashboardController],
      providers: [
        { provide: GRANT_REVOKER, useExisting: options.revoker },
        {
          provide: DashboardContext,
          inject: [SETTINGS, LOGGER, CLOCK, SQL_DATABASE, TTL_STORE, CLIENT_REGISTRY],
          useFactory: (settings: Settings, logger: Logger, clock: Clock, db: SqlDatabase, ttl: TtlStore, clients: ClientRegistry) => {
            const paths = dashboardPaths(settings.ACCOUNT_URL ?? settings.ISSUER);
            return new DashboardContext({
              sessions: SessionCodec.fromSettings(settings),
              cookies: browserCookieNames(settings.ISSUER),
              formTokens: new FormTokens(ttl, FORM_TOKEN_TTL_MS),
              queries: new ConnectedAppsQueries(db),
              clients,
              pages: new DashboardPages(paths),
              paths,
              clock,
              logger,
              adminGroup: normalizeDn(adminGroupDn(settings)),
              signInUrl: `${(settings.AUTHORIZE_URL ?? settings.ISSUER).replace(/\/$/, '')}/authorize/signin`,
            });
          },
        },
      ],
    };
  }
}
