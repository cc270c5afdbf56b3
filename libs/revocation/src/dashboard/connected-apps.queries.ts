import type { SqlExecutor } from '@authz/ports';

/** One grant as the dashboard lists it: what a user gave an app, and when it was last used. */
export type ConnectedGrant = {
  grantId: string;
  clientId: string;
  subject: string;
  /** The scopes of its refresh families and access tokens, sorted. */
  scopes: string[];
  /** When it was first issued (its first access token or refresh family), ms since the epoch. */
  grantedAt: number;
  /** When a token of it was last issued (a new access token: a refresh rotation issues one too), ms. */
  lastUsedAt: number;
};

type Row = { grant_id: string; client_id: string; subject: string; scopes: string[]; granted_at: Date; last_used_at: Date };

/**
 * The live grants of a user (or of a client, for the admin view), from the projections: `access_tokens`
 * (every token issued, with its grant id) and the token service's `refresh_families`, in the same
 * database. A grant is live while one of its access tokens or refresh families is unexpired and it is
 * not revoked: not in `revoked_grants` (written with the families' revocation, synchronously), not in
 * the `revocations` projection, no family revoked (reuse, a revocation still being projected).
 * Indexes: migration 0008 (subject of both tables, client of refresh_families).
 */
function liveGrantsSql(column: 'subject' | 'client_id'): string {
  return `
    WITH issued AS (
      SELECT grant_id, client_id, subject, scope, issued_at AS at, expires_at AS live_until, false AS revoked
        FROM access_tokens WHERE ${column} = $1
      UNION ALL
      SELECT grant_id, client_id, subject, scope, created_at, LEAST(expires_at, idle_expires_at), revoked_at IS NOT NULL
        FROM refresh_families WHERE ${column} = $1
    )
    SELECT grant_id, min(client_id) AS client_id, min(subject) AS subject, array_agg(DISTINCT scope) AS scopes,
           min(at) AS granted_at, max(at) AS last_used_at
      FROM issued i
     WHERE NOT EXISTS (SELECT 1 FROM revoked_grants r WHERE r.grant_id = i.grant_id)
       AND NOT EXISTS (SELECT 1 FROM revocations v WHERE v.kind = 'grant' AND v.id = i.grant_id)
     GROUP BY grant_id
    HAVING max(live_until) > to_timestamp($2::double precision / 1000) AND NOT bool_or(revoked)
     ORDER BY max(at) DESC, grant_id
     LIMIT $3`;
}

const BY_SUBJECT = liveGrantsSql('subject');
const BY_CLIENT = liveGrantsSql('client_id');

/** At most this many grants per page (a user has a handful; a client's are listed for the admin). */
export const MAX_LISTED_GRANTS = 500;

export class ConnectedAppsQueries {
  constructor(private readonly db: SqlExecutor) {}

  /** The user's live grants, the most recently used first. */
  async grantsOfSubject(subject: string, nowMs: number): Promise<ConnectedGrant[]> {
    return this.list(BY_SUBJECT, subject, nowMs);
  }

  /** The client's live grants (all users), the most recently used first. */
  async grantsOfClient(clientId: string, nowMs: number): Promise<ConnectedGrant[]> {
    return this.list(BY_CLIENT, clientId, nowMs);
  }

  /** One of the user's live grants, or undefined (unknown, another user's, revoked, expired). */
  async grantOfSubject(subject: string, grantId: string, nowMs: number): Promise<ConnectedGrant | undefined> {
    return (await this.grantsOfSubject(subject, nowMs)).find((grant) => grant.grantId === grantId);
  }

  private async list(sql: string, key: string, nowMs: number): Promise<ConnectedGrant[]> {
    const { rows } = await this.db.query<Row>(sql, [key, nowMs, MAX_LISTED_GRANTS]);
    return rows.map((row) => ({
      grantId: row.grant_id,
      clientId: row.client_id,
      subject: row.subject,
      scopes: [...new Set(row.scopes.flatMap((scope) => scope.split(' ')).filter((scope) => scope !== ''))].sort(),
      grantedAt: new Date(row.granted_at).getTime(),
      lastUsedAt: new Date(row.last_used_at).getTime(),
    }));
  }
}
