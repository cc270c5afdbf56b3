import type { DirectoryUser } from './directory.port';

/** One login attempt, as the authorize service (login page) or the token service (password grant) sends it. */
export type CredentialCheck = {
  username: string;
  password: string;
  /** The client the user is logging in to (events, per-client reporting). */
  clientId: string;
  /** The end user's IP as the calling service saw it (brute-force counters), if known. */
  clientIp?: string;
};

export type CredentialVerdict =
  | { outcome: 'authenticated'; user: DirectoryUser; /** seconds since the epoch */ authTime: number }
  /** Wrong password or unknown user: the caller must not tell which. */
  | { outcome: 'invalid_credentials' }
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
  verify(check: CredentialCheck): Promise<CredentialVerdict>;
}

export class IdentityUnavailableError extends Error {
  override readonly name = 'IdentityUnavailableError';
}
