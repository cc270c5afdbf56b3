import { Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient, InvalidClient, isConfidential, type OAuthParameters, parseFormBody, requireParameter } from '@authz/oauth';
import { ClientAuthenticationService } from '@authz/clients';
import { CLIENT_REGISTRY, type ClientRegistry } from '@authz/ports';
import { IntrospectionService } from './introspection.service';

@Controller()
export class IntrospectionController {
  constructor(
    private readonly introspection: IntrospectionService,
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
    private readonly clientAuthentication: ClientAuthenticationService,
  ) {}

  /** RFC 7662 §2: for authenticated clients (resource servers are registered confidential clients). */
  @Post('introspect')
  @HttpCode(200)
  async introspect(@Req() request: FastifyRequest, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    const parameters = parseFormBody(request.headers['content-type'], request.body);
    await this.authorizeCaller(parameters, authorization);
    return this.introspection.introspect(requireParameter(parameters, 'token'));
  }

  /**
   * RFC 7662 §2.1: the endpoint MUST require authorization, and a public client proves nothing.
   * §2.3: a caller without valid credentials gets 401 (with a Basic challenge), whichever way it sent them.
   */
  private async authorizeCaller(parameters: OAuthParameters, authorization: string | undefined): Promise<void> {
    try {
      const { client } = await authenticateClient(parameters, authorization, (id) => this.clients.find(id), this.clientAuthentication.forSecretsOnly());
      if (!isConfidential(client)) throw new InvalidClient('introspection requires a confidential client', { challenge: true });
    } catch (error) {
      throw error instanceof InvalidClient ? error.withChallenge('introspect') : error;
    }
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
