import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * Adds plain routes to the app's Fastify instance, for the hottest endpoints (README "Notes on style"):
 * they skip Nest's router, parameter resolution and interceptor chain, and keep all that belongs to the
 * Fastify instance: the body limit and the strict UTF-8 body parsers, createHttpApp's hooks (a repeated
 * Authorization or Content-Type refused, x-request-id, nosniff, `Connection: close` while draining), the
 * metrics and the trace of the route template (instrumentHttp's onRoute). An error thrown by a handler
 * reaches Fastify's error handler, which Nest sets to its exception filters: the OAuthExceptionFilter
 * renders it exactly as for a controller (RFC 6749 §5.2 body, no-store, `server_error` for the unexpected).
 *
 * Call it from a provider's onModuleInit: Nest has created the adapter and registered its own routes, and
 * Fastify is not ready yet, so routes can still be added. Without an HTTP adapter (an application
 * context) there is nothing to serve and nothing is added.
 */
export function addFastifyRoutes(adapterHost: HttpAdapterHost, add: (fastify: FastifyInstance) => void): void {
  const adapter = adapterHost.httpAdapter;
  if (adapter) add(adapter.getInstance<FastifyInstance>());
}
