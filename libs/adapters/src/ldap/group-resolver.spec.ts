import { type Filter } from 'ldapts';
import { escapeDnValue, normalizeDn, parseDn } from '@authz/oauth';
import { type GroupOptions, resolveGroups } from './group-resolver';
import { CircuitBreaker } from './ldap-pool';

describe('DNs (RFC 4514)', () => {
  it('escapes the special characters of an attribute value', () => {
    expect(escapeDnValue('a,b+c"d\\e<f>g;h=i')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    expect(escapeDnValue(' #lead trail ')).toBe('\\ #lead trail\\ ');
    expect(escapeDnValue('#x')).toBe('\\#x');
    expect(escapeDnValue('nul\u0000')).toBe('nul\\00');
    expect(escapeDnValue('admin)(|(uid=*')).toBe('admin)(|(uid\\=*');
  });

  it('parses escapes, multi-valued RDNs and hex pairs', () => {
    expect(parseDn('cn=Smith\\, John+uid=js,ou=people,dc=example,dc=org')).toEqual([
      [
        ['cn', 'Smith, John'],
        ['uid', 'js'],
      ],
      [['ou', 'people']],
      [['dc', 'example']],
      [['dc', 'org']],
    ]);
    expect(parseDn('cn=caf\\C3\\A9,dc=x')).toEqual([[['cn', 'café']], [['dc', 'x']]]);
  });

  it('normalizes for comparison: case, spaces, escapes; never by the first RDN alone', () => {
    expect(normalizeDn('CN=Admins, OU=Groups ,DC=Example,DC=org')).toBe('cn=admins,ou=groups,dc=example,dc=org');
    expect(normalizeDn('cn=a\\2cb,dc=x')).toBe(normalizeDn('cn=a\\,b,dc=x'));
    expect(normalizeDn('cn=admins,ou=groups,dc=example,dc=org')).not.toBe(normalizeDn('cn=admins,ou=other,dc=example,dc=org'));
    expect(normalizeDn('uid=b+cn=a,dc=x')).toBe(normalizeDn('cn=a+uid=b,dc=x'));
  });
});

/** A directory in memory: DN → memberOf, and groups with members. */
function graph(memberOf: Record<string, string[]>) {
  const searches: string[] = [];
  const search = async (base: string, scope: 'base' | 'sub', filter: Filter) => {
    searches.push(`${scope}:${base}:${filter.toString()}`);
    if (scope === 'base') return [{ dn: base, values: () => memberOf[base] ?? [] }];
    const member = /member=([^)]*)\)/.exec(filter.toString())?.[1];
    return Object.entries(memberOf)
      .filter(([dn]) => dn.startsWith('cn='))
      .flatMap(([group]) => Object.entries(memberOf).filter(([dn, groups]) => dn === member && groups.includes(group)).map(() => group))
      .map((dn) => ({ dn, values: () => [] }));
  };
  return { search, searches };
}

const options: GroupOptions = {
  mode: 'memberOf',
  baseDn: 'ou=groups,dc=x',
  objectFilter: '(objectClass=groupOfNames)',
  memberAttribute: 'member',
  memberOfAttribute: 'memberOf',
  maxDepth: 5,
};

describe('resolveGroups', () => {
  const user = 'uid=u,dc=x';
  const nested = {
    [user]: ['cn=a,dc=x'],
    'cn=a,dc=x': ['cn=b,dc=x'],
    'cn=b,dc=x': ['cn=c,dc=x', 'CN=A,DC=X'],
    'cn=c,dc=x': ['cn=a,dc=x', 'cn=d,dc=x'],
    'cn=d,dc=x': [],
  };

  it('follows memberOf breadth first, with each group path, stopping at cycles', async () => {
    const { search } = graph(nested);
    expect(await resolveGroups(user, nested[user], options, search)).toEqual([
      { dn: 'cn=a,dc=x', path: ['cn=a,dc=x'] },
      { dn: 'cn=b,dc=x', path: ['cn=a,dc=x', 'cn=b,dc=x'] },
      { dn: 'cn=c,dc=x', path: ['cn=a,dc=x', 'cn=b,dc=x', 'cn=c,dc=x'] },
      { dn: 'cn=d,dc=x', path: ['cn=a,dc=x', 'cn=b,dc=x', 'cn=c,dc=x', 'cn=d,dc=x'] },
    ]);
  });

  it('stops at the depth limit (0: direct groups only)', async () => {
    expect((await resolveGroups(user, nested[user], { ...options, maxDepth: 1 }, graph(nested).search)).map((group) => group.dn)).toEqual(['cn=a,dc=x', 'cn=b,dc=x']);
    const direct = graph(nested);
    expect(await resolveGroups(user, nested[user], { ...options, maxDepth: 0 }, direct.search)).toEqual([{ dn: 'cn=a,dc=x', path: ['cn=a,dc=x'] }]);
    expect(direct.searches).toEqual([]);
  });

  it('searches groups by member with the DN as an escaped assertion value', async () => {
    const hostile = 'uid=x\\29\\28|(uid=*,dc=x';
    const searches: string[] = [];
    const groups = await resolveGroups(hostile, [], { ...options, mode: 'search', maxDepth: 3 }, async (_base, _scope, filter) => {
      searches.push(filter.toString());
      return searches.length === 1 ? [{ dn: 'cn=a,dc=x', values: () => [] }] : [];
    });
    expect(groups).toEqual([{ dn: 'cn=a,dc=x', path: ['cn=a,dc=x'] }]);
    expect(searches).toEqual([
      '(&(objectClass=groupOfNames)(member=uid=x\\5c29\\5c28|\\28uid=\\2a,dc=x))',
      '(&(objectClass=groupOfNames)(member=cn=a,dc=x))',
    ]);
  });

  it('asks AD for the whole chain in one search with LDAP_MATCHING_RULE_IN_CHAIN', async () => {
    const searches: string[] = [];
    const groups = await resolveGroups('cn=u*,dc=x', [], { ...options, mode: 'in_chain' }, async (_base, _scope, filter) => {
      searches.push(filter.toString());
      return [{ dn: 'cn=g,dc=x', values: () => [] }];
    });
    expect(groups).toEqual([{ dn: 'cn=g,dc=x', path: ['cn=g,dc=x'] }]);
    expect(searches).toEqual(['(&(objectClass=groupOfNames)(member:1.2.840.113556.1.4.1941:=cn=u\\2a,dc=x))']);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, half-opens after openMs for one trial, closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(2, 1000, () => now);
    breaker.failure();
    expect(breaker.allows()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allows()).toBe(false);
    now = 1000;
    expect(breaker.state).toBe('half_open');
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(false); // one trial at a time
    breaker.failure();
    expect(breaker.state).toBe('open');
    now = 2000;
    expect(breaker.allows()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('closed');
  });
});
