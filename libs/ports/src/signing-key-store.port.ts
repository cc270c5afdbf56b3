import type { SigningAlgorithm, SigningKeyStatus } from '@authz/contracts';

/**
 * A signing key as stored: the private JWK only ever encrypted (AES-256-GCM under the key-encryption key).
 * Lifecycle: pending (published, not signing yet) → active (signs from `activatesAt`) → retired (stays
 * published until `unpublishAt`) → revoked (emergency: withdrawn at once, from any state).
 */
export type StoredSigningKey = {
  kid: string;
  alg: SigningAlgorithm;
  status: SigningKeyStatus;
  publicJwk: Record<string, string>;
  /** base64url(iv || ciphertext || tag) of the private JWK's JSON. */
  encryptedPrivateJwk: string;
  createdAt: Date;
  /** When the log acknowledged its oauth.signing_key.published event (null: not yet announced, never used). */
  publishedAt: Date | null;
  /** When it starts signing (every replica switches at this instant); null only for rows of the first schema. */
  activatesAt: Date | null;
  retiredAt: Date | null;
  /** When a retired key leaves the JWK Set (retiredAt plus the longest access-token lifetime). */
  unpublishAt: Date | null;
  revokedAt: Date | null;
  /** The last lifecycle state whose event the log acknowledged (null: none). */
  announced: SigningKeyStatus | null;
};

/** What a rotation may change on a key. */
export type SigningKeyChanges = Partial<Pick<StoredSigningKey, 'status' | 'publishedAt' | 'activatesAt' | 'retiredAt' | 'unpublishAt' | 'revokedAt' | 'announced'>>;

/** The keys as seen while holding the rotation lock. */
export interface SigningKeyTransaction {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  update(kid: string, changes: SigningKeyChanges): Promise<void>;
}

/**
 * Signing keys, shared by every token replica. Not a projection: private keys never go to the log.
 */
export interface SigningKeyStore {
  /** Every key that is not revoked and not past its unpublishAt at `now` (what a replica may sign with or publish). */
  listLive(now: Date): Promise<StoredSigningKey[]>;
  /** Every key, newest first (the keys CLI). */
  listAll(): Promise<StoredSigningKey[]>;
  /**
   * Runs `work` in one transaction while holding the deployment-wide rotation lock (PostgreSQL: an
   * advisory transaction lock). With `wait: false`, resolves null at once when another replica holds
   * it; with `wait: true`, waits for it.
   */
  withRotationLock<T>(work: (tx: SigningKeyTransaction) => Promise<T>, options: { wait: boolean }): Promise<T | null>;
  /** Records outside the lock what the log acknowledged (idempotent). */
  update(kid: string, changes: SigningKeyChanges): Promise<void>;
}
