/**
 * `npm run cli -- clients <command>`: the admin CLI. It joins the event log like a token replica (it
 * reads the clients topic to know the registry) and publishes the same events as POST /register,
 * through the same ClientRegistrationService. Distributed mode only: an embedded suite keeps its
 * clients in its own process (use its POST /register). Logs go to stderr; results to stdout.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InfrastructureModule } from '@authz/adapters';
import { ClientManagementModule, ClientRegistrationService, CLIENTS_USAGE, clientSecretHasher, runClientsCommand } from '@authz/clients';
import { createLogger, loadSettings, PlatformModule, type Settings } from '@authz/platform';
import type { Logger } from '@authz/ports';

@Module({})
class AdminCliModule {
  static create(settings: Settings, logger: Logger): DynamicModule {
    return {
      module: AdminCliModule,
      imports: [PlatformModule.forRoot(settings, logger), InfrastructureModule.forRoot(settings, { events: true, clients: true }), ClientManagementModule],
    };
  }
}

async function main(): Promise<number> {
  const [area, ...args] = process.argv.slice(2);
  const output = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`), stdin: () => readFileSync(0, 'utf8') };
  if (area !== 'clients') {
    output.err(area === undefined ? CLIENTS_USAGE : `error: unknown area ${area}\n\n${CLIENTS_USAGE}`);
    return 2;
  }
  const settings = loadSettings('token', process.env, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  let app: INestApplicationContext | undefined;
  const connect = async () => {
    if (settings.MODE === 'embedded') {
      throw new Error('the admin CLI needs MODE=distributed (an embedded suite keeps its clients in its own memory: use its POST /register)');
    }
    const logger = createLogger({ service: 'admin-cli', instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL, destination: process.stderr });
    app = await NestFactory.createApplicationContext(AdminCliModule.create(settings, logger), { logger: false, abortOnError: false });
    return app.get(ClientRegistrationService);
  };
  try {
    return await runClientsCommand(args, { hasher: clientSecretHasher(settings), connect }, output);
  } finally {
    await app?.close();
  }
}

// exitCode, not exit(): stdout may still be flushing into a pipe.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`admin cli failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
