import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CLOCK, type Logger, systemClock } from '@authz/ports';
import { OAuthExceptionFilter } from './exception.filter';
import { HealthController, HealthRegistry } from './health';
import { MetricsController } from './metrics.controller';
import { ServiceMetrics } from './metrics';
import type { Settings } from './settings';
import { LOGGER, SETTINGS } from './tokens';

/** Settings, logger, clock, the RFC error filter, the health endpoints and /metrics (one registry per app), for every service. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: systemClock },
        HealthRegistry,
        { provide: ServiceMetrics, useFactory: () => new ServiceMetrics(settings.SERVICE) },
        { provide: APP_FILTER, useFactory: (log: Logger) => new OAuthExceptionFilter(log), inject: [LOGGER] },
      ],
      exports: [SETTINGS, LOGGER, CLOCK, HealthRegistry, ServiceMetrics],
    };
  }
}
