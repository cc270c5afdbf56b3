import type { CodeChallengeMethod } from './clients/registered-client';

/**
 * What an authorization code stands for (RFC 6749 §4.1.2): everything the token endpoint needs to
 * redeem it. Stored by the SHA-256 of the code (never the code), for at most 60 s, single use.
 * Written by the authorize service, redeemed by the token service.
 */
export type AuthorizationCodeGrant = {
  /** The grant this code opens: every token issued from it carries this id (revoked together on replay). */
  grantId: string;
  clientId: string;
  /** The redirect_uri of the authorization request, exactly (RFC 6749 §4.1.3); absent when the request had none. */
  redirectUri?: string;
  /** Granted scopes, after consent. */
  scopes: string[];
  /** RFC 8707 `resource` values of the authorization request, if any. */
  resources?: string[];
  /** The user (`sub`). */
  subject: string;
  /** When the user authenticated, seconds since the epoch (`auth_time`). */
  authTime: number;
  codeChallenge?: string;
  codeChallengeMethod?: CodeChallengeMethod;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
};

/** The longest an authorization code lives (RFC 6749 §4.1.2 recommends at most 10 minutes; we hold 60 s). */
export const MAX_AUTHORIZATION_CODE_TTL_SECONDS = 60;
