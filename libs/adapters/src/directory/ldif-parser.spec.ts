import { LdifSyntaxError, ldifValues, parseLdif } from './ldif-parser';

const values = (text: string) => parseLdif(text).map((record) => ({ dn: record.dn, attributes: Object.fromEntries(record.attributes) }));

describe('parseLdif', () => {
  it('reads records separated by blank lines, with multiple values and case-insensitive names', () => {
    const records = parseLdif(
      ['dn: uid=alice,ou=people,dc=example,dc=org', 'objectClass: top', 'objectClass: inetOrgPerson', 'uid: alice', '', '', 'dn: cn=g,dc=example,dc=org', 'Member: uid=alice', 'member: uid=bob', ''].join('\n'),
    );
    expect(records.map(({ dn, line }) => ({ dn, line }))).toEqual([
      { dn: 'uid=alice,ou=people,dc=example,dc=org', line: 1 },
      { dn: 'cn=g,dc=example,dc=org', line: 7 },
    ]);
    expect(ldifValues(records[0]!, 'OBJECTCLASS')).toEqual(['top', 'inetOrgPerson']);
    expect(ldifValues(records[1]!, 'member')).toEqual(['uid=alice', 'uid=bob']);
    expect(ldifValues(records[1]!, 'absent')).toEqual([]);
  });

  it('decodes base64 values (::), the DN included, as UTF-8', () => {
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    expect(values(`dn:: ${b64('uid=jürgen,dc=example,dc=org')}\ncn:: ${b64(' leading space')}\nuserPassword:: ${b64('{SSHA}abc')}\n`)).toEqual([
      { dn: 'uid=jürgen,dc=example,dc=org', attributes: { cn: [' leading space'], userpassword: ['{SSHA}abc'] } },
    ]);
  });

  it('unfolds continuation lines (one leading space), including inside base64 and comments', () => {
    const encoded = Buffer.from('Alice Anderson-Averylongname', 'utf8').toString('base64');
    const text = [
      '# a folded',
      '  comment line',
      'dn: uid=alice,ou=peo',
      ' ple,dc=example,dc=org',
      `displayName:: ${encoded.slice(0, 10)}`,
      ` ${encoded.slice(10)}`,
      'description: two',
      '  words',
    ].join('\n');
    expect(values(text)).toEqual([
      { dn: 'uid=alice,ou=people,dc=example,dc=org', attributes: { displayname: ['Alice Anderson-Averylongname'], description: ['two words'] } },
    ]);
  });

  it('skips comments and version: 1, accepts CRLF and a BOM', () => {
    const text = '\uFEFFversion: 1\r\n\r\n# comment\r\ndn: dc=example,dc=org\r\n# inside a record\r\ndc: example\r\n';
    expect(values(text)).toEqual([{ dn: 'dc=example,dc=org', attributes: { dc: ['example'] } }]);
    expect(values('version: 1\ndn: dc=example,dc=org\ndc: example')).toEqual([{ dn: 'dc=example,dc=org', attributes: { dc: ['example'] } }]);
  });

  it('keeps attribute options, empty values and the colons inside values', () => {
    expect(values('dn: cn=x\ncn;lang-en: X\ndescription:\nlabeledURI: https://example.org:8443/x')).toEqual([
      { dn: 'cn=x', attributes: { 'cn;lang-en': ['X'], description: [''], labeleduri: ['https://example.org:8443/x'] } },
    ]);
  });

  it('accepts changetype: add and refuses other change records', () => {
    expect(values('dn: cn=x\nchangetype: add\ncn: x')).toEqual([{ dn: 'cn=x', attributes: { cn: ['x'] } }]);
    expect(() => parseLdif('dn: cn=x\nchangetype: modify\nreplace: cn\ncn: y\n-')).toThrow(LdifSyntaxError);
  });

  it('reports syntax errors with their line', () => {
    expect(() => parseLdif('dn: cn=x\nnot a line')).toThrow('LDIF line 2: expected "attribute: value"');
    expect(() => parseLdif('cn: x\ndn: cn=x')).toThrow('LDIF line 1: a record must start with dn:');
    expect(() => parseLdif('dn: cn=x\ncn: x\ndn: cn=y')).toThrow(/LDIF line 3: a second dn:/);
    expect(() => parseLdif(' continued\ndn: cn=x')).toThrow('LDIF line 1: continuation line without a line to continue');
    expect(() => parseLdif('dn: cn=x\n\n continued')).toThrow(/LDIF line 3/);
    expect(() => parseLdif('dn: cn=x\njpegPhoto:< file:///etc/passwd')).toThrow(/URL values/);
    expect(() => parseLdif('dn: cn=x\ncn:: not*base64')).toThrow(/invalid base64/);
    expect(() => parseLdif('version: 2\n\ndn: cn=x')).toThrow(/unsupported LDIF version/);
  });

  it('returns nothing for an empty or comment-only file', () => {
    expect(parseLdif('')).toEqual([]);
    expect(parseLdif('# nothing\n\n# here\n')).toEqual([]);
  });
});
