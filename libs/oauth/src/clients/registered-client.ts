import type { GrantType } from '@authz/contracts';

/** Client authentication methods (RFC 7591 §2, RFC 8414 `token_endpoint_auth_methods_supported`). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** A client as registered (RFC 6749 §2; field names follow RFC 7591 metadata where one exists). */
export type RegisteredClient = {
  clientId: string;
  clientName: string;
  /** `sha256:<base64url>` of the client secret; absent for public clients. Never the secret itself. */
  secretHash?: string;
  tokenEndpointAuthMethod: ClientAuthMethod;
  grantTypes: GrantType[];
  /** Scopes the client may be granted. */
  scope: string[];
  /** Scopes granted when a request names none (RFC 6749 §3.3); must be a subset of `scope`. */
  defaultScope: string[];
  /** `aud` of its access tokens (RFC 9068 §3: the resource servers the token is for). */
  audience: string[];
  redirectUris: string[];
  /** Overrides the server's access token lifetime, in seconds. */
  accessTokenTtl?: number;
};

export function isConfidential(client: RegisteredClient): boolean {
  return client.tokenEndpointAuthMethod !== 'none';
}
