-- Projection of oauth.consent.granted.v1: what each user agreed each client may have (the union of
-- every consent given). Written by the projector (revocation service) and, for read-your-writes, by the
-- authorize service right after the event is acknowledged; both with the same idempotent upsert.
CREATE TABLE consents (
  subject     text NOT NULL,
  client_id   text NOT NULL,
  scopes      text[] NOT NULL,
  granted_at  timestamptz NOT NULL,
  event_id    text NOT NULL,
  PRIMARY KEY (subject, client_id)
);
CREATE INDEX consents_client_idx ON consents (client_id);
