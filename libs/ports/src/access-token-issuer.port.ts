import type { AccessTokenRequest, IssuedAccessToken } from '@authz/oauth';

/**
 * Mints an RFC 9068 JWT access token with the deployment's active signing key and resolves once its
 * oauth.access_token.issued.v1 is acknowledged by the log. The token service's TokenIssuerService
 * (libs/token) is the one implementation; the authorize service uses it for the legacy implicit flow
 * (RFC 6749 §4.2) through this port (DI symbol ACCESS_TOKEN_ISSUER), so nothing is signed twice over.
 */
export interface AccessTokenIssuer {
  issueAccessToken(request: AccessTokenRequest, correlationId?: string): Promise<IssuedAccessToken>;
}

export const ACCESS_TOKEN_ISSUER = Symbol.for('authz.AccessTokenIssuer');
