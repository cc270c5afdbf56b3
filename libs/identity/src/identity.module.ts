import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { CLOCK, type Clock, CREDENTIAL_VERIFIER, DIRECTORY, type Directory, EVENT_PUBLISHER, type EventPublisher, type Logger, TTL_STORE, type TtlStore } from '@authz/ports';
import { LOGGER, SETTINGS, type Settings } from '@authz/platform';
import { AuthenticateController } from './authenticate.controller';
import { DiagnosticsController } from './diagnostics.controller';
import { IdentityService } from './identity.service';
import { type LoginThrottlePolicy } from './login-throttle';

/** The brute-force policy of the LOGIN_* settings. */
export function loginThrottlePolicy(settings: Settings): LoginThrottlePolicy {
  return {
    windowSeconds: settings.LOGIN_FAILURE_WINDOW,
    username: { delayAfter: settings.LOGIN_USERNAME_DELAY_AFTER, lockoutAfter: settings.LOGIN_USERNAME_LOCKOUT_AFTER },
    clientIp: { delayAfter: settings.LOGIN_IP_DELAY_AFTER, lockoutAfter: settings.LOGIN_IP_LOCKOUT_AFTER },
    maxDelaySeconds: settings.LOGIN_DELAY_MAX,
    lockoutSeconds: settings.LOGIN_LOCKOUT_DURATION,
    // Longer than the longest attempt: connect and search, connect and bind as the user.
    inFlightSeconds: Math.ceil((2 * settings.LDAP_CONNECT_TIMEOUT_MS + 2 * settings.LDAP_TIMEOUT_MS) / 1000) + 1,
  };
}

const providers: Provider[] = [
  {
    provide: IdentityService,
    inject: [SETTINGS, DIRECTORY, TTL_STORE, EVENT_PUBLISHER, CLOCK, LOGGER],
    useFactory: (settings: Settings, directory: Directory, counters: TtlStore, publisher: EventPublisher, clock: Clock, logger: Logger) =>
      new IdentityService({ directory, counters, publisher, clock, policy: loginThrottlePolicy(settings), failureFloorMs: settings.LOGIN_FAILURE_MIN_MS, discloseReasons: settings.LOGIN_DISCLOSE_REASONS, logger }),
  },
  { provide: CREDENTIAL_VERIFIER, useExisting: IdentityService },
];

/**
 * The identity feature. Needs the directory, the TTL store (brute-force counters) and the event
 * publisher (InfrastructureModule needs `directory`, `ttl`, `events`).
 *
 * - `service()`: the identity service of the distributed mode: the internal HTTP API
 *   (`POST /internal/v1/authenticate`) over IdentityService.
 * - `inProcess()`: CREDENTIAL_VERIFIER as IdentityService in this process, for every module (global),
 *   and no HTTP endpoint: the all-in-one suite, whose port is public.
 */
@Module({})
export class IdentityModule {
  static service(): DynamicModule {
    return { module: IdentityModule, controllers: [AuthenticateController, DiagnosticsController], providers, exports: [IdentityService, CREDENTIAL_VERIFIER] };
  }

  static inProcess(): DynamicModule {
    return { module: IdentityModule, global: true, providers, exports: [IdentityService, CREDENTIAL_VERIFIER] };
  }
}
