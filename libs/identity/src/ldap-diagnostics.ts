import { type ScopePolicy, scopesAllowedByPolicy } from '@authz/oauth';
import { type Directory } from '@authz/ports';

/** What the diagnostics say about one username: no bind, no password, no event. */
export type LdapDiagnosis =
  | { username: string; found: false }
  | {
      username: string;
      found: true;
      /** The URL of the directory server that answered. */
      server: string;
      dn: string;
      subject: string;
      name?: string;
      email?: string;
      /** Every resolved group; `path` from a direct group down to this one (nested groups). */
      groups: Array<{ dn: string; path: string[] }>;
      /** The scope policy's answer for `clientId` (or `*`), when a policy is configured. */
      scopes: { clientId: string; policy: 'none' } | { clientId: string; policy: 'configured'; allowed: string[]; unlistedScopes: 'allow' | 'deny' };
    };

/**
 * For a username: the DN the search finds, the groups resolved (with their nesting paths), the scopes the
 * group → scope policy gives, and which server answered. Searches as the service account only: no user
 * bind, so nothing counts against the user's lockout.
 */
export async function diagnoseLdapUser(directory: Directory, policy: ScopePolicy | undefined, username: string, clientId = '*'): Promise<LdapDiagnosis> {
  if (!directory.diagnose) throw new Error('this directory has no diagnostics (the embedded LDIF directory)');
  const found = await directory.diagnose(username);
  if (!found) return { username, found: false };
  const { user } = found;
  return {
    username,
    found: true,
    server: found.server,
    dn: user.dn,
    subject: user.subject,
    ...(user.name !== undefined ? { name: user.name } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
    groups: found.groups,
    scopes: policy
      ? { clientId, policy: 'configured', allowed: scopesAllowedByPolicy(policy, clientId, found.groups.map((group) => group.dn)), unlistedScopes: policy.unlistedScopes }
      : { clientId, policy: 'none' },
  };
}
