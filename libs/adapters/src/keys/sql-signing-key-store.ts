import type { SigningAlgorithm, SigningKeyStatus } from '@authz/contracts';
import type { SigningKeyChanges, SigningKeyStore, SigningKeyTransaction, SqlDatabase, SqlExecutor, StoredSigningKey } from '@authz/ports';

type Row = {
  kid: string;
  alg: SigningAlgorithm;
  status: SigningKeyStatus;
  public_jwk: Record<string, string>;
  encrypted_private_jwk: string;
  created_at: Date;
  published_at: Date | null;
  activates_at: Date | null;
  retired_at: Date | null;
  unpublish_at: Date | null;
  revoked_at: Date | null;
  announced: SigningKeyStatus | null;
};

const COLUMNS = 'kid, alg, status, public_jwk, encrypted_private_jwk, created_at, published_at, activates_at, retired_at, unpublish_at, revoked_at, announced';

/** Column of each changeable field. */
const CHANGE_COLUMNS: Record<keyof SigningKeyChanges, string> = {
  status: 'status',
  publishedAt: 'published_at',
  activatesAt: 'activates_at',
  retiredAt: 'retired_at',
  unpublishAt: 'unpublish_at',
  revokedAt: 'revoked_at',
  announced: 'announced',
};

/**
 * The rotation lock: one advisory lock per schema (the first of search_path), held to the end of the
 * transaction, so a crashed holder releases it with its connection. Works on PGlite too (one session:
 * there the lock never contends, transactions already run one at a time).
 */
const LOCK_KEY = `hashtext('authz.signing_keys.rotation'), hashtext(coalesce(current_schema(), ''))`;

/** Signing keys in the `signing_keys` table (PostgreSQL or PGlite). */
export class SqlSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: SqlDatabase) {}

  async listLive(now: Date): Promise<StoredSigningKey[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM signing_keys
       WHERE status <> 'revoked' AND (unpublish_at IS NULL OR unpublish_at > $1)
       ORDER BY activates_at DESC NULLS LAST, created_at DESC`,
      [now],
    );
    return rows.map(toKey);
  }

  async listAll(): Promise<StoredSigningKey[]> {
    return listAll(this.db);
  }

  async withRotationLock<T>(work: (tx: SigningKeyTransaction) => Promise<T>, options: { wait: boolean }): Promise<T | null> {
    return this.db.transaction(async (tx) => {
      if (options.wait) {
        await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
      } else {
        const { rows } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS locked`);
        if (!rows[0]?.locked) return null;
      }
      return work({
        list: () => listAll(tx),
        insert: (key) => insert(tx, key),
        update: (kid, changes) => update(tx, kid, changes),
      });
    });
  }

  async update(kid: string, changes: SigningKeyChanges): Promise<void> {
    await update(this.db, kid, changes);
  }
}

async function listAll(db: SqlExecutor): Promise<StoredSigningKey[]> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid`);
  return rows.map(toKey);
}

async function insert(db: SqlExecutor, key: StoredSigningKey): Promise<void> {
  await db.query(
    `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      key.kid,
      key.alg,
      key.status,
      JSON.stringify(key.publicJwk),
      key.encryptedPrivateJwk,
      key.createdAt,
      key.publishedAt,
      key.activatesAt,
      key.retiredAt,
      key.unpublishAt,
      key.revokedAt,
      key.announced,
    ],
  );
}

async function update(db: SqlExecutor, kid: string, changes: SigningKeyChanges): Promise<void> {
  const entries = (Object.keys(CHANGE_COLUMNS) as Array<keyof SigningKeyChanges>).filter((field) => changes[field] !== undefined);
  if (entries.length === 0) return;
  const assignments = entries.map((field, index) => `${CHANGE_COLUMNS[field]} = $${index + 2}`).join(', ');
  await db.query(`UPDATE signing_keys SET ${assignments} WHERE kid = $1`, [kid, ...entries.map((field) => changes[field])]);
}

function toKey(row: Row): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    status: row.status,
    publicJwk: row.public_jwk,
    encryptedPrivateJwk: row.encrypted_private_jwk,
    createdAt: row.created_at,
    publishedAt: row.published_at,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
    unpublishAt: row.unpublish_at,
    revokedAt: row.revoked_at,
    announced: row.announced,
  };
}
