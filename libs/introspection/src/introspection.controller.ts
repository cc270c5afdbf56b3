import { Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, InvalidClient, isConfidential, parseFormBody, requireParameter } from '@authz/oauth';
import { CLIENT_REGISTRY, type ClientRegistry } from '@authz/ports';
import { IntrospectionService } from './introspection.service';

@Controller()
export class IntrospectionController {
  constructor(
    private readonly introspection: IntrospectionService,
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
  ) {}

  /** RFC 7662 §2: for authenticated clients (resource servers are registered confidential clients). */
  @Post('introspect')
  @HttpCode(200)
  async introspect(@Req() request: FastifyRequest, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    const parameters = parseFormBody(request.headers['content-type'], request.body);
    const { client, method } = await authenticateClient(parameters, authorization, (id) => this.clients.find(id));
    // RFC 7662 §2.1: the endpoint MUST require authorization; a public client proves nothing.
    if (!isConfidential(client)) throw new InvalidClient('introspection requires a confidential client', { usedAuthorizationHeader: method === 'client_secret_basic' });
    return this.introspection.introspect(requireParameter(parameters, 'token'));
  }

  /**
   * The internal verification endpoint of the seed documents, for resource servers inside the cluster:
   * same answer as /introspect, no client authentication. The ingress must not expose it.
   */
  @Post('verify')
  @HttpCode(200)
  async verify(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    const parameters = parseFormBody(request.headers['content-type'], request.body);
    return this.introspection.introspect(requireParameter(parameters, 'token'));
  }
}
