import { randomBytes } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { adminGroupDn, DEVELOPMENT_SESSION_KEY, SESSION_MAX_GROUP_CHARS, SESSION_MAX_GROUPS, SessionCodec, sessionGroups } from './session';

const ISSUER = 'https://issuer.test';
const NOW = 1_800_000_000;
const key = () => randomBytes(32).toString('base64url');
const alice = { subject: 'alice', username: 'alice', authTime: NOW - 5 };

describe('SessionCodec (the login session cookie: JWE dir + A256GCM)', () => {
  it('seals who logged in and when, and opens it on any replica with the same keys', async () => {
    const keys = [key()];
    const cookie = await new SessionCodec(keys, 600, ISSUER).seal(alice, NOW);
    expect(cookie.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(cookie)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) });
    expect(await new SessionCodec(keys, 600, ISSUER).open(cookie, NOW + 599)).toEqual(alice);
  });

  it('hides its content: the payload is encrypted, not merely signed', async () => {
    const cookie = await new SessionCodec([key()], 600, ISSUER).seal(alice, NOW);
    expect(Buffer.from(cookie.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('alice');
    await expect(compactDecrypt(cookie, new Uint8Array(32))).rejects.toThrow();
  });

  it('refuses an expired, tampered, foreign or malformed cookie', async () => {
    const shared = key();
    const codec = new SessionCodec([shared], 600, ISSUER);
    const cookie = await codec.seal(alice, NOW);
    expect(await codec.open(cookie, NOW + 601)).toBeUndefined();
    const parts = cookie.split('.');
    parts[3] = Buffer.from(Buffer.from(parts[3]!, 'base64url').map((byte, index) => (index === 0 ? byte ^ 1 : byte))).toString('base64url');
    expect(await codec.open(parts.join('.'), NOW)).toBeUndefined();
    expect(await new SessionCodec([key()], 600, ISSUER).open(cookie, NOW)).toBeUndefined();
    expect(await new SessionCodec([shared], 600, 'https://other.test').open(cookie, NOW)).toBeUndefined();
    for (const garbage of [undefined, '', 'x', 'a.b.c.d.e', 'x'.repeat(5000)]) expect(await codec.open(garbage, NOW)).toBeUndefined();
  });

  it('rotates: the first key seals, every key opens', async () => {
    const [oldKey, newKey] = [key(), key()];
    const before = await new SessionCodec([oldKey], 600, ISSUER).seal(alice, NOW);
    const rotated = new SessionCodec([newKey, oldKey], 600, ISSUER);
    expect(await rotated.open(before, NOW)).toEqual(alice);
    const after = await rotated.seal(alice, NOW);
    expect(await new SessionCodec([newKey], 600, ISSUER).open(after, NOW)).toEqual(alice);
    expect(await new SessionCodec([oldKey], 600, ISSUER).open(after, NOW)).toBeUndefined();
  });

  it('takes its keys from SESSION_KEYS, else a random key (embedded) or, for a loopback issuer only, the development key', async () => {
    const keys = [key(), key()];
    const configured = SessionCodec.fromSettings({ SESSION_KEYS: keys.join(','), SESSION_TTL: 60, MODE: 'distributed', ISSUER });
    expect(await new SessionCodec([keys[0]!], 60, ISSUER).open(await configured.seal(alice, NOW), NOW)).toEqual(alice);
    const LOCAL = 'http://localhost:8080';
    const development = SessionCodec.fromSettings({ SESSION_TTL: 60, MODE: 'distributed', ISSUER: LOCAL });
    expect(await new SessionCodec([DEVELOPMENT_SESSION_KEY], 60, LOCAL).open(await development.seal(alice, NOW), NOW)).toEqual(alice);
    // Anywhere else the published development key would let anyone forge a session: refuse to start.
    for (const issuer of [ISSUER, 'http://auth.internal:8080', 'https://127.0.0.1.nip.io']) {
      expect(() => SessionCodec.fromSettings({ SESSION_TTL: 60, MODE: 'distributed', ISSUER: issuer })).toThrow(
        `SESSION_KEYS must be set for the issuer ${issuer}: without it, login sessions would be sealed with a published development key`,
      );
    }
    const embedded = SessionCodec.fromSettings({ SESSION_TTL: 60, MODE: 'embedded', ISSUER });
    expect(await new SessionCodec([DEVELOPMENT_SESSION_KEY], 60, ISSUER).open(await embedded.seal(alice, NOW), NOW)).toBeUndefined();
    expect(() => new SessionCodec(['short'], 60, ISSUER)).toThrow('a session key is 32 bytes, base64url-encoded');
  });
});


describe('the session’s groups (the dashboard’s admin check)', () => {
  const ADMINS = 'cn=admins,ou=groups,dc=example,dc=org';

  it('carries the group DNs the login kept; openSession gives them as a list (empty without)', async () => {
    const codec = new SessionCodec([key()], 600, ISSUER);
    const groups = [ADMINS, 'cn=developers,ou=groups,dc=example,dc=org'];
    const cookie = await codec.seal({ ...alice, groups }, NOW);
    expect(await codec.open(cookie, NOW)).toEqual({ ...alice, groups });
    expect(await codec.openSession(cookie, NOW)).toEqual({ user: { ...alice, groups }, groups });
    expect(await codec.openSession(await codec.seal(alice, NOW), NOW)).toEqual({ user: alice, groups: [] });
  });

  it('caps them (count and characters), keeping the preferred group first; duplicates once', () => {
    const many = Array.from({ length: 40 }, (_, index) => `cn=group-${index},ou=groups,dc=example,dc=org`);
    const kept = sessionGroups([...many, 'CN=Admins, OU=groups, DC=example, DC=org'], [ADMINS]);
    expect(kept).toHaveLength(SESSION_MAX_GROUPS);
    expect(kept[0]).toBe('CN=Admins, OU=groups, DC=example, DC=org');
    expect(kept.slice(1)).toEqual(many.slice(0, SESSION_MAX_GROUPS - 1));
    const long = ['x'.repeat(SESSION_MAX_GROUP_CHARS - 10), 'cn=too-long-now', 'cn=a'];
    expect(sessionGroups(long)).toEqual([long[0], 'cn=a']);
    expect(sessionGroups(['cn=a', 'cn=a'])).toEqual(['cn=a']);
  });

  it('takes the admin group from ADMIN_GROUP_DN, else from the directory’s suffix', () => {
    expect(adminGroupDn({ ADMIN_GROUP_DN: 'cn=ops,ou=teams,o=corp', LDAP_BASE_DN: 'ou=people,dc=example,dc=org' })).toBe('cn=ops,ou=teams,o=corp');
    expect(adminGroupDn({ LDAP_BASE_DN: 'ou=people,dc=example,dc=org' })).toBe(ADMINS);
    expect(adminGroupDn({ LDAP_BASE_DN: 'dc=example,dc=org' })).toBe(ADMINS);
    expect(adminGroupDn({ LDAP_BASE_DN: 'ou=staff,ou=people,o=corp' })).toBe('cn=admins,ou=groups,o=corp');
  });
});
