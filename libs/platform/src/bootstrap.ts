import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, ServerError } from '@authz/oauth';
import type { Logger } from '@authz/ports';
import { installAsyncResourceBind } from './async-resource-bind';
import { isDraining, shutDownGracefully } from './graceful-shutdown';
import { instrumentHttp } from './http-observability';
import { createLogger } from './logger';
import { ServiceMetrics } from './metrics';
import { loadSettings, type ServiceName, type Settings, unsafeDefaults } from './settings';
import { startTracing } from './tracing';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** OAuth request bodies are small; a large one is refused with 413 before it is parsed. */
const BODY_LIMIT = 64 * 1024;

export type ServiceHandle = { app: INestApplication; settings: Settings; logger: Logger; url: string };

/**
 * Starts one service: settings validated, Fastify with our body parsers and correlation ids, the
 * module's dependencies connected, listening. Rejects if any of that fails (runService exits then).
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
  // Before the modules are created, so that every component sees whether tracing is on.
  if (startTracing(settings)) logger.info({ serviceName: settings.OTEL_SERVICE_NAME ?? `authz-${service}` }, 'tracing on (OTLP/HTTP)');
  const app = await createHttpApp(createModule(settings, logger), logger, settings.TRUST_PROXY === undefined ? {} : { trustProxy: settings.TRUST_PROXY });
  await app.listen({ host: settings.HOST, port: settings.PORT });
  const url = await app.getUrl();
  logger.info({ url: url.replace('[::1]', 'localhost'), mode: settings.MODE }, `${service} listening`);
  return { app, settings, logger, url };
}

/**
 * SIGTERM (Kubernetes) and SIGINT (Ctrl-C): the graceful shutdown (shutDownGracefully), then exit 0;
 * exit 1 if it failed or did not end within SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + the publish
 * timeout + 10 s. A second signal does not start another.
 */
export function exitGracefullyOnSignals(handle: ServiceHandle): void {
  const { app, settings, logger } = handle;
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    logger.info({ signal }, 'signal received');
    const bound = settings.SHUTDOWN_DELAY_MS + settings.SHUTDOWN_TIMEOUT_MS + settings.KAFKA_PUBLISH_TIMEOUT_MS + 10_000;
    setTimeout(() => {
      logger.error({ ms: bound }, 'shutdown did not finish in time: exiting');
      process.exit(1);
    }, bound).unref();
    shutDownGracefully(app, { delayMs: settings.SHUTDOWN_DELAY_MS, timeoutMs: settings.SHUTDOWN_TIMEOUT_MS, logger }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}


export type HttpAppOptions = {
  /**
   * Fastify's trustProxy (TRUST_PROXY): a hop count or the trusted proxies' IPs/CIDRs. Then request.ip
   * is the client address of X-Forwarded-For, taken only through trusted hops; without it, the socket
   * peer (X-Forwarded-For ignored, so a client cannot spoof its address).
   */
  trustProxy?: number | string[];
};

export async function createHttpApp(module: Type<unknown> | DynamicModule, logger: Logger, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  // Fastify binds an AsyncResource per request body: without this, every POST's objects outlive the young generation.
  installAsyncResourceBind();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Node's HTTP parser refuses a request before Fastify routes it (headers over 16 KiB, a malformed
    // request line or header, a timeout); Fastify's default answer is its own JSON shape without
    // no-store. Give it the RFC 6749 §5.2 body and the cache headers; the connection is closed.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, reason, description] =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', 'the request was not received in time']
            : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
      const body = JSON.stringify(new InvalidRequest(description).toBody());
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncache-control: no-store\r\npragma: no-cache\r\n` +
            `x-content-type-options: nosniff\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(error);
    },
    // Fastify answers a path it cannot percent-decode (/%zz) before routing, outside the exception
    // filter and the onSend hook: give it the RFC body, no-store and the correlation id as well.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
      const body = status < 500 ? new InvalidRequest('the request path is malformed').toBody() : new ServerError().toBody();
      void reply.status(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache', 'x-request-id': request.id, 'x-content-type-options': 'nosniff' }).send(body);
    },
  });
  const fastify = adapter.getInstance();
  // Metrics and traces of every request; the registry is the app's own (PlatformModule), known once the app exists.
  let metrics: ServiceMetrics | undefined;
  instrumentHttp(fastify, () => metrics);
  // Bodies reach the controllers as raw strings: the OAuth layer parses forms itself, so a repeated
  // parameter or a wrong media type is an RFC error (invalid_request) and not a framework error.
  // They are read as bytes and decoded as strict UTF-8: a body that is not UTF-8 is refused, never
  // silently repaired with U+FFFD.
  const decodeBody = (_req: unknown, body: Buffer, done: (error: Error | null, body?: string) => void) => {
    try {
      done(null, UTF8.decode(body));
    } catch {
      done(Object.assign(new Error('the request body is not valid UTF-8'), { statusCode: 400 }));
    }
  };
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, decodeBody);
  // JSON (RFC 7591 registration) likewise: strict UTF-8 (RFC 8259 §8.1), then Fastify's own parser
  // (same errors, prototype poisoning refused). Its default reads the bytes as lenient UTF-8 text
  // and answered a non-UTF-8 body with a misleading "body size did not match Content-Length".
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    decodeBody(request, body, (error, text) => (error ? done(error) : parseJson(request, text!, done)));
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, decodeBody);
  // RFC 9110 §5.3: a field that is not a list appears at most once. Node keeps the first of repeated
  // Authorization or Content-Type fields and drops the rest silently, so a proxy that reads the last
  // one would disagree with us about who the client is or how the body is encoded: refuse instead
  // (RFC 6749 §5.2 invalid_request, "more than one mechanism for authenticating the client").
  // Both hooks run on every request: callback style (no promise each) and the raw header list scanned
  // in place (Node's headersDistinct builds an object of arrays of every header on first read).
  fastify.addHook('onRequest', (request, _reply, done) => {
    const repeated = repeatedSingleValueHeader(request.raw.rawHeaders);
    done(repeated === undefined ? undefined : Object.assign(new Error(`the ${repeated} header is included more than once`), { statusCode: 400 }));
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    // While draining (graceful shutdown), every answer closes its connection: the client opens a new
    // one, which reaches another replica.
    if (isDraining(fastify)) reply.header('connection', 'close');
    done(null, payload);
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bodyParser: false,
    logger: nestLogger(logger),
    abortOnError: false,
  });
  try {
    metrics = app.get(ServiceMetrics, { strict: false });
  } catch {
    metrics = undefined; // a module without PlatformModule (some specs): no metrics
  }
  // No enableShutdownHooks(): Nest would close the modules (the publisher, the consumers) while
  // requests are still in flight. Signals are handled by exitGracefullyOnSignals (runService).
  return app;
}

/**
 * The request fields that must not be repeated (see the onRequest hook): the first of Authorization and
 * Content-Type that the request has more than once (names compared case-insensitively), if any.
 */
function repeatedSingleValueHeader(rawHeaders: readonly string[]): 'authorization' | 'content-type' | undefined {
  let authorization = 0;
  let contentType = 0;
  // rawHeaders: name, value, name, value… as received. Lower-cased only when the length matches.
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorization += 1;
    else if (name.length === 12 && name.toLowerCase() === 'content-type') contentType += 1;
  }
  return authorization > 1 ? 'authorization' : contentType > 1 ? 'content-type' : undefined;
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
  startService(...args).then(exitGracefullyOnSignals, (error: unknown) => {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service: args[0], msg: 'startup failed', err: error instanceof Error ? error.message : String(error) })}\n`);
    process.exit(1);
  });
}
