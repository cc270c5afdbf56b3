import { type DynamicModule, Module } from '@nestjs/common';
import { type Logger } from '@authz/ports';
import { PlatformModule, type Settings } from '@authz/platform';
import { HelloController } from './hello.controller';

/** An example resource server protected by the suite's tokens. */
@Module({})
export class DemoApiAppModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return { module: DemoApiAppModule, imports: [PlatformModule.forRoot(settings, logger)], controllers: [HelloController] };
  }
}
