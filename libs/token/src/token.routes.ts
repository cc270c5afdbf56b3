import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { handleTokenRequest, parseFormBody, type TokenIssuer, type TokenResponse } from '@authz/oauth';
import { CLIENT_REGISTRY, type ClientRegistry } from '@authz/ports';
import { ClientAuthenticationService } from '@authz/clients';
import { addFastifyRoutes } from '@authz/platform';
import { GrantServicesService } from './grant-services.service';
import { TokenIssuerService } from './token-issuer.service';

/**
 * POST /token (RFC 6749 §3.2) as a plain Fastify route of the app's Fastify instance (addFastifyRoutes
 * says what that keeps): every token request skips Nest's router, parameter resolution and interceptor
 * chain. An invalid_client is rendered 401 with its challenge by the OAuthExceptionFilter, as before.
 */
@Injectable()
export class TokenRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly issuer: TokenIssuerService,
    private readonly grantServices: GrantServicesService,
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
    private readonly clientAuthentication: ClientAuthenticationService,
  ) {}

  onModuleInit(): void {
    addFastifyRoutes(this.adapterHost, (fastify) => fastify.post('/token', (request, reply) => this.token(request, reply)));
  }

  /** Steps: parse the form → the grant's handler (client authentication, grant type, scope, the grant itself; handleTokenRequest). */
  private async token(request: FastifyRequest, reply: FastifyReply): Promise<TokenResponse> {
    // RFC 6749 §5.1: responses with tokens MUST carry Cache-Control: no-store and Pragma: no-cache.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const parameters = parseFormBody(request.headers['content-type'], request.body);
    const correlationId = request.id;
    const issuer: TokenIssuer = { issueAccessToken: (req) => this.issuer.issueAccessToken(req, correlationId), prepareAccessToken: (req) => this.issuer.prepareAccessToken(req) };
    return handleTokenRequest({ parameters, authorizationHeader: request.headers.authorization }, {
      findClient: (id) => this.clients.find(id),
      issuer,
      // request.ip: the socket peer, or the client address of X-Forwarded-For through TRUST_PROXY hops only.
      services: this.grantServices.forRequest(correlationId, request.ip),
      clientAuthentication: this.clientAuthentication.forTokenEndpoint(),
    });
  }
}
