import type { DirectoryUser } from './directory.port';

/** Refusal reasons a user may be told (the directory refused a right password). */
export const DISCLOSABLE_REASONS = ['password_expired', 'must_change_password'] as const;
export type DisclosedRefusalReason = (typeof DISCLOSABLE_REASONS)[number];

/** One login attempt, as the authorize service (login page) or the token service (password grant) sends it. */
export type CredentialCheck = {
  username: string;
  password: string;
  /** The client the user is logging in to (events, per-client reporting). */
  clientId: string;
  /** The end user's IP as the calling service saw it (brute-force counters), if known. */
  clientIp?: string;
};

/**
 * Per-call metadata: the correlation id of the request that caused the attempt (the login page's or the
 * token request's), carried by the oauth.user.* events and sent to the identity service as x-request-id.
 */
export type CredentialCallMeta = { correlationId?: string };

export type CredentialVerdict =
  | { outcome: 'authenticated'; user: DirectoryUser; /** seconds since the epoch */ authTime: number }
  /**
   * Wrong password or unknown user: the caller must not tell which. `reason` only where telling is safe
   * and useful and the identity service is configured to (LOGIN_DISCLOSE_REASONS): the password was right
   * but has expired or must be changed.
   */
  | { outcome: 'invalid_credentials'; reason?: DisclosedRefusalReason }
  /** Too many failures for this username or IP: locked until `retryAfter` seconds from now. No bind happened. */
  | { outcome: 'locked'; retryAfter: number };

/**
 * Checks a username and password: the identity service, over a synchronous internal HTTP call in the
 * distributed mode, in-process in the all-in-one mode. Never over Kafka (a password must not sit in a log).
 * Exactly one LDAP bind per attempt. Brute-force counting and the user.authenticated/authentication_failed
 * events happen behind this port, in the identity service.
 * A directory or counter-store outage rejects with IdentityUnavailableError: never a failed login.
 */
export interface CredentialVerifier {
  verify(check: CredentialCheck, meta?: CredentialCallMeta): Promise<CredentialVerdict>;
}

export class IdentityUnavailableError extends Error {
  override readonly name = 'IdentityUnavailableError';
}

/**
 * Bounds of a credential check, shared by the identity service (its HTTP API answers 400 beyond them)
 * and its callers (which answer `invalid_credentials` without calling: no directory entry has such a
 * username, and a password beyond the bound is never sent to LDAP).
 */
export const CREDENTIAL_LIMITS = {
  /** Characters of a username (LdapDirectory does not search longer ones either). */
  usernameMaxLength: 256,
  /** UTF-8 bytes of a password. */
  passwordMaxBytes: 1024,
  /** Characters of a client id. */
  clientIdMaxLength: 256,
} as const;

/** True when the username and password are within CREDENTIAL_LIMITS and the username is not empty. */
export function withinCredentialLimits(username: string, password: string): boolean {
  return username.length > 0 && username.length <= CREDENTIAL_LIMITS.usernameMaxLength && Buffer.byteLength(password, 'utf8') <= CREDENTIAL_LIMITS.passwordMaxBytes;
}
