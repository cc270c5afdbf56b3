-- Retention by partition (README "Audit" → "Retention"): the growing projections are range-partitioned
-- by the instant their rows stop mattering, so the projector host's partition maintenance drops whole
-- expired partitions instead of deleting rows. Daily partitions are made ahead of time; a DEFAULT
-- partition takes anything outside them (a rebuild's old events, a far expiry) and the maintenance
-- moves rows out of it when it makes a partition for their range.
-- A partitioned table's unique keys must include the partition key: access_tokens is keyed by
-- (jti, expires_at) (a token's expiry never changes, so the projection's ON CONFLICT DO NOTHING is still
-- idempotent by jti); revocations by (kind, id, covers_until), its projection keeping one row per
-- (kind, id) itself (a later deadline moves the row: delete and insert in one statement).
-- The rows are copied through a temporary table in this migration's transaction (large tables: run
-- `npm run migrate`, which has no statement timeout).

CREATE TEMPORARY TABLE access_tokens_copy ON COMMIT DROP AS SELECT * FROM access_tokens;
DROP TABLE access_tokens;
CREATE TABLE access_tokens (
  jti         text NOT NULL,
  grant_id    text NOT NULL,
  grant_type  text NOT NULL,
  client_id   text NOT NULL,
  subject     text NOT NULL,
  scope       text NOT NULL,
  audience    text[] NOT NULL,
  token_hash  text NOT NULL,
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  event_id    text NOT NULL,
  PRIMARY KEY (jti, expires_at),
  UNIQUE (event_id, expires_at)
) PARTITION BY RANGE (expires_at);
CREATE TABLE access_tokens_default PARTITION OF access_tokens DEFAULT;
CREATE INDEX access_tokens_client_idx ON access_tokens (client_id);
CREATE INDEX access_tokens_grant_idx ON access_tokens (grant_id);
CREATE INDEX access_tokens_subject_idx ON access_tokens (subject);
INSERT INTO access_tokens SELECT * FROM access_tokens_copy;

CREATE TEMPORARY TABLE revocations_copy ON COMMIT DROP AS SELECT * FROM revocations;
DROP TABLE revocations;
CREATE TABLE revocations (
  kind          text NOT NULL CHECK (kind IN ('grant', 'token')),
  id            text NOT NULL,
  grant_id      text NOT NULL,
  client_id     text NOT NULL,
  subject       text,
  reason        text NOT NULL,
  revoked_at    timestamptz NOT NULL,
  covers_until  timestamptz NOT NULL,
  event_id      text NOT NULL,
  PRIMARY KEY (kind, id, covers_until)
) PARTITION BY RANGE (covers_until);
CREATE TABLE revocations_default PARTITION OF revocations DEFAULT;
CREATE INDEX revocations_covers_until_idx ON revocations (covers_until);
CREATE INDEX revocations_client_idx ON revocations (client_id);
INSERT INTO revocations SELECT * FROM revocations_copy;
