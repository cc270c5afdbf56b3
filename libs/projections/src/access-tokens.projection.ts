import type { Envelope, EventOf } from '@authz/contracts';
import type { Projection, Statement } from './projection';

type Issued = Envelope<EventOf<'oauth.access_token.issued.v1'>>;

/** oauth.access_token.issued.v1 → one `access_tokens` row per jti, written with one unnest upsert per batch. */
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

function insertIssued(events: Issued[]): Statement {
  const column = <T>(pick: (event: Issued) => T) => events.map(pick);
  return {
    text: `INSERT INTO access_tokens (jti, grant_id, grant_type, client_id, subject, scope, audience, token_hash, issued_at, expires_at, event_id)
      SELECT t.jti, t.grant_id, t.grant_type, t.client_id, t.subject, t.scope,
             ARRAY(SELECT jsonb_array_elements_text(t.audience)), t.token_hash,
             to_timestamp(t.issued_at), to_timestamp(t.expires_at), t.event_id
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[], $9::bigint[], $10::bigint[], $11::text[])
          AS t(jti, grant_id, grant_type, client_id, subject, scope, audience, token_hash, issued_at, expires_at, event_id)
      ON CONFLICT (jti, expires_at) DO NOTHING`,
    values: [
      column((e) => e.data.jti),
      column((e) => e.data.grantId),
      column((e) => e.data.grantType),
      column((e) => e.data.clientId),
      column((e) => e.data.sub),
      column((e) => e.data.scope),
      column((e) => JSON.stringify(e.data.audience)),
      column((e) => e.data.tokenHash),
      column((e) => e.data.issuedAt),
      column((e) => e.data.expiresAt),
      column((e) => e.id),
    ],
  };
}
