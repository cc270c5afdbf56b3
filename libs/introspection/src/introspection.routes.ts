import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type IntrospectionResponse, type OAuthParameters, parseFormBody, requireParameter } from '@authz/oauth';
import { addFastifyRoutes } from '@authz/platform';
import { CallerAuthentication } from './caller-authentication';
import { IntrospectionService } from './introspection.service';

/**
 * POST /introspect (RFC 7662) and POST /verify as plain Fastify routes of the app's Fastify instance
 * (addFastifyRoutes says what that keeps), not as a Nest controller: the hottest path of the suite
 * (every resource-server request) skips Nest's router, parameter resolution, pipes and interceptor
 * chain, which cost about a sixth of its CPU.
 */
@Injectable()
export class IntrospectionRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly introspection: IntrospectionService,
    private readonly callers: CallerAuthentication,
  ) {}

  onModuleInit(): void {
    addFastifyRoutes(this.adapterHost, (fastify) => {
      fastify.post('/introspect', (request, reply) => this.introspect(request, reply));
      fastify.post('/verify', (request, reply) => this.verify(request, reply));
    });
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
