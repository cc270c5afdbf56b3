import 'reflect-metadata';
import { runService } from '@authz/platform';
import { DemoApiAppModule } from './app.module';

runService('demo-api', (settings, logger) => DemoApiAppModule.create(settings, logger));
