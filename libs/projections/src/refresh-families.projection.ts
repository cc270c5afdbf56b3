import type { Envelope, EventOf } from '@authz/contracts';
import type { Projection, Statement } from './projection';

type Issued = Envelope<EventOf<'oauth.refresh_token.issued.v1'>>;
type Rotated = Envelope<EventOf<'oauth.refresh_token.rotated.v1'>>;
type Revoked = Envelope<EventOf<'oauth.grant.revoked.v1'>>;

/**
 * The token service's refresh family tables (migration 0002) as a reducer of their events, for a rebuild
 * from the log only (`npm run projections:rebuild -- --projection=refresh_families`; with --swap, stop
 * the token services too). It is not run by the live projector: the token service writes these rows
 * itself, in the transaction that publishes their events (the same SQL as `evolveRefreshFamily`).
 * What the log does not hold stays empty: the grace window (the sealed child is never published).
 * One statement per event, in log order (a rotation needs its family's row); every one idempotent.
 */
export const refreshFamiliesProjection: Projection = {
  name: 'refresh_families',
  // grant.revoked.v1 is on oauth.revocations: a revocation may be applied before its grant's families
  // (two topics, no order between them), so a family inserted later takes the grant's revocation.
  topics: ['oauth.tokens', 'oauth.revocations'],
  handles: ['oauth.refresh_token.issued.v1', 'oauth.refresh_token.rotated.v1', 'oauth.grant.revoked.v1'],
  tables: ['refresh_families', 'refresh_tokens', 'revoked_grants'],
  apply(events) {
    return events.flatMap((event): Statement[] => {
      switch (event.type) {
        case 'oauth.refresh_token.issued.v1':
          return issued(event as Issued);
        case 'oauth.refresh_token.rotated.v1':
          return rotated(event as Rotated);
        case 'oauth.grant.revoked.v1':
          return revoked(event as Revoked);
        default:
          return [];
      }
    });
  },
};

function issued({ data }: Issued): Statement[] {
  return [
    {
      text: `INSERT INTO refresh_families (family_id, grant_id, client_id, subject, scope, audience, auth_time, generation, current_token_hash,
               created_at, expires_at, idle_expires_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6::text[], $7, 0, $8, to_timestamp($9), to_timestamp($10), to_timestamp($11),
               (SELECT revoked_at FROM revoked_grants WHERE grant_id = $2))
             ON CONFLICT (family_id) DO NOTHING`,
      values: [data.familyId, data.grantId, data.clientId, data.sub, data.scope, data.audience, data.authTime ?? null, data.tokenHash, data.issuedAt, data.expiresAt, data.idleExpiresAt],
    },
    token(data.tokenHash, data.familyId, 0, data.issuedAt),
  ];
}

function rotated({ data }: Rotated): Statement[] {
  return [
    {
      text: `UPDATE refresh_families SET generation = $2, current_token_hash = $3, idle_expires_at = to_timestamp($4)
             WHERE family_id = $1 AND generation < $2`,
      values: [data.familyId, data.generation, data.tokenHash, data.idleExpiresAt],
    },
    token(data.tokenHash, data.familyId, data.generation, data.rotatedAt),
  ];
}

function revoked({ data }: Revoked): Statement[] {
  return [
    {
      text: `INSERT INTO revoked_grants (grant_id, client_id, reason, revoked_at) VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT (grant_id) DO NOTHING`,
      values: [data.grantId, data.clientId, data.reason, data.revokedAt],
    },
    {
      text: `UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, to_timestamp($2)) WHERE grant_id = $1`,
      values: [data.grantId, data.revokedAt],
    },
  ];
}

function token(tokenHash: string, familyId: string, generation: number, issuedAt: number): Statement {
  return {
    text: `INSERT INTO refresh_tokens (token_hash, family_id, generation, issued_at) VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT (token_hash) DO NOTHING`,
    values: [tokenHash, familyId, generation, issuedAt],
  };
}
