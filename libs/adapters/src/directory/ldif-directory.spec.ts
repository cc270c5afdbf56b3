import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryUnavailableError, type Logger } from '@authz/ports';
import { ALICE, describeDirectoryContract, sortedGroups } from './directory.contract';
import { LdifDirectory } from './ldif-directory';
import { hashSaltedSha } from './ssha';

const SEED = join(__dirname, '..', '..', '..', '..', 'deploy', 'seed', 'users.ldif');

describeDirectoryContract('LdifDirectory (deploy/seed/users.ldif)', () => LdifDirectory.fromFile(SEED));

type Line = { level: string; obj: object; msg?: string };

function recordingLogger(lines: Line[] = []): Logger & { lines: Line[] } {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: Logger & { lines: Line[] } = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

const person = (uid: string, password: string, extra = ''): string =>
  [`dn: uid=${uid},ou=people,dc=example,dc=org`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, `sn: ${uid}`, `userPassword: ${password}`, extra]
    .filter(Boolean)
    .join('\n');

describe('LdifDirectory', () => {
  it('loads the seed file as the same text the local OpenLDAP gets (people and groups)', () => {
    const seed = readFileSync(SEED, 'utf8');
    const ldap = readFileSync(join(__dirname, '..', '..', '..', '..', 'deploy', 'local', 'ldap', 'seed.ldif'), 'utf8');
    const entries = (text: string) => text.split(/\n\s*\n/).filter((block) => /^dn: [^,]+,ou=(people|groups),/m.test(block)).map((block) => block.replace(/^#.*\n/gm, '').trim());
    expect(entries(seed)).toEqual(entries(ldap));
    expect(entries(seed)).toHaveLength(6);
  });

  it('accepts {SSHA256} and {SSHA512} values and every one of several userPassword values', async () => {
    const directory = new LdifDirectory({
      ldif: [
        person('dave', hashSaltedSha('dave-password', 'SSHA256')),
        '',
        person('erin', hashSaltedSha('erin-password', 'SSHA512'), `userPassword: ${hashSaltedSha('erin-second', 'SSHA')}`),
      ].join('\n'),
    });
    expect(await directory.authenticate('dave', 'dave-password')).toMatchObject({ outcome: 'authenticated', user: { subject: 'dave' } });
    expect(await directory.authenticate('erin', 'erin-password')).toMatchObject({ outcome: 'authenticated' });
    expect(await directory.authenticate('erin', 'erin-second')).toMatchObject({ outcome: 'authenticated' });
    expect(await directory.authenticate('erin', 'dave-password')).toEqual({ outcome: 'invalid_credentials' });
  });

  it('refuses plaintext passwords unless allowPlaintextPasswords, and warns without showing them', async () => {
    const ldif = [person('frank', 'frank-clear'), '', person('grace', '{CLEARTEXT}grace-clear')].join('\n');
    const logger = recordingLogger();
    const strict = new LdifDirectory({ ldif, logger });
    expect(await strict.authenticate('frank', 'frank-clear')).toEqual({ outcome: 'invalid_credentials' });
    expect(await strict.authenticate('grace', 'grace-clear')).toEqual({ outcome: 'invalid_credentials' });
    expect(await strict.authenticate('grace', '{CLEARTEXT}grace-clear')).toEqual({ outcome: 'invalid_credentials' });
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(2);
    expect(JSON.stringify(logger.lines)).not.toMatch(/clear/);

    const lax = new LdifDirectory({ ldif, allowPlaintextPasswords: true, logger: recordingLogger() });
    expect(await lax.authenticate('frank', 'frank-clear')).toMatchObject({ outcome: 'authenticated', user: { subject: 'frank' } });
    expect(await lax.authenticate('grace', 'grace-clear')).toMatchObject({ outcome: 'authenticated', user: { subject: 'grace' } });
    expect(await lax.authenticate('grace', '{CLEARTEXT}grace-clear')).toEqual({ outcome: 'invalid_credentials' });
    expect(await lax.authenticate('frank', '')).toEqual({ outcome: 'invalid_credentials' });
    expect(await lax.authenticate('frank', 'frank-clea')).toEqual({ outcome: 'invalid_credentials' });
  });

  it('never matches unsupported schemes ({CRYPT}, {SHA}, malformed {SSHA}) and says so at load', async () => {
    const logger = recordingLogger();
    const directory = new LdifDirectory({
      ldif: [person('hank', '{CRYPT}$6$abc$def'), '', person('ivan', '{SSHA}not base64!'), '', person('judy', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=')].join('\n'),
      logger,
    });
    expect(await directory.authenticate('hank', '$6$abc$def')).toEqual({ outcome: 'invalid_credentials' });
    expect(await directory.authenticate('ivan', 'not base64!')).toEqual({ outcome: 'invalid_credentials' });
    expect(await directory.authenticate('judy', 'secret')).toEqual({ outcome: 'invalid_credentials' });
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.obj)).toEqual([
      { dn: 'uid=hank,ou=people,dc=example,dc=org', scheme: 'CRYPT' },
      { dn: 'uid=ivan,ou=people,dc=example,dc=org', scheme: 'SSHA' },
      { dn: 'uid=judy,ou=people,dc=example,dc=org', scheme: 'SHA' },
    ]);
  });

  it('treats two people with one uid as nobody (ambiguous) and warns', async () => {
    const logger = recordingLogger();
    const directory = new LdifDirectory({
      ldif: [person('kim', hashSaltedSha('kim-password')), '', person('kim', hashSaltedSha('kim-password')).replace('ou=people', 'ou=staff')].join('\n'),
      logger,
    });
    expect(await directory.findUser('kim')).toBeNull();
    expect(await directory.authenticate('kim', 'kim-password')).toEqual({ outcome: 'invalid_credentials' });
    expect(logger.lines.some((line) => line.level === 'warn' && /more than one/.test(line.msg ?? ''))).toBe(true);
  });

  it('computes groups from groupOfNames members whatever the DN spacing and case, and ignores other objects', async () => {
    const directory = new LdifDirectory({
      ldif: [
        person('lee', hashSaltedSha('lee-password')),
        '',
        'dn: cn=ops,ou=groups,dc=example,dc=org',
        'objectClass: groupOfNames',
        'cn: ops',
        'member: UID=Lee, OU=People, DC=Example, DC=Org',
        '',
        'dn: cn=not-a-group,ou=groups,dc=example,dc=org',
        'objectClass: organizationalRole',
        'roleOccupant: uid=lee,ou=people,dc=example,dc=org',
        '',
        'dn: cn=service,ou=services,dc=example,dc=org',
        'objectClass: simpleSecurityObject',
        'objectClass: organizationalRole',
        'cn: service',
        `userPassword: ${hashSaltedSha('service-password')}`,
      ].join('\n'),
    });
    expect((await directory.findUser('lee'))?.groups).toEqual(['cn=ops,ou=groups,dc=example,dc=org']);
    expect(await directory.authenticate('service', 'service-password')).toEqual({ outcome: 'invalid_credentials' });
  });

  it('rejects a file with the same DN twice', () => {
    const entry = person('max', hashSaltedSha('x'));
    expect(() => new LdifDirectory({ ldif: `${entry}\n\n${entry}` })).toThrow(/duplicate entry uid=max/);
  });

  it('reads the file given as path at construction, like fromFile', async () => {
    const directory = new LdifDirectory({ path: SEED });
    expect(sortedGroups(await directory.findUser('alice'))).toEqual(ALICE);
  });

  it('fails loudly on a missing file or bad LDIF, naming the file', async () => {
    await expect(LdifDirectory.fromFile('/nonexistent/users.ldif')).rejects.toThrow(/ENOENT/);
    expect(() => new LdifDirectory({ path: '/nonexistent/users.ldif' })).toThrow(/ENOENT/);
    expect(() => new LdifDirectory({ ldif: 'dn: cn=x\nbroken', source: 'users.ldif' })).toThrow('LDIF directory users.ldif: LDIF line 2: expected "attribute: value"');
  });

  it('answers ping until closed', async () => {
    const directory = await LdifDirectory.fromFile(SEED);
    await expect(directory.ping()).resolves.toBeUndefined();
    await directory.close();
    await expect(directory.ping()).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('keeps the seed profile of alice in file order (developers, then admins)', async () => {
    const directory = await LdifDirectory.fromFile(SEED);
    expect((await directory.findUser('alice'))?.groups).toEqual([ALICE.groups[1], ALICE.groups[0]]);
  });
});
