import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { handleTokenRequest, parseFormBody, type TokenIssuer, type TokenResponse } from '@authz/oauth';
import { CLIENT_REGISTRY, type ClientRegistry } from '@authz/ports';
import { ClientAuthenticationService } from '@authz/clients';
import { GrantServicesService } from './grant-services.service';
import { TokenIssuerService } from './token-issuer.service';

/**
 * POST /token (RFC 6749 §3.2) as a plain Fastify route of the app's Fastify instance, not a Nest
 * controller route: every token request skips Nest's router, parameter resolution and interceptor
 * chain. Everything else is the same as for any route of the app, because it belongs to the Fastify
 * instance: the body limit and the strict UTF-8 body parsers, createHttpApp's hooks (a repeated
 * Authorization or Content-Type refused, x-request-id, nosniff, `Connection: close` while draining),
 * the metrics and the trace of the route template. An error thrown here reaches Fastify's error
 * handler, which Nest sets to its exception filters: the OAuthExceptionFilter renders it exactly as for
 * a controller (RFC 6749 §5.2 body, 401 with a challenge for invalid_client, `server_error` for the
 * unexpected).
 *
 * Registered in onModuleInit through HttpAdapterHost: Nest has created the adapter and registered its
 * own routes, and Fastify is not listening yet. Without an HTTP adapter there is nothing to serve.
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
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    adapter.getInstance<FastifyInstance>().post('/token', (request, reply) => this.token(request, reply));
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
