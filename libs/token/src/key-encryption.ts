import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope for private keys at rest: base64url(iv(12) || ciphertext || tag(16)).
 * The key-encryption key comes from KEY_ENCRYPTION_KEY (a Kubernetes Secret in production).
 */
export class KeyEncryption {
  private readonly key: Buffer;

  constructor(keyEncryptionKey: string) {
    this.key = Buffer.from(keyEncryptionKey, 'base64url');
    if (this.key.length !== 32) throw new Error('the key-encryption key must be 32 bytes (base64url)');
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  decrypt(sealed: string): string {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < 28) throw new Error('sealed value is too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
  }
}

/**
 * The development key-encryption key, used only when KEY_ENCRYPTION_KEY is not set in the distributed
 * mode (a startup warning says so). The embedded mode uses a random key per process.
 */
export const DEVELOPMENT_KEY_ENCRYPTION_KEY = 'ZGV2ZWxvcG1lbnQtb25seS1rZXktZW5jcnlwdGlvbiE';
