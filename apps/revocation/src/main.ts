import 'reflect-metadata';
import { runService } from '@authz/platform';
import { RevocationAppModule } from './app.module';

runService('revocation', (settings, logger) => RevocationAppModule.create(settings, logger));
