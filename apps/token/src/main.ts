import 'reflect-metadata';
import { runService } from '@authz/platform';
import { TokenAppModule } from './app.module';

runService('token', (settings, logger) => TokenAppModule.create(settings, logger));
