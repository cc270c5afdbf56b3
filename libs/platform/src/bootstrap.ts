import { randomUUID } from 'node:crypto';
import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from '@authz/ports';
import { createLogger } from './logger';
import { loadSettings, type ServiceName, type Settings, unsafeDefaults } from './settings';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** OAuth request bodies are small; a large one is refused with 413 before it is parsed. */
const BODY_LIMIT = 64 * 1024;

export type ServiceHandle = { app: INestApplication; settings: Settings; logger: Logger; url: string };

/**
 * Starts one service: settings validated, Fastify with our body parsers and correlation ids, the
 * module's dependencies connected, listening. Exits the process with a clear line if startup fails.
 */
export async function startService(
  service: ServiceName,
  createModule: (settings: Settings, logger: Logger) => Type<unknown> | DynamicModule,
  options: { env?: NodeJS.ProcessEnv; overrides?: Record<string, string> } = {},
): Promise<ServiceHandle> {
  const settings = loadSettings(service, options.env ?? process.env, options.overrides);
  const logger = createLogger({ service, instanceId: settings.INSTANCE_ID, level: settings.LOG_LEVEL });
  for (const warning of unsafeDefaults(settings, options.env ?? process.env)) logger.warn({ setting: true }, warning);
  routeProcessWarnings(logger);
  const app = await createHttpApp(createModule(settings, logger), logger);
  await app.listen({ host: settings.HOST, port: settings.PORT });
  const url = await app.getUrl();
  logger.info({ url: url.replace('[::1]', 'localhost'), mode: settings.MODE }, `${service} listening`);
  return { app, settings, logger, url };
}

export async function createHttpApp(module: Type<unknown> | DynamicModule, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  const fastify = adapter.getInstance();
  // Bodies reach the controllers as raw strings: the OAuth layer parses forms itself, so a repeated
  // parameter or a wrong media type is an RFC error (invalid_request) and not a framework error.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bodyParser: false,
    logger: nestLogger(logger),
    abortOnError: false,
  });
  app.enableShutdownHooks();
  return app;
}

function nestLogger(logger: Logger): LoggerService {
  const log = (level: 'info' | 'warn' | 'error' | 'debug') => (message: unknown, ...rest: unknown[]) =>
    logger[level]({ context: rest.at(-1) }, String(message));
  return { log: log('info'), warn: log('warn'), error: log('error'), debug: log('debug'), verbose: log('debug') };
}

/**
 * Process warnings go to the structured log instead of stderr. kafkajs 2.2.4 schedules a negative
 * timeout on Node ≥ 24 (TimeoutNegativeWarning, once per process, harmless): that one is dropped.
 */
function routeProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    logger.warn({ warning: warning.name }, warning.message);
  });
}

/** The entry point of every app: starts the service, or logs why it could not and exits with status 1. */
export function runService(...args: Parameters<typeof startService>): void {
  startService(...args).catch((error: unknown) => {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: args[0], msg: 'startup failed', err: error instanceof Error ? error.message : String(error) })}\n`);
    process.exit(1);
  });
}
