import type { SigningKeyStore, SqlDatabase, StoredSigningKey } from '@authz/ports';

type Row = {
  kid: string;
  alg: 'ES256';
  public_jwk: Record<string, string>;
  encrypted_private_jwk: string;
  created_at: Date;
  published_at: Date | null;
};

const COLUMNS = 'kid, alg, public_jwk, encrypted_private_jwk, created_at, published_at';

/** Signing keys in the `signing_keys` table (PostgreSQL or PGlite). */
export class SqlSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: SqlDatabase) {}

  async findActive(): Promise<StoredSigningKey | null> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM signing_keys WHERE status = 'active'`);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async insertActiveIfNone(key: StoredSigningKey): Promise<StoredSigningKey> {
    // The partial unique index signing_keys_one_active makes concurrent first starts agree on one key.
    await this.db.query(
      `INSERT INTO signing_keys (kid, alg, status, public_jwk, encrypted_private_jwk, created_at, published_at)
       VALUES ($1, $2, 'active', $3, $4, $5, $6)
       ON CONFLICT (status) WHERE status = 'active' DO NOTHING`,
      [key.kid, key.alg, JSON.stringify(key.publicJwk), key.encryptedPrivateJwk, key.createdAt, key.publishedAt],
    );
    const active = await this.findActive();
    if (!active) throw new Error('no active signing key after insert');
    return active;
  }

  async markPublished(kid: string, at: Date): Promise<void> {
    await this.db.query('UPDATE signing_keys SET published_at = $2 WHERE kid = $1 AND published_at IS NULL', [kid, at]);
  }
}

function toKey(row: Row): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    encryptedPrivateJwk: row.encrypted_private_jwk,
    createdAt: row.created_at,
    publishedAt: row.published_at,
  };
}
