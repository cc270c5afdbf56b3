import { hashSaltedSha, parseSaltedSha, passwordScheme, verifySaltedSha } from './ssha';

// Produced on this machine with OpenLDAP's slappasswd (2.5):
//   slappasswd -s secret -h '{SSHA}'
//   slappasswd -o module-path=/usr/lib/ldap -o module-load=pw-sha2 -s secret -h '{SSHA256}' (and '{SSHA512}')
//   slappasswd -s 'pässwörd' -h '{SSHA}'
const SLAPPASSWD = {
  SSHA: '{SSHA}vxkRb+bACRrl6twkGhSQRhZBc9joZwES',
  SSHA_SECOND: '{SSHA}oiAywK9IjzkvfzRgQKKZ/+hsNq2lVy0T',
  SSHA256: '{SSHA256}ecXmNB3g1wK1gpR/QyOzBKCzMkuaGWcKlw5E/yoopGSwHVMJBRhqRQ==',
  SSHA512: '{SSHA512}LVHhXHTcCSeZhPk3X5HSTr9YCqjk2Za6N5hkTc+wYenDmb0BDjQE2/37Jnvf4GCHqka+SjXw2A/gzOtqAvHkhhqwE1AJ+6Im',
  UTF8: '{SSHA}S2x67Sb2I3mZwgo2pQF/neQOYcJ1Tqmb',
};

describe('salted SHA passwords', () => {
  it.each(Object.entries(SLAPPASSWD).filter(([key]) => key !== 'UTF8'))('verifies the slappasswd %s hash of "secret"', (_scheme, stored) => {
    expect(verifySaltedSha('secret', stored)).toBe(true);
    expect(verifySaltedSha('Secret', stored)).toBe(false);
    expect(verifySaltedSha('secret ', stored)).toBe(false);
    expect(verifySaltedSha('', stored)).toBe(false);
  });

  it('hashes the password as UTF-8', () => {
    expect(verifySaltedSha('pässwörd', SLAPPASSWD.UTF8)).toBe(true);
    expect(verifySaltedSha('passwort', SLAPPASSWD.UTF8)).toBe(false);
  });

  it('verifies the demo users of deploy/local/ldap/seed.ldif', () => {
    expect(verifySaltedSha('alice-password', '{SSHA}zAi1s35paM2nqjPheGgH1wx+yP1yDi1w')).toBe(true);
    expect(verifySaltedSha('bob-password', '{SSHA}qoMJZ9DIaI7OMpOemIKT4IPozvqnH854')).toBe(true);
    expect(verifySaltedSha('carol-password', '{SSHA}Oho7L9HAs88iVJdO0O1KK9/WYTIVHAm+')).toBe(true);
    expect(verifySaltedSha('bob-password', '{SSHA}zAi1s35paM2nqjPheGgH1wx+yP1yDi1w')).toBe(false);
  });

  it('splits digest and salt (slappasswd uses 4 salt bytes)', () => {
    const parsed = parseSaltedSha(SLAPPASSWD.SSHA);
    expect(parsed?.scheme).toBe('SSHA');
    expect(parsed?.digest).toHaveLength(20);
    expect(parsed?.salt).toHaveLength(4);
    expect(parseSaltedSha(SLAPPASSWD.SSHA512)?.digest).toHaveLength(64);
  });

  it('reads the scheme case-insensitively', () => {
    expect(verifySaltedSha('secret', SLAPPASSWD.SSHA.replace('{SSHA}', '{ssha}'))).toBe(true);
    expect(passwordScheme('{ssha256}abc')).toBe('SSHA256');
    expect(passwordScheme('plain')).toBeNull();
  });

  it('round-trips its own hashes for every scheme, with a fresh salt each time', () => {
    for (const scheme of ['SSHA', 'SSHA256', 'SSHA512'] as const) {
      const first = hashSaltedSha('correct horse', scheme);
      expect(first.startsWith(`{${scheme}}`)).toBe(true);
      expect(verifySaltedSha('correct horse', first)).toBe(true);
      expect(verifySaltedSha('correct horsE', first)).toBe(false);
      expect(hashSaltedSha('correct horse', scheme)).not.toBe(first);
    }
    expect(hashSaltedSha('secret', 'SSHA', Buffer.from('abcd'))).toBe(hashSaltedSha('secret', 'SSHA', Buffer.from('abcd')));
  });

  it('never matches other schemes or malformed values', () => {
    expect(verifySaltedSha('secret', 'secret')).toBe(false);
    expect(verifySaltedSha('secret', '{CLEARTEXT}secret')).toBe(false);
    expect(verifySaltedSha('secret', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=')).toBe(false);
    expect(verifySaltedSha('secret', '{CRYPT}$6$salt$hash')).toBe(false);
    expect(verifySaltedSha('secret', '{SSHA}')).toBe(false);
    expect(verifySaltedSha('secret', '{SSHA}!!!notbase64')).toBe(false);
    // The bare SHA-1 digest without salt: OpenLDAP refuses it as {SSHA}, and so do we.
    expect(verifySaltedSha('secret', '{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=')).toBe(false);
    // Truncated: digest cut short.
    expect(verifySaltedSha('secret', SLAPPASSWD.SSHA256.slice(0, 20))).toBe(false);
  });
});
