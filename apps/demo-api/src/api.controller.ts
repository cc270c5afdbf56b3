import { Controller, Get, Header } from '@nestjs/common';
import type { AccessTokenClaims } from '@authz/resource-server';
import { RequireScopes, RequireToken, TokenClaims } from '@authz/resource-server/nestjs';

/**
 * An example resource server (RFC 6750) protected by the resource-server guard: the token is
 * verified locally (JWK Set, RFC 9068 claims), revocations come from the revocation topic, and each
 * route names the scopes it needs. Errors are RFC 6750 §3 answers written by the guard.
 */
@Controller('api')
export class ApiController {
  /** Needs `api:read`. */
  @Get('hello')
  @RequireScopes('api:read')
  @Header('cache-control', 'no-store')
  hello(@TokenClaims() claims: AccessTokenClaims) {
    return { message: 'hello', sub: claims.sub, client_id: claims.client_id, scope: claims.scope };
  }

  /** Needs a valid token, whatever its scopes: who is calling. */
  @Get('me')
  @RequireToken()
  @Header('cache-control', 'no-store')
  me(@TokenClaims() claims: AccessTokenClaims) {
    return { sub: claims.sub, client_id: claims.client_id, scope: claims.scope ?? '', expires_at: claims.exp };
  }
}
