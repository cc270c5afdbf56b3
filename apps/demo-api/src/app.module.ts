import { type DynamicModule, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { type Logger } from '@authz/ports';
import { HealthRegistry, PlatformModule, type Settings } from '@authz/platform';
import { type Verifier, type VerifierOptions } from '@authz/resource-server';
import { BEARER_VERIFIER, ResourceServerModule } from '@authz/resource-server/nestjs';
import { ApiController } from './api.controller';

/** The guard's options from the settings (README "Resource-server guard"). */
export function verifierOptions(settings: Settings, logger: Logger): VerifierOptions {
  if ((settings.RESOURCE_INTROSPECTION_CLIENT_ID === undefined) !== (settings.RESOURCE_INTROSPECTION_CLIENT_SECRET === undefined)) {
    throw new Error('RESOURCE_INTROSPECTION_CLIENT_ID and RESOURCE_INTROSPECTION_CLIENT_SECRET go together: set both or neither');
  }
  const introspection = {
    url: settings.INTROSPECTION_URL,
    cacheSeconds: settings.RESOURCE_INTROSPECTION_CACHE_SECONDS,
    ...(settings.RESOURCE_INTROSPECTION_CLIENT_ID && settings.RESOURCE_INTROSPECTION_CLIENT_SECRET
      ? { clientId: settings.RESOURCE_INTROSPECTION_CLIENT_ID, clientSecret: settings.RESOURCE_INTROSPECTION_CLIENT_SECRET }
      : {}),
  };
  const kafka = settings.RESOURCE_REVOCATION === 'kafka';
  return {
    issuer: settings.ISSUER,
    audience: settings.RESOURCE_AUDIENCE,
    jwksUrl: settings.RESOURCE_JWKS_URL ?? `${settings.ISSUER.replace(/\/$/, '')}/jwks`,
    realm: 'demo-api',
    clockSkewSeconds: settings.RESOURCE_CLOCK_SKEW_SECONDS,
    maxTokenLifetimeSeconds: settings.RESOURCE_MAX_TOKEN_LIFETIME,
    logger: logger.child({ component: 'resource-server' }),
    ...(kafka
      ? {
          kafka: {
            brokers: settings.KAFKA_BROKERS,
            topicPrefix: settings.KAFKA_TOPIC_PREFIX,
            groupId: `${settings.KAFKA_TOPIC_PREFIX}demo-api.revocations.${settings.INSTANCE_ID}`,
            clientId: settings.KAFKA_CLIENT_ID,
            stalenessMs: settings.RESOURCE_REVOCATION_STALENESS_MS,
          },
        }
      : {}),
    ...(!kafka || settings.RESOURCE_INTROSPECTION_FALLBACK ? { introspection } : {}),
  };
}

/** Readiness: the revocation feed has caught up and is fresh (with RESOURCE_REVOCATION=kafka). */
@Injectable()
class DemoApiHealth implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(BEARER_VERIFIER) private readonly verifier: Verifier,
  ) {}

  onModuleInit(): void {
    this.health.register({
      name: 'revocations',
      check: async () => {
        if (!this.verifier.health().ready) throw new Error('the revocation feed is behind or stale');
      },
    });
  }
}

/** An example resource server protected by the suite's tokens. */
@Module({})
export class DemoApiAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: DemoApiAppModule,
      imports: [PlatformModule.forRoot(settings, logger), ResourceServerModule.forRoot(verifierOptions(settings, logger))],
      providers: [DemoApiHealth],
      controllers: [ApiController],
    };
  }
}
