import { applyScopePolicy, groupsNamedByPolicy, InvalidScopePolicyError, parseScopePolicy, scopesAllowedByPolicy } from './scope-policy';

const ADMINS = 'cn=admins,ou=groups,dc=example,dc=org';
const DEVELOPERS = 'cn=developers,ou=groups,dc=example,dc=org';

const policy = parseScopePolicy({
  rules: [
    { clients: ['*'], groups: ['*'], scopes: ['openid', 'profile', 'api:read'] },
    { clients: ['web-app'], groups: [DEVELOPERS], scopes: ['api:write'] },
    { clients: ['*'], groups: ['CN=Admins, OU=Groups, DC=example, DC=org'], scopes: ['admin'] },
  ],
});

describe('the group → scope policy', () => {
  it('grants what a rule for the client gives one of the user groups, and drops the rest (not an error)', () => {
    expect(applyScopePolicy(policy, 'web-app', [DEVELOPERS], ['openid', 'api:write', 'admin'])).toEqual({ granted: ['openid', 'api:write'], dropped: ['admin'] });
    expect(applyScopePolicy(policy, 'web-app', [], ['api:write', 'api:read'])).toEqual({ granted: ['api:read'], dropped: ['api:write'] });
    // api:write is governed for web-app only: another client is not affected by that rule.
    expect(applyScopePolicy(policy, 'other-app', [], ['api:write', 'api:read'])).toEqual({ granted: ['api:write', 'api:read'], dropped: [] });
    expect(applyScopePolicy(policy, 'other-app', [ADMINS], ['admin'])).toEqual({ granted: ['admin'], dropped: [] });
    expect(applyScopePolicy(policy, 'web-app', [], ['profile'])).toEqual({ granted: ['profile'], dropped: [] });
  });

  it('matches groups by the full DN in canonical form, never by the first RDN', () => {
    expect(applyScopePolicy(policy, 'x', ['cn=admins,ou=GROUPS,dc=Example,dc=org'], ['admin']).granted).toEqual(['admin']);
    expect(applyScopePolicy(policy, 'x', ['cn=admins,ou=partners,dc=example,dc=org'], ['admin']).granted).toEqual([]);
    expect(applyScopePolicy(policy, 'x', ['cn=admins'], ['admin']).granted).toEqual([]);
  });

  it('lets scopes no rule names through, unless unlistedScopes is "deny"', () => {
    expect(applyScopePolicy(policy, 'x', [], ['billing'])).toEqual({ granted: ['billing'], dropped: [] });
    const strict = parseScopePolicy({ rules: [{ clients: ['*'], groups: ['*'], scopes: ['openid'] }], unlistedScopes: 'deny' });
    expect(applyScopePolicy(strict, 'x', [], ['openid', 'billing'])).toEqual({ granted: ['openid'], dropped: ['billing'] });
  });

  it('keeps only the groups it names (for the session) and lists what a user may have (diagnostics)', () => {
    expect(groupsNamedByPolicy(policy, [DEVELOPERS, 'cn=other,dc=x', ADMINS])).toEqual([DEVELOPERS, ADMINS]);
    expect(scopesAllowedByPolicy(policy, 'web-app', [DEVELOPERS])).toEqual(['openid', 'profile', 'api:read', 'api:write']);
    expect(scopesAllowedByPolicy(policy, 'other', [ADMINS])).toEqual(['openid', 'profile', 'api:read', 'admin']);
  });

  it.each([
    [null, /JSON object/],
    [{ rules: {} }, /rules/],
    [{ rules: [], extra: 1 }, /unknown members/],
    [{ rules: [{ clients: ['*'], groups: ['admins'], scopes: ['a'] }] }, /full group DN/],
    [{ rules: [{ clients: [], groups: ['*'], scopes: ['a'] }] }, /clients/],
    [{ rules: [{ clients: ['*'], groups: ['*'], scopes: [] }] }, /scopes/],
    [{ rules: [{ clients: ['*'], groups: ['*'], scopes: ['a'], group: 'x' }] }, /unknown members/],
    [{ rules: [], unlistedScopes: 'maybe' }, /unlistedScopes/],
  ])('refuses a malformed policy %j', (json, message) => {
    expect(() => parseScopePolicy(json)).toThrow(InvalidScopePolicyError);
    expect(() => parseScopePolicy(json)).toThrow(message);
  });
});
