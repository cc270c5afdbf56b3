import { errorDescription } from '../errors';
import type { IssuedAccessToken } from '../grants/grant-handler';
import { responseScope } from '../scope';
import type { AuthorizationErrorCode, AuthorizationRequest, ResponseTarget } from './authorization-request';

/**
 * The redirect that carries an authorization response (RFC 6749 §4.1.2, §4.2.2) to a trusted redirect
 * URI: in the query for the code flow, keeping the registered URI's own query (§3.1.2: "MUST be
 * retained"); in the fragment for the implicit flow. `iss` on every response (RFC 9207 §2).
 */
export function authorizationResponseLocation(redirectUri: string, responseMode: 'query' | 'fragment', parameters: Record<string, string | undefined>): string {
  const encoded = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) encoded.append(name, value);
  if (responseMode === 'fragment') return `${redirectUri}#${encoded.toString()}`;
  const separator = redirectUri.includes('?') ? (redirectUri.endsWith('?') || redirectUri.endsWith('&') ? '' : '&') : '?';
  return `${redirectUri}${separator}${encoded.toString()}`;
}

/** A successful code response (RFC 6749 §4.1.2; RFC 9207 §2). */
export function codeResponseLocation(request: AuthorizationRequest, code: string, issuer: string): string {
  return authorizationResponseLocation(request.redirectUri, 'query', { code, state: request.state, iss: issuer });
}

/**
 * A successful implicit response (RFC 6749 §4.2.2), in the fragment: the access token, its type and
 * lifetime, `scope` only when it differs from the request's ("OPTIONAL, if identical … otherwise,
 * REQUIRED"), `state`, `iss` (RFC 9207 §2). Never a refresh token (§4.2.2: "MUST NOT issue").
 */
export function implicitResponseLocation(request: AuthorizationRequest, issued: IssuedAccessToken, issuer: string): string {
  return authorizationResponseLocation(request.redirectUri, 'fragment', {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: String(issued.expiresIn),
    scope: responseScope(request.requestedScope, request.scopes),
    state: request.state,
    iss: issuer,
  });
}

/** An error response (RFC 6749 §4.1.2.1, §4.2.2.1; RFC 9207 §2). */
export function errorResponseLocation(target: Pick<ResponseTarget, 'redirectUri' | 'responseMode' | 'state'>, error: AuthorizationErrorCode, description: string, issuer: string): string {
  return authorizationResponseLocation(target.redirectUri, target.responseMode, {
    error,
    error_description: errorDescription(description),
    state: target.state,
    iss: issuer,
  });
}
