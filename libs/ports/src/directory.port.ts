/** A person as the directory knows them. `subject` is stable (the `sub` claim). */
export type DirectoryUser = {
  subject: string;
  dn: string;
  username: string;
  name?: string;
  email?: string;
  /** Group DNs, in full (never matched by their first RDN alone). */
  groups: string[];
};

/**
 * Why the directory refused a bind (OpenLDAP ppolicy response control, AD bind sub-codes). Internal:
 * for the audit events; the user is told no more than "invalid credentials" unless configured otherwise.
 */
export type DirectoryRefusalReason =
  | 'invalid_credentials'
  | 'no_such_user'
  | 'password_expired'
  | 'must_change_password'
  | 'account_locked'
  | 'account_disabled'
  | 'account_expired'
  | 'not_permitted_now'
  | 'not_permitted_here';

/** What the password policy said about a successful bind (OpenLDAP ppolicy response control). */
export type PasswordPolicyWarning = { graceLoginsRemaining?: number; expiresInSeconds?: number };

export type AuthenticationResult =
  | { outcome: 'authenticated'; user: DirectoryUser; passwordPolicy?: PasswordPolicyWarning }
  /** Unknown user or wrong password (or another refusal, `reason`): the caller must not tell which unless configured. */
  | { outcome: 'invalid_credentials'; reason?: DirectoryRefusalReason };

/** A group the user is in, with how: `path` goes from a group the user is a direct member of to this one. */
export type ResolvedGroup = { dn: string; path: string[] };

/** What the directory knows about a username, without a bind (diagnostics). */
export type DirectoryDiagnosis = {
  /** The server that answered (its URL). */
  server: string;
  user: DirectoryUser;
  groups: ResolvedGroup[];
};

/**
 * The user directory (LDAP through ldapts, or an LDIF file in the all-in-one mode).
 * `authenticate` performs exactly one bind as the user and never retries it.
 * An unreachable directory rejects with DirectoryUnavailableError, which is never a failed login.
 */
export interface Directory {
  findUser(username: string): Promise<DirectoryUser | null>;
  authenticate(username: string, password: string): Promise<AuthenticationResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The user's entry and resolved groups (with their nesting paths) and the answering server, without any bind. */
  diagnose?(username: string): Promise<DirectoryDiagnosis | null>;
}

export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
}
