import { createHash, createHmac } from 'node:crypto';
import { CLIENT_SECRET_BYTES, ClientSecretHasher, generateClientSecret, STORED_SECRET_HASH } from './client-secret';

const PEPPER = Buffer.alloc(32, 7);

describe('generateClientSecret', () => {
  it('gives 256 random bits, base64url without padding, different every time', () => {
    const secrets = Array.from({ length: 50 }, () => generateClientSecret());

    expect(CLIENT_SECRET_BYTES).toBe(32);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(50);
  });
});

describe('ClientSecretHasher', () => {
  const hasher = new ClientSecretHasher(PEPPER);

  it('stores a secret as hmac-sha256:<base64url of HMAC-SHA-256 under the pepper>', () => {
    const expected = createHmac('sha256', PEPPER).update('s3cret', 'utf8').digest('base64url');

    expect(hasher.hash('s3cret')).toBe(`hmac-sha256:${expected}`);
    expect(hasher.hash('s3cret')).toMatch(STORED_SECRET_HASH);
  });

  it('matches the secret it hashed, and nothing else', () => {
    const stored = hasher.hash('s3cret');

    expect(hasher.matches('s3cret', stored)).toBe(true);
    expect(hasher.matches('s3cret ', stored)).toBe(false);
    expect(hasher.matches('', stored)).toBe(false);
  });

  it('depends on the pepper: another pepper neither produces nor matches the same hash', () => {
    const other = new ClientSecretHasher(Buffer.alloc(32, 8));

    expect(other.hash('s3cret')).not.toBe(hasher.hash('s3cret'));
    expect(other.matches('s3cret', hasher.hash('s3cret'))).toBe(false);
  });

  it('still verifies the unkeyed sha256: hashes of the seed file, whatever the pepper', () => {
    const seed = `sha256:${createHash('sha256').update('seed-secret').digest('base64url')}`;

    expect(hasher.matches('seed-secret', seed)).toBe(true);
    expect(new ClientSecretHasher(Buffer.alloc(32, 9)).matches('seed-secret', seed)).toBe(true);
    expect(hasher.matches('other', seed)).toBe(false);
  });

  it.each([
    ['an empty hash', ''],
    ['another algorithm', `sha512:${'A'.repeat(43)}`],
    ['a digest one character short', `hmac-sha256:${'A'.repeat(42)}`],
    ['a padded digest', `sha256:${'A'.repeat(43)}=`],
    ['the secret itself', 's3cret'],
  ])('never matches a malformed stored hash (%s)', (_case, stored) => {
    expect(hasher.matches('s3cret', stored)).toBe(false);
  });

  it('refuses a pepper shorter than 32 bytes', () => {
    expect(() => new ClientSecretHasher(Buffer.alloc(31))).toThrow(new RangeError('ClientSecretHasher: the pepper must have at least 32 bytes'));
  });
});
