import { Client } from 'ldapts';
import { type Logger } from '@authz/ports';
import { InvalidUserFilterError } from './user-filter';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory';

const options: LdapDirectoryOptions = {
  url: 'ldap://127.0.0.1:1',
  bindDn: 'cn=authz-service,ou=services,dc=example,dc=org',
  bindPassword: 'authz-service-password',
  baseDn: 'ou=people,dc=example,dc=org',
};

function warnings(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (_obj, msg) => void messages.push(msg ?? ''),
    error: (_obj, msg) => void messages.push(msg ?? ''),
    child: () => logger,
  };
  return { logger, messages };
}

describe('LdapDirectory (no server)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('refuses an empty password before any bind or connection', async () => {
    const bind = jest.spyOn(Client.prototype, 'bind');
    const search = jest.spyOn(Client.prototype, 'search');
    const directory = new LdapDirectory(options);
    expect(await directory.authenticate('alice', '')).toEqual({ outcome: 'invalid_credentials' });
    expect(bind).not.toHaveBeenCalled();
    expect(search).not.toHaveBeenCalled();
    await directory.close();
  });

  it('looks up no empty or oversized username', async () => {
    const search = jest.spyOn(Client.prototype, 'search');
    const directory = new LdapDirectory(options);
    expect(await directory.findUser('')).toBeNull();
    expect(await directory.findUser('a'.repeat(257))).toBeNull();
    expect(await directory.authenticate('', 'password')).toEqual({ outcome: 'invalid_credentials' });
    expect(search).not.toHaveBeenCalled();
    await directory.close();
  });

  it('validates its options at construction', () => {
    expect(() => new LdapDirectory({ ...options, url: 'http://127.0.0.1:389' })).toThrow(/ldap:\/\/ or ldaps:\/\//);
    expect(() => new LdapDirectory({ ...options, url: 'not a url' })).toThrow();
    expect(() => new LdapDirectory({ ...options, bindPassword: '' })).toThrow(/unauthenticated/);
    expect(() => new LdapDirectory({ ...options, bindDn: '' })).toThrow(/bindDn/);
    expect(() => new LdapDirectory({ ...options, baseDn: '' })).toThrow(/baseDn/);
    expect(() => new LdapDirectory({ ...options, userFilter: '(uid=alice)' })).toThrow(InvalidUserFilterError);
    expect(() => new LdapDirectory({ ...options, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new LdapDirectory({ ...options, connectTimeoutMs: -1 })).toThrow(/connectTimeoutMs/);
  });

  it('warns about clear-text LDAP to a remote host and about disabled certificate checks', () => {
    const plain = warnings();
    new LdapDirectory({ ...options, url: 'ldap://ldap.example.org', logger: plain.logger });
    expect(plain.messages).toEqual([expect.stringMatching(/unencrypted/)]);

    const local = warnings();
    new LdapDirectory({ ...options, logger: local.logger });
    expect(local.messages).toEqual([]);

    const ignoredTls = warnings();
    new LdapDirectory({ ...options, tls: { rejectUnauthorized: true }, logger: ignoredTls.logger });
    expect(ignoredTls.messages).toEqual([expect.stringMatching(/ignored for an ldap:\/\/ URL/)]);

    const insecure = warnings();
    new LdapDirectory({ ...options, url: 'ldaps://ldap.example.org', tls: { rejectUnauthorized: false }, logger: insecure.logger });
    expect(insecure.messages).toEqual([expect.stringMatching(/verification is OFF/)]);
  });
});
