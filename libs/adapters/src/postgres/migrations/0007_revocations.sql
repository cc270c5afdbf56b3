-- Projection of oauth.grant.revoked.v1 and oauth.access_token.revoked.v1 (topic oauth.revocations):
-- the revocations still in force. A replica of introspection or token starts by loading the rows whose
-- covers_until is still ahead, with this projection's position in projection_positions (one snapshot),
-- then tails the topic from that position: no gap, no replay of the whole log.
-- A row may go once covers_until has passed (the tokens it covers have expired).
CREATE TABLE revocations (
  kind          text NOT NULL CHECK (kind IN ('grant', 'token')),
  -- The grant id (kind grant) or the access token's jti (kind token).
  id            text NOT NULL,
  grant_id      text NOT NULL,
  client_id     text NOT NULL,
  subject       text,
  reason        text NOT NULL,
  revoked_at    timestamptz NOT NULL,
  covers_until  timestamptz NOT NULL,
  event_id      text NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX revocations_covers_until_idx ON revocations (covers_until);
CREATE INDEX revocations_client_idx ON revocations (client_id);
