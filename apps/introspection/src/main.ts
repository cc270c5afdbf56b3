import 'reflect-metadata';
import { runService } from '@authz/platform';
import { IntrospectionAppModule } from './app.module';

runService('introspection', (settings, logger) => IntrospectionAppModule.create(settings, logger));
