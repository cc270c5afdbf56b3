import 'reflect-metadata';
import { runService } from '@authz/platform';
import { IdentityAppModule } from './app.module';

runService('identity', (settings, logger) => IdentityAppModule.create(settings, logger));
