import type { GrantType } from '@authz/contracts';
import type { RegisteredClient } from '../clients/registered-client';
import type { OAuthParameters } from '../form';

/** The successful token response (RFC 6749 §5.1). */
export type TokenResponse = {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
};

/** What a grant asks the token service to mint; the service signs it and records it in the log. */
export type AccessTokenRequest = {
  client: RegisteredClient;
  grantType: GrantType;
  /** The resource owner, or the client id when there is none (RFC 9068 §2.2). */
  subject: string;
  scopes: string[];
  audience: string[];
};

export type IssuedAccessToken = { accessToken: string; expiresIn: number; scope: string };

/** The I/O a grant needs, provided by the token service (signing, the event log, stores). */
export interface TokenIssuer {
  issueAccessToken(request: AccessTokenRequest): Promise<IssuedAccessToken>;
}

export type GrantContext = {
  parameters: OAuthParameters;
  client: RegisteredClient;
  issuer: TokenIssuer;
};

/** One grant, one file: its type, the parameters it reads, and its handler. */
export interface GrantHandler {
  readonly grantType: GrantType;
  /** Parameters this grant reads besides grant_type and client authentication. */
  readonly parameters: readonly string[];
  /** Whether a public client (no secret) may use it. */
  readonly allowsPublicClients: boolean;
  handle(context: GrantContext): Promise<TokenResponse>;
}
