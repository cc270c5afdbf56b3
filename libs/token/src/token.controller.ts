import { Controller, Get, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorizationServerMetadata, handleTokenRequest, parseFormBody, type TokenIssuer } from '@authz/oauth';
import { CLIENT_REGISTRY, type ClientRegistry } from '@authz/ports';
import { ClientAuthenticationService } from '@authz/clients';
import { SETTINGS, type Settings } from '@authz/platform';
import { SigningKeysService } from './signing-keys.service';
import { GrantServicesService } from './grant-services.service';
import { TokenIssuerService } from './token-issuer.service';

/** RFC 6749 §3.2 token endpoint, RFC 8414 metadata and the JWK Set. */
@Controller()
export class TokenController {
  constructor(
    private readonly issuer: TokenIssuerService,
    private readonly keys: SigningKeysService,
    private readonly grantServices: GrantServicesService,
    @Inject(CLIENT_REGISTRY) private readonly clients: ClientRegistry,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly clientAuthentication: ClientAuthenticationService,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(@Req() request: FastifyRequest, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    // RFC 6749 §5.1: responses with tokens MUST carry Cache-Control: no-store and Pragma: no-cache.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const parameters = parseFormBody(request.headers['content-type'], request.body);
    const correlationId = request.id;
    const issuer: TokenIssuer = { issueAccessToken: (req) => this.issuer.issueAccessToken(req, correlationId), prepareAccessToken: (req) => this.issuer.prepareAccessToken(req) };
    return handleTokenRequest({ parameters, authorizationHeader: authorization }, {
      findClient: (id) => this.clients.find(id),
      issuer,
      // request.ip: the socket peer, or the client address of X-Forwarded-For through TRUST_PROXY hops only.
      services: this.grantServices.forRequest(correlationId, request.ip),
      clientAuthentication: this.clientAuthentication.forTokenEndpoint(),
    });
  }

  @Get('.well-known/oauth-authorization-server')
  metadata() {
    return authorizationServerMetadata(this.settings.ISSUER, {
      registrationEndpoint: this.settings.REGISTRATION_INITIAL_ACCESS_TOKEN !== undefined,
      privateKeyJwt: this.clientAuthentication.forTokenEndpoint().assertions !== undefined,
    });
  }

  @Get('jwks')
  jwks(@Res({ passthrough: true }) reply: FastifyReply) {
    // A new key is published at least this long before it signs (SigningKeysService), so a cached set stays usable.
    reply.header('content-type', 'application/jwk-set+json; charset=utf-8').header('cache-control', `public, max-age=${this.keys.jwksMaxAge}`);
    return this.keys.jwks();
  }
}
