import type { RefreshFamilyState } from '@authz/oauth';
import type {
  GrantRevocation,
  LockedRefreshFamily,
  RefreshFamilyStore,
  RefreshFamilyWriter,
  SqlDatabase,
  SqlStatement,
  SqlTransaction,
  RefreshTokenOwner,
  StoredRefreshGrace,
} from '@authz/ports';

type FamilyRow = {
  family_id: string;
  grant_id: string;
  client_id: string;
  subject: string;
  scope: string;
  audience: string[];
  auth_time: string | null;
  generation: number;
  current_token_hash: string;
  created_at: Date;
  expires_at: Date;
  idle_expires_at: Date;
  revoked_at: Date | null;
  grace_parent_hash: string | null;
  grace_until: Date | null;
  grace_child_sealed: string | null;
};

const FAMILY_COLUMNS = `family_id, grant_id, client_id, subject, scope, audience, auth_time, generation, current_token_hash,
  created_at, expires_at, idle_expires_at, revoked_at, grace_parent_hash, grace_until, grace_child_sealed`;
const FAMILY_COLUMNS_OF_F = FAMILY_COLUMNS.replace(/(\w+)/g, 'f.$1');

/** A family's new state and grace window: $1 family id, $2 generation, $3 current token hash, $4–$8 the rest (see familyValues). */
const UPDATE_FAMILY = `UPDATE refresh_families SET generation = $2, current_token_hash = $3, idle_expires_at = to_timestamp($4::double precision / 1000),
    revoked_at = CASE WHEN $5::double precision IS NULL THEN NULL ELSE to_timestamp($5::double precision / 1000) END,
    grace_parent_hash = $6, grace_until = CASE WHEN $7::double precision IS NULL THEN NULL ELSE to_timestamp($7::double precision / 1000) END,
    grace_child_sealed = $8
  WHERE family_id = $1`;

/**
 * Refresh token families over SqlDatabase (PostgreSQL, or PGlite in the all-in-one mode; same SQL and
 * migration 0002). Atomicity: each operation is one transaction; `exchange` locks the family row
 * (`SELECT … FOR UPDATE`), so concurrent exchanges of one family are serialized, and the caller's work
 * (which publishes the events and awaits the log) runs while the lock is held, before COMMIT.
 * Round trips to a server: two for `create` (BEGIN + lock + insert, then COMMIT) and two for a rotation
 * (BEGIN + the locking read, then the rotation's write + COMMIT), where each statement on its own
 * would take four (SqlTransaction.batch and atCommit).
 * A family and a revocation of its grant never miss each other: both take a transaction-scoped
 * advisory lock on the grant id first.
 */
export class SqlRefreshFamilyStore implements RefreshFamilyStore {
  constructor(private readonly db: SqlDatabase) {}

  async create(family: RefreshFamilyState, confirm: () => Promise<void>): Promise<'created' | 'grant_revoked'> {
    return this.db.transaction(async (tx) => {
      // BEGIN, the lock and the insert in one round trip; the insert is a statement of its own, whose
      // snapshot is taken once the lock is held, so a revocation committed meanwhile is seen: no family
      // for a revoked grant, else the family and its first token.
      const { rows } = await tx.batch<{ created: number }>([
        lockGrant(family.grantId),
        {
          text: `WITH family AS (
           INSERT INTO refresh_families (family_id, grant_id, client_id, subject, scope, audience, auth_time, generation, current_token_hash,
             created_at, expires_at, idle_expires_at, revoked_at)
           SELECT $1, $2, $3, $4, $5, $6::text[], $7::bigint, $8::int, $9::text, to_timestamp($13::double precision / 1000), to_timestamp($10::double precision / 1000),
             to_timestamp($11::double precision / 1000), CASE WHEN $12::double precision IS NULL THEN NULL ELSE to_timestamp($12::double precision / 1000) END
           WHERE NOT EXISTS (SELECT 1 FROM revoked_grants WHERE grant_id = $2)
           RETURNING family_id
         ), token AS (
           INSERT INTO refresh_tokens (token_hash, family_id, generation, issued_at)
           SELECT $9::text, family_id, $8::int, to_timestamp($13::double precision / 1000) FROM family
         )
         SELECT count(*)::int AS created FROM family`,
          values: [
            family.familyId,
            family.grantId,
            family.clientId,
            family.subject,
            family.scopes.join(' '),
            family.audience,
            family.authTime ?? null,
            family.generation,
            family.currentTokenHash,
            family.expiresAt,
            family.idleExpiresAt,
            family.revokedAt ?? null,
            family.createdAt,
          ],
        },
      ]);
      if (rows[0]!.created === 0) return 'grant_revoked';
      await confirm();
      return 'created';
    });
  }

  async exchange<T>(tokenHash: string, work: (found: LockedRefreshFamily | null, writer: RefreshFamilyWriter) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const writer = sqlWriter(tx);
      // The presented token and its family, the family's row locked, in one round trip with BEGIN. Under READ
      // COMMITTED a family row updated by a transaction that committed while this one waited for the lock
      // is read again at its latest version (and the join re-checked) before it is returned, so the state
      // returned is the one the lock protects; a token row never changes once written.
      const { rows } = await tx.batch<FamilyRow & { presented_generation: number }>([
        {
          text: `SELECT ${FAMILY_COLUMNS_OF_F}, t.generation AS presented_generation
                   FROM refresh_tokens t JOIN refresh_families f ON f.family_id = t.family_id
                  WHERE t.token_hash = $1 FOR UPDATE OF f`,
          values: [tokenHash],
        },
      ]);
      const row = rows[0];
      if (!row) return work(null, writer);
      return work({ family: toState(row), grace: toGrace(row), presentedGeneration: row.presented_generation }, writer);
    });
  }

  async revokeGrant(revocation: GrantRevocation, confirm: (found: { subject?: string }) => Promise<void>): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { subject, newlyRevoked } = await revokeGrant(tx, revocation);
      // A grant revoked already (a second replay of its code) is not announced again.
      if (newlyRevoked) await confirm(subject === undefined ? {} : { subject });
    });
  }

  async findToken(tokenHash: string): Promise<RefreshTokenOwner | null> {
    const { rows } = await this.db.query<{ family_id: string; grant_id: string; client_id: string; subject: string; expires_at: Date; revoked_at: Date | null }>(
      `SELECT f.family_id, f.grant_id, f.client_id, f.subject, f.expires_at, f.revoked_at
         FROM refresh_tokens t JOIN refresh_families f ON f.family_id = t.family_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return null;
    return { familyId: row.family_id, grantId: row.grant_id, clientId: row.client_id, subject: row.subject, expiresAt: row.expires_at.getTime(), revoked: row.revoked_at !== null };
  }
}

function sqlWriter(tx: SqlTransaction): RefreshFamilyWriter {
  return {
    async save(family, grace) {
      await tx.query(UPDATE_FAMILY, familyValues(family, grace));
    },
    async rotate(family, grace, issuedAt) {
      // The new token and the family's new state in one statement, sent with COMMIT (after `work` has
      // published and the log has acknowledged): the family's row is locked by this transaction, so only
      // an outage can fail it, and then nothing commits, as when COMMIT itself fails.
      tx.atCommit({
        text: `WITH token AS (
                 INSERT INTO refresh_tokens (token_hash, family_id, generation, issued_at) VALUES ($3, $1, $2, to_timestamp($9::double precision / 1000))
               )
               ${UPDATE_FAMILY}`,
        values: [...familyValues(family, grace), issuedAt],
      });
    },
    async revokeGrant(revocation) {
      // The family is locked already and a grant has one family: no advisory lock (it would be taken
      // after a row lock here and before one in revokeGrant below, an order that could deadlock).
      await revokeGrant(tx, revocation, false);
    },
  };
}

/**
 * Revokes the grant's live families and marks the grant revoked (first revocation wins); returns a
 * family's subject and whether this call revoked the grant. The families are updated BEFORE the
 * revoked_grants row is written: an exchange holds its family's row lock and then writes revoked_grants
 * (reuse detection), so the opposite order here would deadlock with it (40P01).
 */
async function revokeGrant(tx: SqlTransaction, revocation: GrantRevocation, lock = true): Promise<{ subject: string | undefined; newlyRevoked: boolean }> {
  const revokeFamilies: SqlStatement = {
    text: `UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, to_timestamp($2::double precision / 1000)),
             grace_parent_hash = NULL, grace_until = NULL, grace_child_sealed = NULL
           WHERE grant_id = $1 RETURNING subject`,
    values: [revocation.grantId, revocation.revokedAt],
  };
  const { rows } = await tx.batch<{ subject: string }>(lock ? [lockGrant(revocation.grantId), revokeFamilies] : [revokeFamilies]);
  const inserted = await tx.query(
    `INSERT INTO revoked_grants (grant_id, client_id, reason, revoked_at) VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000))
     ON CONFLICT (grant_id) DO NOTHING RETURNING grant_id`,
    [revocation.grantId, revocation.clientId, revocation.reason, revocation.revokedAt],
  );
  return { subject: rows[0]?.subject, newlyRevoked: inserted.rows.length > 0 };
}

function familyValues(family: RefreshFamilyState, grace: StoredRefreshGrace | null): unknown[] {
  return [family.familyId, family.generation, family.currentTokenHash, family.idleExpiresAt, family.revokedAt ?? null, grace?.parentTokenHash ?? null, grace?.until ?? null, grace?.sealedChild ?? null];
}

/** The transaction-scoped advisory lock a family's creation and its grant's revocation both take first. */
function lockGrant(grantId: string): SqlStatement {
  return { text: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', values: [`grant:${grantId}`] };
}

function toState(row: FamilyRow): RefreshFamilyState {
  return {
    familyId: row.family_id,
    grantId: row.grant_id,
    clientId: row.client_id,
    subject: row.subject,
    scopes: row.scope === '' ? [] : row.scope.split(' '),
    audience: row.audience,
    ...(row.auth_time === null ? {} : { authTime: Number(row.auth_time) }),
    generation: row.generation,
    currentTokenHash: row.current_token_hash,
    createdAt: row.created_at.getTime(),
    expiresAt: row.expires_at.getTime(),
    idleExpiresAt: row.idle_expires_at.getTime(),
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at.getTime() }),
  };
}

function toGrace(row: FamilyRow): StoredRefreshGrace | null {
  if (row.grace_parent_hash === null || row.grace_until === null || row.grace_child_sealed === null) return null;
  return { parentTokenHash: row.grace_parent_hash, until: row.grace_until.getTime(), sealedChild: row.grace_child_sealed };
}
