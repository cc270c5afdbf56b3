import { normalizeDn } from '@authz/oauth';
import { type ResolvedGroup } from '@authz/ports';
import { AndFilter, EqualityFilter, ExtensibleFilter, type Filter, FilterParser } from 'ldapts';

/**
 * How a user's groups are found:
 * - `memberOf`: the user's `memberOf` values (OpenLDAP memberof overlay, AD), nested groups by each group's own `memberOf`;
 * - `search`: a search for groups whose member attribute holds the user's DN (then each group's DN, for nesting);
 * - `in_chain`: AD's LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941): one search gives every group, nested included
 *   (the server walks the chain; the path is not known).
 */
export type GroupMode = 'memberOf' | 'search' | 'in_chain';

export type GroupOptions = {
  mode: GroupMode;
  /** Base of group searches (`search`, `in_chain`). */
  baseDn: string;
  /** Object class filter of groups for `search`/`in_chain`, e.g. `(objectClass=groupOfNames)`. */
  objectFilter: string;
  /** The attribute of a group listing its members' DNs (`member`). */
  memberAttribute: string;
  /** The attribute of an entry listing the groups it is a member of (`memberOf`). */
  memberOfAttribute: string;
  /** Nesting levels followed beyond the direct groups (0: direct groups only). */
  maxDepth: number;
};

export const LDAP_MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

/** One search: base, scope, filter, attributes → entries (dn + attribute values). */
export type GroupSearch = (base: string, scope: 'base' | 'sub', filter: Filter, attributes: string[]) => Promise<Array<{ dn: string; values: (attribute: string) => string[] }>>;

/**
 * The user's groups, direct and nested, each with its path (direct group first). Breadth first, so each
 * group's path is a shortest one; a group seen before (a cycle, or a second path) is not expanded again;
 * nesting stops at `maxDepth`. Groups are identified by their full normalized DN, never their first RDN.
 */
export async function resolveGroups(userDn: string, directGroups: string[], options: GroupOptions, search: GroupSearch): Promise<ResolvedGroup[]> {
  const objectFilter = FilterParser.parseString(options.objectFilter);
  if (options.mode === 'in_chain') {
    const filter = new AndFilter({
      filters: [objectFilter, new ExtensibleFilter({ matchType: options.memberAttribute, rule: LDAP_MATCHING_RULE_IN_CHAIN, value: userDn })],
    });
    const entries = await search(options.baseDn, 'sub', filter, ['1.1']);
    return uniqueByDn(entries.map((entry) => ({ dn: entry.dn, path: [entry.dn] })));
  }

  const parentsOf = async (dn: string): Promise<string[]> => {
    if (options.mode === 'memberOf') {
      const entries = await search(dn, 'base', FilterParser.parseString('(objectClass=*)'), [options.memberOfAttribute]);
      return entries[0]?.values(options.memberOfAttribute) ?? [];
    }
    const filter = new AndFilter({ filters: [objectFilter, new EqualityFilter({ attribute: options.memberAttribute, value: dn })] });
    return (await search(options.baseDn, 'sub', filter, ['1.1'])).map((entry) => entry.dn);
  };

  const direct = options.mode === 'memberOf' ? directGroups : await parentsOf(userDn);
  const seen = new Map<string, ResolvedGroup>();
  let frontier: ResolvedGroup[] = [];
  for (const dn of direct) {
    const key = normalizeDn(dn);
    if (seen.has(key)) continue;
    const group = { dn, path: [dn] };
    seen.set(key, group);
    frontier.push(group);
  }
  seen.set(normalizeDn(userDn), { dn: userDn, path: [] });
  for (let depth = 1; depth <= options.maxDepth && frontier.length > 0; depth += 1) {
    const next: ResolvedGroup[] = [];
    for (const group of frontier) {
      for (const parent of await parentsOf(group.dn)) {
        const key = normalizeDn(parent);
        if (seen.has(key)) continue; // a cycle, or a group already reached by a path as short
        const resolved = { dn: parent, path: [...group.path, parent] };
        seen.set(key, resolved);
        next.push(resolved);
      }
    }
    frontier = next;
  }
  seen.delete(normalizeDn(userDn));
  return [...seen.values()];
}

function uniqueByDn(groups: ResolvedGroup[]): ResolvedGroup[] {
  const seen = new Map<string, ResolvedGroup>();
  for (const group of groups) if (!seen.has(normalizeDn(group.dn))) seen.set(normalizeDn(group.dn), group);
  return [...seen.values()];
}

