import { normalizeDn } from './dn';

/**
 * Which scopes a user in which groups may be granted, per client (SCOPE_POLICY). JSON:
 *
 * ```json
 * {
 *   "rules": [
 *     { "clients": ["*"], "groups": ["*"], "scopes": ["openid", "profile", "api:read"] },
 *     { "clients": ["web-app", "legacy-app"], "groups": ["cn=developers,ou=groups,dc=example,dc=org"], "scopes": ["api:write"] },
 *     { "clients": ["*"], "groups": ["cn=admins,ou=groups,dc=example,dc=org"], "scopes": ["admin"] }
 *   ],
 *   "unlistedScopes": "allow"
 * }
 * ```
 *
 * The rules for a client are those naming its id or `*`. A scope that one of them names is granted to
 * a user only if one of them names it for a group the user is in (its full DN, compared in RFC 4514 canonical form: never by the
 * first RDN alone) or for `*` (any authenticated user). A scope no rule names is granted as before
 * (`unlistedScopes: "allow"`, the default) or never (`"deny"`); a rule for another client changes nothing here. A scope the user may not have is
 * dropped from the grant, not an error (the token response's `scope` says what was granted,
 * RFC 6749 §3.3). The client's own registration still bounds what it may request.
 */
export type ScopePolicy = {
  rules: ReadonlyArray<{ clients: readonly string[]; groups: readonly string[]; scopes: readonly string[] }>;
  unlistedScopes: 'allow' | 'deny';
};

export class InvalidScopePolicyError extends Error {
  override readonly name = 'InvalidScopePolicyError';
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);

/** Validates a policy (parsed JSON); group DNs are kept in canonical form. Throws InvalidScopePolicyError. */
export function parseScopePolicy(json: unknown): ScopePolicy {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InvalidScopePolicyError('the scope policy must be a JSON object');
  const { rules, unlistedScopes = 'allow', ...rest } = json as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new InvalidScopePolicyError(`unknown members in the scope policy: ${Object.keys(rest).join(', ')}`);
  if (unlistedScopes !== 'allow' && unlistedScopes !== 'deny') throw new InvalidScopePolicyError('unlistedScopes must be "allow" or "deny"');
  if (!Array.isArray(rules)) throw new InvalidScopePolicyError('the scope policy needs "rules": an array');
  return {
    unlistedScopes,
    rules: rules.map((rule, index) => {
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new InvalidScopePolicyError(`rule ${index} must be an object`);
      const { clients, groups, scopes, ...extra } = rule as Record<string, unknown>;
      if (Object.keys(extra).length > 0) throw new InvalidScopePolicyError(`rule ${index} has unknown members: ${Object.keys(extra).join(', ')}`);
      if (!isStringList(clients) || clients.length === 0) throw new InvalidScopePolicyError(`rule ${index}: "clients" must be a non-empty array of client ids or "*"`);
      if (!isStringList(groups) || groups.length === 0) throw new InvalidScopePolicyError(`rule ${index}: "groups" must be a non-empty array of group DNs or "*"`);
      if (!isStringList(scopes) || scopes.length === 0) throw new InvalidScopePolicyError(`rule ${index}: "scopes" must be a non-empty array of scopes`);
      for (const group of groups) {
        if (group !== '*' && !/^[^=,]+=[^,]*/.test(group)) throw new InvalidScopePolicyError(`rule ${index}: "${group}" is not a full group DN`);
      }
      return { clients, groups: groups.map((group) => (group === '*' ? '*' : normalizeDn(group))), scopes };
    }),
  };
}

/** The policy's verdict on requested scopes: what is granted, what is dropped (in the request's order). */
export function applyScopePolicy(policy: ScopePolicy, clientId: string, userGroups: readonly string[], requested: readonly string[]): { granted: string[]; dropped: string[] } {
  const member = new Set(userGroups.map(normalizeDn));
  const rules = policy.rules.filter((rule) => rule.clients.includes('*') || rule.clients.includes(clientId));
  const named = new Set(rules.flatMap((rule) => rule.scopes));
  const allowed = new Set(
    rules
      .filter((rule) => rule.groups.some((group) => group === '*' || member.has(group)))
      .flatMap((rule) => rule.scopes),
  );
  const granted: string[] = [];
  const dropped: string[] = [];
  for (const scope of requested) {
    if (allowed.has(scope) || (!named.has(scope) && policy.unlistedScopes === 'allow')) granted.push(scope);
    else dropped.push(scope);
  }
  return { granted, dropped };
}

/** The user's groups that the policy names (what a session needs to keep to apply it later; never the rest). */
export function groupsNamedByPolicy(policy: ScopePolicy, userGroups: readonly string[]): string[] {
  const named = new Set(policy.rules.flatMap((rule) => rule.groups.filter((group) => group !== '*')));
  return userGroups.filter((group) => named.has(normalizeDn(group)));
}

/** Every scope the policy lets this user have with this client (diagnostics); scopes no rule names depend on `unlistedScopes`. */
export function scopesAllowedByPolicy(policy: ScopePolicy, clientId: string, userGroups: readonly string[]): string[] {
  const member = new Set(userGroups.map(normalizeDn));
  return [
    ...new Set(
      policy.rules
        .filter((rule) => rule.clients.includes('*') || rule.clients.includes(clientId))
        .filter((rule) => rule.groups.some((group) => group === '*' || member.has(group)))
        .flatMap((rule) => rule.scopes),
    ),
  ];
}
