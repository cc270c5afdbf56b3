import type { Envelope, EventOf } from '@authz/contracts';
import type { Projection, Statement } from './projection';

type Issued = Envelope<EventOf<'oauth.access_token.issued.v1'>>;

/** oauth.access_token.issued.v1 → one `access_tokens` row per jti, written with one insert per batch (ON CONFLICT DO NOTHING). */
export const accessTokensProjection: Projection = {
  name: 'access_tokens',
  topics: ['oauth.tokens'],
  handles: ['oauth.access_token.issued.v1'],
  tables: ['access_tokens'],
  partitioned: [{ table: 'access_tokens', column: 'expires_at', interval: 'day' }],
  apply(events) {
    const issued = events.filter((event): event is Issued => event.type === 'oauth.access_token.issued.v1');
    if (issued.length === 0) return [];
    return [insertIssued(issued)];
  },
};

/**
 * The batch travels as one JSON array (json_to_recordset): one JSON.stringify here and one JSON parse in
 * PostgreSQL, where eleven arrays cost node-postgres an escaped array literal per column and PostgreSQL
 * eleven array parses, and the audience needed a subquery per row (a JSON array fills a text[] column).
 */
function insertIssued(events: Issued[]): Statement {
  const rows = events.map(({ id, data }) => ({
    jti: data.jti,
    grant_id: data.grantId,
    grant_type: data.grantType,
    client_id: data.clientId,
    subject: data.sub,
    scope: data.scope,
    audience: data.audience,
    token_hash: data.tokenHash,
    issued_at: data.issuedAt,
    expires_at: data.expiresAt,
    event_id: id,
  }));
  return {
    text: `INSERT INTO access_tokens (jti, grant_id, grant_type, client_id, subject, scope, audience, token_hash, issued_at, expires_at, event_id)
      SELECT t.jti, t.grant_id, t.grant_type, t.client_id, t.subject, t.scope, t.audience, t.token_hash,
             to_timestamp(t.issued_at), to_timestamp(t.expires_at), t.event_id
        FROM json_to_recordset($1::json)
          AS t(jti text, grant_id text, grant_type text, client_id text, subject text, scope text, audience text[], token_hash text, issued_at bigint, expires_at bigint, event_id text)
      ON CONFLICT (jti, expires_at) DO NOTHING`,
    values: [JSON.stringify(rows)],
  };
}
