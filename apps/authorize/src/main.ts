import 'reflect-metadata';
import { runService } from '@authz/platform';
import { AuthorizeAppModule } from './app.module';

runService('authorize', (settings, logger) => AuthorizeAppModule.create(settings, logger));
