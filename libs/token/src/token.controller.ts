import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { authorizationServerMetadata } from '@authz/oauth';
import { ClientAuthenticationService } from '@authz/clients';
import { SETTINGS, type Settings } from '@authz/platform';
import { SigningKeysService } from './signing-keys.service';

/** RFC 8414 metadata and the JWK Set (the token endpoint itself is a plain Fastify route: TokenRoutes). */
@Controller()
export class TokenController {
  constructor(
    private readonly keys: SigningKeysService,
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly clientAuthentication: ClientAuthenticationService,
  ) {}

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
