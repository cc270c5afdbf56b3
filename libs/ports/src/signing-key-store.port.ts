/** A signing key as stored: the private JWK only ever encrypted (AES-256-GCM under the key-encryption key). */
export type StoredSigningKey = {
  kid: string;
  alg: 'ES256';
  publicJwk: Record<string, string>;
  /** base64url(iv || ciphertext || tag) of the private JWK's JSON. */
  encryptedPrivateJwk: string;
  createdAt: Date;
  publishedAt: Date | null;
};

/**
 * Signing keys, shared by every token replica. Not a projection: private keys never go to the log.
 */
export interface SigningKeyStore {
  /** The key in use, if any. */
  findActive(): Promise<StoredSigningKey | null>;
  /** Inserts `key` as the active key unless another replica did first; returns the active key either way. */
  insertActiveIfNone(key: StoredSigningKey): Promise<StoredSigningKey>;
  markPublished(kid: string, at: Date): Promise<void>;
}
