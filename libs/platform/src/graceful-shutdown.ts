import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { Logger } from '@authz/ports';
import { HealthRegistry } from './health';
import { stopTracing } from './tracing';

export type ShutdownOptions = {
  /** SHUTDOWN_DELAY_MS: readiness is 503 this long before the listener closes. */
  delayMs: number;
  /** SHUTDOWN_TIMEOUT_MS: how long requests in flight may take once the listener is closed. */
  timeoutMs: number;
  logger: Logger;
};

/** The HTTP servers (Fastify instances) of apps whose listener is closing: their answers carry `Connection: close` (bootstrap's onSend hook). */
const draining = new WeakSet<object>();

export function isDraining(server: object): boolean {
  return draining.has(server);
}

/**
 * The graceful shutdown of a service (README "Health and shutdown"), in this order:
 *
 * 1. readiness answers 503 at once (HealthRegistry.beginShutdown), everything else is served as before;
 * 2. after `delayMs` (the load balancer's reaction time) the listener closes: no new connection is
 *    accepted, idle keep-alive connections are closed, answers carry `Connection: close`;
 * 3. requests in flight finish (each one's events acknowledged before it answers, as always), at most
 *    `timeoutMs`; connections still busy then are closed;
 * 4. the Nest application closes: consumers stop after committing the batch they finished
 *    (onModuleDestroy), the event publisher sends what it holds and waits for each event's
 *    acknowledgement or failure (nothing is dropped), then the pools close (onApplicationShutdown);
 * 5. buffered spans are exported.
 *
 * Resolves when all of that is done (the caller exits 0); rejects if closing the application failed.
 */
export async function shutDownGracefully(app: INestApplication, options: ShutdownOptions): Promise<void> {
  const started = Date.now();
  const health = getOptional(app, HealthRegistry);
  health?.beginShutdown();
  options.logger.info({ delayMs: options.delayMs, timeoutMs: options.timeoutMs }, 'shutting down: readiness is 503');
  if (options.delayMs > 0) await sleep(options.delayMs);

  draining.add(app.getHttpAdapter().getInstance() as object);
  const server = app.getHttpServer() as Server;
  const drained = await closeListener(server, options.timeoutMs);
  options.logger.info({ drained, ms: Date.now() - started }, drained ? 'requests in flight finished' : 'requests still in flight after SHUTDOWN_TIMEOUT_MS: connections closed');

  await app.close();
  await stopTracing();
  options.logger.info({ ms: Date.now() - started }, 'shut down');
}

/** Stops accepting, closes idle connections as they become idle, and resolves once none is left (true) or after `timeoutMs` (false, the rest closed). */
function closeListener(server: Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve(true);
    let finished = false;
    const finish = (drained: boolean) => {
      if (finished) return;
      finished = true;
      clearInterval(idleSweep);
      clearTimeout(deadline);
      resolve(drained);
    };
    server.close(() => finish(true));
    server.closeIdleConnections();
    // A keep-alive connection whose request finished becomes idle: close it then (its answer said Connection: close).
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      finish(false);
    }, timeoutMs);
  });
}

function getOptional<T>(app: INestApplication, token: new (...args: never[]) => T): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
