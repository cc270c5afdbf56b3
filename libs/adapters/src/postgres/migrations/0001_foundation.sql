-- Foundation schema. Projections (rebuildable from the log) and the token service's own state.

-- Where each projection stands in the log, written in the same transaction as its rows.
CREATE TABLE projection_positions (
  projection  text    NOT NULL,
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  "offset"    bigint  NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, topic, partition)
);

-- Projection of oauth.access_token.issued.v1 (one row per token; the value itself is never stored).
CREATE TABLE access_tokens (
  jti         text PRIMARY KEY,
  grant_id    text NOT NULL,
  grant_type  text NOT NULL,
  client_id   text NOT NULL,
  subject     text NOT NULL,
  scope       text NOT NULL,
  audience    text[] NOT NULL,
  token_hash  text NOT NULL,
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  event_id    text NOT NULL UNIQUE
);
CREATE INDEX access_tokens_client_idx ON access_tokens (client_id);
CREATE INDEX access_tokens_grant_idx ON access_tokens (grant_id);

-- Signing keys (state of the token service, not a projection: private keys never go to the log).
-- The private JWK is stored encrypted with AES-256-GCM under KEY_ENCRYPTION_KEY.
CREATE TABLE signing_keys (
  kid                   text PRIMARY KEY,
  alg                   text NOT NULL,
  status                text NOT NULL CHECK (status IN ('active', 'retired')),
  public_jwk            jsonb NOT NULL,
  encrypted_private_jwk text NOT NULL,
  created_at            timestamptz NOT NULL,
  published_at          timestamptz
);
-- At most one active key: concurrent first starts of several token replicas agree on one.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active';
