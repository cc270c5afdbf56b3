import type { ScopePolicy } from '../scope-policy';
import type { AccessTokenGrantType, EventOf, GrantRevocationReason, GrantType } from '@authz/contracts';
import type { AuthorizationCodeGrant } from '../authorization-code';
import type { RegisteredClient } from '../clients/registered-client';
import type { OAuthParameters } from '../form';
import type { RefreshFamilyState } from '../refresh-family';

/** The successful token response (RFC 6749 §5.1). */
export type TokenResponse = {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  /** Present when it differs from the scope the request named (see `responseScope`). */
  scope?: string;
};

/** What a grant asks the token service to mint; the service signs it and records it in the log. */
export type AccessTokenRequest = {
  client: RegisteredClient;
  /** The grant, or `implicit` for the authorization endpoint's legacy flow (RFC 6749 §4.2). */
  grantType: AccessTokenGrantType;
  /** The resource owner, or the client id when there is none (RFC 9068 §2.2). */
  subject: string;
  scopes: string[];
  audience: string[];
  /** The grant the token belongs to (revoked together); a new one when absent (client_credentials). */
  grantId?: string;
  /** When the user authenticated, seconds since the epoch: the `auth_time` claim (RFC 9068 §2.2.1). */
  authTime?: number;
};

export type IssuedAccessToken = { accessToken: string; expiresIn: number; scope: string };

/**
 * An access token signed but not yet in the log. It must not leave the server before `event` is
 * acknowledged: the grant hands it to the GrantServices call that records the grant's own events, so
 * the request waits for one acknowledgement instead of one per event.
 */
export type PreparedAccessToken = IssuedAccessToken & { readonly event: EventOf<'oauth.access_token.issued.v1'> };

/** The I/O a grant needs to mint access tokens, provided by the token service (signing, the event log). */
export interface TokenIssuer {
  /** Signs, records oauth.access_token.issued.v1 and resolves once the log acknowledged it. */
  issueAccessToken(request: AccessTokenRequest): Promise<IssuedAccessToken>;
  /** Signs only: the caller records `event` with its own events (see PreparedAccessToken). */
  prepareAccessToken(request: AccessTokenRequest): PreparedAccessToken;
}

/** A new refresh token family for a grant (generation 0). */
export type RefreshFamilyRequest = {
  client: RegisteredClient;
  grantId: string;
  grantType: GrantType;
  subject: string;
  scopes: string[];
  audience: string[];
  authTime?: number;
};

export type RefreshExchangeRequest = {
  /** sha256Hash of the presented refresh token. */
  tokenHash: string;
  client: RegisteredClient;
  /**
   * Mints the access token for the family once the exchange is decided to succeed, inside the
   * exchange's atomic step: its event is recorded with the rotation's, in one acknowledgement, before
   * the family changes. Throwing refuses the exchange and changes nothing (e.g. invalid_scope).
   */
  mint(family: RefreshFamilyState): PreparedAccessToken;
};

export type RefreshExchangeResult =
  | { outcome: 'rotated' | 'grace_retry'; refreshToken: string; accessToken: IssuedAccessToken }
  /** The family was revoked, and the reuse and the revocation are in the log. */
  | { outcome: 'reuse_detected' }
  | { outcome: 'refused'; reason: 'revoked' | 'expired' | 'client_mismatch' | 'unknown' };

/** The outcome of redeeming an authorization code (the AuthorizationCodeStore port's, structurally). */
export type CodeRedemptionResult =
  | { outcome: 'redeemed'; grant: AuthorizationCodeGrant }
  | { outcome: 'replayed'; grantId: string; clientId: string }
  | { outcome: 'unknown' };

export type ResourceOwnerCredentials = { username: string; password: string; clientId: string };

export type CredentialsResult =
  /** `groups`: the user's group DNs (for the scope policy). */
  | { outcome: 'authenticated'; subject: string; authTime: number; groups?: readonly string[] }
  /** Wrong password, unknown user, or locked: the grant must not tell which; `reason` only where the identity service discloses it. */
  | { outcome: 'refused'; reason?: 'password_expired' | 'must_change_password' };

/**
 * The stateful services of the grants, provided by the token service. Each method that changes state
 * records its event(s) in the log, acknowledged, before it resolves; a dependency that is down rejects
 * with an *UnavailableError or TemporarilyUnavailable (503), never a refusal.
 */
export interface GrantServices {
  /** Spends an authorization code (by its hash): exactly one redemption ever gets `redeemed`. */
  redeemAuthorizationCode(codeHash: string): Promise<CodeRedemptionResult>;
  /** Makes a spent code redeemable again after a redemption that failed on an outage (the client was told 503). */
  restoreAuthorizationCode(codeHash: string, grant: AuthorizationCodeGrant): Promise<void>;
  /**
   * Completes a redemption: records the access token's event, opens the refresh token family when
   * `refresh` is given (oauth.refresh_token.issued.v1) and records oauth.authorization_code.redeemed.v1,
   * all in one acknowledged batch. Resolves with the refresh token, if any.
   */
  completeCodeRedemption(codeHash: string, grant: AuthorizationCodeGrant, accessToken: PreparedAccessToken, refresh?: RefreshFamilyRequest): Promise<string | undefined>;
  /** Revokes a grant and its refresh families; records oauth.grant.revoked.v1. */
  revokeGrant(revocation: { grantId: string; clientId: string; subject?: string; reason: GrantRevocationReason }): Promise<void>;
  /**
   * Opens a refresh token family; records the access token's event and oauth.refresh_token.issued.v1
   * in one acknowledged batch; returns the refresh token (generation 0).
   */
  issueRefreshToken(request: RefreshFamilyRequest, accessToken: PreparedAccessToken): Promise<string>;
  /** Rotation, grace retry or reuse detection, atomically for the family (RFC 9700 §4.14.2). */
  exchangeRefreshToken(request: RefreshExchangeRequest): Promise<RefreshExchangeResult>;
  /** Checks resource owner credentials with the identity service (one LDAP bind), never over the log. */
  verifyCredentials(credentials: ResourceOwnerCredentials): Promise<CredentialsResult>;
  /** The group → scope policy (SCOPE_POLICY), when one is configured. */
  readonly scopePolicy?: ScopePolicy;
}

export type GrantContext = {
  parameters: OAuthParameters;
  client: RegisteredClient;
  issuer: TokenIssuer;
  services: GrantServices;
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
