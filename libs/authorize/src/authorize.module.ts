import { type DynamicModule, type ForwardReference, Module, type Type } from '@nestjs/common';
import {
  ACCESS_TOKEN_ISSUER,
  type AccessTokenIssuer,
  AUTHORIZATION_CODE_STORE,
  type AuthorizationCodeStore,
  CLIENT_REGISTRY,
  type ClientRegistry,
  CLOCK,
  type Clock,
  CREDENTIAL_VERIFIER,
  type CredentialVerifier,
  EVENT_PUBLISHER,
  type EventPublisher,
  type Logger,
  SQL_DATABASE,
  type SqlDatabase,
  TTL_STORE,
  type TtlStore,
} from '@authz/ports';
import { loadScopePolicy, LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { AuthorizationFlow, pagePaths } from './authorization-flow';
import { AuthorizeController } from './authorize.controller';
import { ConsentStore } from './consent-store';
import { InteractionStore } from './interaction-store';
import { BUILT_IN_UI_DIR, Pages } from './pages';
import { SessionCodec } from './session';

/**
 * The authorize service's feature: /authorize, the login and consent pages. Needs the client registry,
 * the authorization code store, the credential verifier (identity), the event publisher, SQL (consents)
 * and the TTL store (interactions, form tokens); for the legacy implicit flow, ACCESS_TOKEN_ISSUER
 * (AccessTokenModule of @authz/token, imported by the app), without which that flow is not served.
 */
@Module({})
export class AuthorizeModule {
  /** `imports`: modules providing optional dependencies, e.g. AccessTokenModule (ACCESS_TOKEN_ISSUER) for the implicit flow. */
  static register(options: { imports?: Array<Type<unknown> | DynamicModule | ForwardReference> } = {}): DynamicModule {
    return {
      module: AuthorizeModule,
      imports: options.imports ?? [],
      controllers: [AuthorizeController],
      providers: [
        { provide: Pages, inject: [SETTINGS], useFactory: (settings: Settings) => new Pages(settings.UI_DIR ?? BUILT_IN_UI_DIR, pagePaths(settings.ISSUER).css) },
        {
          provide: AuthorizationFlow,
          inject: [
            SETTINGS,
            LOGGER,
            CLOCK,
            Pages,
            CLIENT_REGISTRY,
            AUTHORIZATION_CODE_STORE,
            CREDENTIAL_VERIFIER,
            EVENT_PUBLISHER,
            SQL_DATABASE,
            TTL_STORE,
            { token: ACCESS_TOKEN_ISSUER, optional: true },
          ],
          useFactory: (
            settings: Settings,
            logger: Logger,
            clock: Clock,
            pages: Pages,
            clients: ClientRegistry,
            codes: AuthorizationCodeStore,
            verifier: CredentialVerifier,
            publisher: EventPublisher,
            db: SqlDatabase,
            ttl: TtlStore,
            accessTokens: AccessTokenIssuer | undefined,
          ) =>
            new AuthorizationFlow({
              clients,
              codes,
              verifier,
              publisher,
              consents: new ConsentStore(db),
              interactions: new InteractionStore(ttl, settings.INTERACTION_TTL * 1000),
              sessions: SessionCodec.fromSettings(settings),
              pages,
              clock,
              logger,
              issuer: settings.ISSUER,
              codeTtlSeconds: settings.AUTHORIZATION_CODE_TTL,
              scopePolicy: loadScopePolicy(settings.SCOPE_POLICY),
              ...(accessTokens ? { accessTokens } : {}),
            }),
        },
      ],
    };
  }
}
