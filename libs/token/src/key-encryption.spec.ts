import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_KEY_ENCRYPTION_KEY, KeyEncryption } from './key-encryption';

const KEY = randomBytes(32).toString('base64url');
const PRIVATE_JWK = JSON.stringify({
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI',
  kid: 'key-2025-03',
});

/** Flips one bit of the byte at `index` of a sealed value. */
function flipBit(sealed: string, index: number): string {
  const bytes = Buffer.from(sealed, 'base64url');
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString('base64url');
}

describe('KeyEncryption (AES-256-GCM)', () => {
  const encryption = new KeyEncryption(KEY);

  it('round-trips a private JWK and other text', () => {
    for (const plaintext of [PRIVATE_JWK, 'x', 'clé privée ✓', 'a'.repeat(100_000)]) {
      expect(encryption.decrypt(encryption.encrypt(plaintext))).toBe(plaintext);
    }
  });

  it('seals as base64url of iv(12) || ciphertext || tag(16), without the plaintext in it', () => {
    const sealed = encryption.encrypt(PRIVATE_JWK);

    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed, 'base64url')).toHaveLength(12 + Buffer.byteLength(PRIVATE_JWK) + 16);
    expect(Buffer.from(sealed, 'base64url').includes(Buffer.from('jpsQnnGQ'))).toBe(false);
  });

  it('seals the same plaintext differently each time (a fresh iv), and both open', () => {
    const first = encryption.encrypt(PRIVATE_JWK);
    const second = encryption.encrypt(PRIVATE_JWK);

    expect(first).not.toBe(second);
    expect(Buffer.from(first, 'base64url').subarray(0, 12).equals(Buffer.from(second, 'base64url').subarray(0, 12))).toBe(false);
    expect(encryption.decrypt(first)).toBe(PRIVATE_JWK);
    expect(encryption.decrypt(second)).toBe(PRIVATE_JWK);
  });

  it.each([
    ['the iv', 0],
    ['the ciphertext', 12 + 5],
    ['the tag', -1],
  ])('refuses a value whose %s was tampered with', (_part, index) => {
    const sealed = encryption.encrypt(PRIVATE_JWK);
    const length = Buffer.from(sealed, 'base64url').length;

    expect(() => encryption.decrypt(flipBit(sealed, index < 0 ? length + index : index))).toThrow('Unsupported state or unable to authenticate data');
  });

  it('refuses a value with bytes cut off or appended', () => {
    const sealed = Buffer.from(encryption.encrypt(PRIVATE_JWK), 'base64url');

    expect(() => encryption.decrypt(sealed.subarray(0, sealed.length - 1).toString('base64url'))).toThrow();
    expect(() => encryption.decrypt(Buffer.concat([sealed, Buffer.from([0])]).toString('base64url'))).toThrow();
  });

  it('refuses a value sealed with another key', () => {
    const sealed = new KeyEncryption(randomBytes(32).toString('base64url')).encrypt(PRIVATE_JWK);

    expect(() => encryption.decrypt(sealed)).toThrow('Unsupported state or unable to authenticate data');
  });

  it.each([
    ['empty', ''],
    ['one byte', 'AA'],
    ['iv and tag only, minus one byte', Buffer.alloc(27).toString('base64url')],
  ])('refuses a value too short to hold iv and tag (%s)', (_case, sealed) => {
    expect(() => encryption.decrypt(sealed)).toThrow('sealed value is too short');
  });

  it.each([
    ['empty', ''],
    ['16 bytes (AES-128)', randomBytes(16).toString('base64url')],
    ['31 bytes', randomBytes(31).toString('base64url')],
    ['33 bytes', randomBytes(33).toString('base64url')],
    ['64 bytes', randomBytes(64).toString('base64url')],
  ])('refuses a key-encryption key that is not 32 bytes (%s)', (_case, key) => {
    expect(() => new KeyEncryption(key)).toThrow(new Error('the key-encryption key must be 32 bytes (base64url)'));
  });

  it('accepts the development key, which is 32 bytes', () => {
    expect(Buffer.from(DEVELOPMENT_KEY_ENCRYPTION_KEY, 'base64url')).toHaveLength(32);
    const development = new KeyEncryption(DEVELOPMENT_KEY_ENCRYPTION_KEY);
    expect(development.decrypt(development.encrypt(PRIVATE_JWK))).toBe(PRIVATE_JWK);
    expect(() => encryption.decrypt(development.encrypt(PRIVATE_JWK))).toThrow();
  });
});

describe('KeyEncryption with an empty plaintext', () => {
  it('round-trips the empty string (iv and tag alone are 28 bytes)', () => {
    const encryption = new KeyEncryption(Buffer.alloc(32, 7).toString('base64url'));
    expect(encryption.decrypt(encryption.encrypt(''))).toBe('');
  });
});
