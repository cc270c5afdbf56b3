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

export type AuthenticationResult =
  | { outcome: 'authenticated'; user: DirectoryUser }
  /** Unknown user or wrong password: the caller must not tell which. */
  | { outcome: 'invalid_credentials' };

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
}

export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
}
