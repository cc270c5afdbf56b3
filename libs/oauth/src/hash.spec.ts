import { sha256Hash as sha256HashSchema } from '@authz/contracts';
import { constantTimeEquals, matchesSha256Hash, randomBase64url, sha256Hash, UNMATCHABLE_HASH } from './hash';

const SHA256_ABC = 'sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0';

describe('sha256Hash', () => {
  it('is sha256: and the base64url SHA-256 of the UTF-8 value (FIPS 180-2 vector "abc")', () => {
    expect(sha256Hash('abc')).toBe(SHA256_ABC);
    expect(sha256Hash('')).toBe('sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });

  it('always has 43 unpadded base64url characters, the format the event schemas accept', () => {
    for (const value of ['', 'abc', 'é', 'a'.repeat(10_000), '+/=']) {
      const hash = sha256Hash(value);
      expect(hash).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
      expect(sha256HashSchema.safeParse(hash).success).toBe(true);
    }
  });

  it('hashes the UTF-8 bytes, not Latin-1', () => {
    // printf '\xc3\xa9' | openssl dgst -sha256 -binary | base64  (UTF-8 "é")
    expect(sha256Hash('é')).toBe(`sha256:${Buffer.from('SplVfkAzw1Od4utlRyAXytX5VX96BiWgnxw/biumnEw=', 'base64').toString('base64url')}`);
    // printf '\xe9' | openssl dgst -sha256 -binary | base64  (Latin-1 "é")
    expect(sha256Hash('é')).not.toBe(`sha256:${Buffer.from('3i4zHYka4menAJy0W06IMPFw4Mk3KI6icxoZQcelOw0=', 'base64').toString('base64url')}`);
  });
});

describe('matchesSha256Hash', () => {
  it('is true for the value the hash was made from', () => {
    expect(matchesSha256Hash('abc', SHA256_ABC)).toBe(true);
    expect(matchesSha256Hash('abc', sha256Hash('abc'))).toBe(true);
  });

  it('is false for another value', () => {
    expect(matchesSha256Hash('abd', SHA256_ABC)).toBe(false);
    expect(matchesSha256Hash('abc ', SHA256_ABC)).toBe(false);
    expect(matchesSha256Hash('', SHA256_ABC)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['the bare value', 'abc'],
    ['without the prefix', SHA256_ABC.slice('sha256:'.length)],
    ['a prefix in upper case', SHA256_ABC.replace('sha256', 'SHA256')],
    ['truncated', SHA256_ABC.slice(0, -1)],
    ['with padding', `${SHA256_ABC}=`],
    ['as long, one character multi-byte', `${SHA256_ABC.slice(0, -1)}é`],
  ])('is false, without throwing, for a malformed stored hash (%s)', (_case, stored) => {
    expect(matchesSha256Hash('abc', stored)).toBe(false);
  });
});

describe('constantTimeEquals', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['', '', true],
    ['é', 'e\u0301', false],
  ])('%j vs %j: %s', (a, b, expected) => {
    expect(constantTimeEquals(a, b)).toBe(expected);
  });
});

describe('UNMATCHABLE_HASH', () => {
  it('is a well-formed sha256 hash that no value matches', () => {
    expect(sha256HashSchema.safeParse(UNMATCHABLE_HASH).success).toBe(true);
    for (const value of ['', 'A', 'secret']) expect(matchesSha256Hash(value, UNMATCHABLE_HASH)).toBe(false);
  });
});

describe('randomBase64url', () => {
  it('answers that many random bytes, base64url without padding', () => {
    expect(randomBase64url(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomBase64url(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomBase64url(32)).not.toBe(randomBase64url(32));
  });
});
