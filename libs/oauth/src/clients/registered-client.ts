import type { GrantType } from '@authz/contracts';

/** Client authentication methods (RFC 7591 §2, RFC 8414 `token_endpoint_auth_methods_supported`; RFC 7523 §2.2). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Response types at the authorization endpoint (RFC 6749 §3.1.1). `token` (implicit) is legacy, off by default. */
export const RESPONSE_TYPES = ['code', 'token'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

/** PKCE code challenge methods (RFC 7636 §4.2). `plain` only for a client registered for it. */
export const CODE_CHALLENGE_METHODS = ['S256', 'plain'] as const;
export type CodeChallengeMethod = (typeof CODE_CHALLENGE_METHODS)[number];

/** A public JWK as a client registers it for private_key_jwt (RFC 7517). */
export type ClientJwk = { kty: string; kid?: string; alg?: string; use?: string; [member: string]: unknown };

/**
 * A client as registered (RFC 6749 §2; field names follow RFC 7591 metadata where one exists).
 * Optional fields have the default given in their comment; read them through the helpers below.
 */
export type RegisteredClient = {
  clientId: string;
  clientName: string;
  /** `sha256:<base64url>` of the client secret; absent for public clients. Never the secret itself. */
  secretHash?: string;
  tokenEndpointAuthMethod: ClientAuthMethod;
  grantTypes: GrantType[];
  /** Default: `['code']` when `authorization_code` is among the grant types, else none. */
  responseTypes?: ResponseType[];
  /** Scopes the client may be granted. */
  scope: string[];
  /** Scopes granted when a request names none (RFC 6749 §3.3); must be a subset of `scope`. */
  defaultScope: string[];
  /** `aud` of its access tokens (RFC 9068 §3: the resource servers the token is for). */
  audience: string[];
  redirectUris: string[];
  /** Overrides the server's access token lifetime, in seconds. */
  accessTokenTtl?: number;
  /** Overrides the server's refresh token absolute lifetime, in seconds. */
  refreshTokenTtl?: number;
  /** Overrides the server's refresh token idle lifetime, in seconds. */
  refreshTokenIdleTtl?: number;
  /** PKCE on the code flow. Default true; public clients always require it (RFC 9700 §2.1.1). */
  requirePkce?: boolean;
  /** Accept `code_challenge_method=plain` (RFC 7636 §4.2). Default false. */
  allowPlainPkce?: boolean;
  /** A first-party client: no consent page. Default false. */
  skipConsent?: boolean;
  /** private_key_jwt (RFC 7523): the client's public keys, inline or by URL (RFC 7591 `jwks`, `jwks_uri`). */
  jwks?: { keys: ClientJwk[] };
  jwksUri?: string;
  clientUri?: string;
  logoUri?: string;
  /** RFC 7591 `client_id_issued_at` (seconds since the epoch); absent for seed clients. */
  clientIdIssuedAt?: number;
};

export function isConfidential(client: RegisteredClient): boolean {
  return client.tokenEndpointAuthMethod !== 'none';
}

export function responseTypesOf(client: RegisteredClient): ResponseType[] {
  return client.responseTypes ?? (client.grantTypes.includes('authorization_code') ? ['code'] : []);
}

/** PKCE is mandatory for public clients whatever the registration says (RFC 9700 §2.1.1). */
export function requiresPkce(client: RegisteredClient): boolean {
  return !isConfidential(client) || client.requirePkce !== false;
}
