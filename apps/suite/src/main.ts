import 'reflect-metadata';
import { exitGracefullyOnSignals, startService } from '@authz/platform';
import { SuiteAppModule } from './app.module';
import { banner } from './banner';

const started = Date.now();
startService('suite', (settings, logger) => SuiteAppModule.create(settings, logger), {
  // The all-in-one mode defaults to the embedded adapters and to quiet logs, so the banner stands out.
  overrides: { MODE: process.env.MODE ?? 'embedded', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
}).then(
  (handle) => {
    exitGracefullyOnSignals(handle);
    process.stdout.write(banner(handle.settings.ISSUER, handle.settings.MODE, Date.now() - started));
  },
  (error: unknown) => {
    process.stderr.write(`suite: startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
