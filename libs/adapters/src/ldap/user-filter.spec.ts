import { AndFilter, BerReader, BerWriter, EqualityFilter, type Filter, FilterParser, OrFilter, SubstringFilter } from 'ldapts';
import { HOSTILE_USERNAMES } from '../directory/directory.contract';
import { compileUserFilter, DEFAULT_USER_FILTER, InvalidUserFilterError } from './user-filter';

/** What the server receives: the filter encoded as BER and decoded again. */
function onTheWire(filter: Filter): Filter {
  const writer = new BerWriter();
  filter.write(writer);
  return FilterParser.parse(new BerReader(writer.buffer));
}

describe('compileUserFilter', () => {
  const build = compileUserFilter(DEFAULT_USER_FILTER);

  it('puts the username into the uid assertion of the default template', () => {
    expect(build('alice').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=alice))');
  });

  it.each(HOSTILE_USERNAMES)('keeps %j a literal uid value: same shape, one equality assertion, escaped in text', (username) => {
    for (const filter of [build(username), onTheWire(build(username))]) {
      expect(filter).toBeInstanceOf(AndFilter);
      const [objectClass, uid] = (filter as AndFilter).filters;
      expect((filter as AndFilter).filters).toHaveLength(2);
      // (ldapts' BER decoder lower-cases attribute names, and objectClass values, as a server would see them.)
      expect(objectClass).toBeInstanceOf(EqualityFilter);
      expect((objectClass as EqualityFilter).attribute.toLowerCase()).toBe('objectclass');
      expect(String((objectClass as EqualityFilter).value).toLowerCase()).toBe('inetorgperson');
      expect(uid).toBeInstanceOf(EqualityFilter);
      expect((uid as EqualityFilter).attribute).toBe('uid');
      expect(String((uid as EqualityFilter).value)).toBe(username);
    }
  });

  it('shows the RFC 4515 escapes in the text form', () => {
    expect(build('*').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=\\2a))');
    expect(build(')(').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=\\29\\28))');
    expect(build('\\00').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=\\5c00))');
    expect(build('\u0000').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=\\00))');
    expect(build('admin)(|(uid=*').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=admin\\29\\28|\\28uid=\\2a))');
  });

  it('keeps non-ASCII usernames intact on the wire', () => {
    const uid = (onTheWire(build('jürgen')) as AndFilter).filters[1] as EqualityFilter;
    expect(uid.value).toBe('jürgen');
  });

  it('substitutes every placeholder, also in substring assertions, as literal text', () => {
    const filter = compileUserFilter('(|(uid={username})(mail={username}@*))')('a*b');
    expect(filter).toBeInstanceOf(OrFilter);
    const [uid, mail] = (filter as OrFilter).filters;
    expect(uid).toEqual(new EqualityFilter({ attribute: 'uid', value: 'a*b' }));
    expect(mail).toBeInstanceOf(SubstringFilter);
    expect((mail as SubstringFilter).initial).toBe('a*b@');
    expect(filter.toString()).toBe('(|(uid=a\\2ab)(mail=a\\2ab@*))');
  });

  it('builds a fresh filter each time (the template is never mutated)', () => {
    build('bob');
    expect(build('alice').toString()).toBe('(&(objectClass=inetOrgPerson)(uid=alice))');
  });

  it('refuses templates without the placeholder, with it outside a value, or unparsable', () => {
    expect(() => compileUserFilter('(uid=alice)')).toThrow(InvalidUserFilterError);
    expect(() => compileUserFilter('({username}=alice)')).toThrow(/only stand in an assertion value/);
    expect(() => compileUserFilter('(&(uid={username})')).toThrow(/balanced parentheses/);
    expect(() => compileUserFilter('(&(uid={username})(cn=a\\zz))')).toThrow(/not a valid RFC 4515 filter/);
    expect(() => compileUserFilter('(&(objectClass=person)(uid={username}')).toThrow(InvalidUserFilterError);
    expect(() => compileUserFilter('(uid={username}))')).toThrow(InvalidUserFilterError);
    expect(() => compileUserFilter('uid={username}')).toThrow(/parenthes/);
    expect(() => compileUserFilter('(uid={username})(uid=*)')).toThrow(/parenthes/);
    expect(() => compileUserFilter('(uid=*)')).toThrow(InvalidUserFilterError);
  });
});
