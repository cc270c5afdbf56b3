import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type IntrospectionResponse, type OAuthParameters, parseFormBody, requireParameter } from '@authz/oauth';
import { CallerAuthentication } from './caller-authentication';
import { IntrospectionService } from './introspection.service';

/**
 * POST /introspect (RFC 7662) and POST /verify as plain Fastify routes of the app's Fastify instance,
 * not as a Nest controller: the hottest path of the suite (every resource-server request) skips Nest's
 * router, parameter resolution, pipes and interceptor chain, which cost about a sixth of its CPU.
 *
 * Everything else is the same as for any route of the app, because it belongs to the Fastify instance
 * and not to Nest: the body limit and the strict UTF-8 body parsers, the hooks of createHttpApp (a
 * repeated Authorization or Content-Type refused, x-request-id, nosniff, `Connection: close` while
 * draining), the metrics and the trace of the route template (instrumentHttp's onRoute). An error
 * thrown here reaches Fastify's error handler, which Nest sets to its exception filters: the
 * OAuthExceptionFilter renders it exactly as it renders a controller's (RFC 6749 §5.2 body, no-store,
 * `server_error` for the unexpected).
 *
 * Registered in onModuleInit, through HttpAdapterHost: Nest has created the adapter and registered its
 * own routes (init registers the router before the init hooks), and Fastify is not ready yet, so
 * routes can still be added. Without an HTTP adapter (an application context) there is nothing to serve.
 */
@Injectable()
export class IntrospectionRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly introspection: IntrospectionService,
    private readonly callers: CallerAuthentication,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.post('/introspect', (request, reply) => this.introspect(request, reply));
    fastify.post('/verify', (request, reply) => this.verify(request, reply));
  }

  /** RFC 7662 §2: for authenticated clients (resource servers are registered confidential clients). Steps: parse → authenticate the caller → introspect. */
  private async introspect(request: FastifyRequest, reply: FastifyReply): Promise<IntrospectionResponse> {
    noStore(reply);
    const parameters = parseForm(request);
    await this.callers.authenticate(parameters, request.headers.authorization);
    return this.introspection.introspect(requireParameter(parameters, 'token'));
  }

  /**
   * The internal verification endpoint of the seed documents, for resource servers inside the cluster:
   * same answer as /introspect, no client authentication. The ingress must not expose it.
   */
  private async verify(request: FastifyRequest, reply: FastifyReply): Promise<IntrospectionResponse> {
    noStore(reply);
    return this.introspection.introspect(requireParameter(parseForm(request), 'token'));
  }
}

/** RFC 7662 §2.2 answers carry tokens' data: never cached (errors get it from the exception filter too). */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

/** RFC 7662 §2.1: an application/x-www-form-urlencoded body, UTF-8, each parameter at most once. */
function parseForm(request: FastifyRequest): OAuthParameters {
  return parseFormBody(request.headers['content-type'], request.body);
}
