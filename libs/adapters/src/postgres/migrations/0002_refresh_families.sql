-- Refresh token families (RFC 9700 §4.14.2): state of the token service, like signing_keys, but every
-- change to it is also an event (oauth.refresh_token.issued.v1 / rotated.v1 / reuse_detected.v1,
-- oauth.grant.revoked.v1), published and acknowledged inside the transaction that makes it, so the
-- rows can be rebuilt from the log (evolveRefreshFamily in libs/oauth). Only the grace_* columns are
-- not in the log: a rebuilt family has no grace window open, which is the safe side.
-- Tokens are stored by their SHA-256 only.
CREATE TABLE refresh_families (
  family_id          text PRIMARY KEY,
  grant_id           text NOT NULL,
  client_id          text NOT NULL,
  subject            text NOT NULL,
  scope              text NOT NULL,
  audience           text[] NOT NULL,
  auth_time          bigint,
  -- The generation of the family's only valid token, and its hash.
  generation         integer NOT NULL,
  current_token_hash text NOT NULL,
  created_at         timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  idle_expires_at    timestamptz NOT NULL,
  revoked_at         timestamptz,
  -- REFRESH_GRACE_SECONDS: until grace_until, a retry of grace_parent_hash receives the same child,
  -- kept AES-256-GCM sealed under the key-encryption key (never in plaintext), bound to its family and generation.
  grace_parent_hash  text,
  grace_until        timestamptz,
  grace_child_sealed text
);
CREATE INDEX refresh_families_grant_idx ON refresh_families (grant_id);

-- Every refresh token ever issued, by hash: tells a reused (rotated) token from an unknown one.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,
  family_id   text NOT NULL REFERENCES refresh_families (family_id) ON DELETE CASCADE,
  generation  integer NOT NULL,
  issued_at   timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Grants revoked (code replay, refresh token reuse, later RFC 7009): a family created for a grant
-- after its revocation (a replay racing the first redemption) is refused.
CREATE TABLE revoked_grants (
  grant_id    text PRIMARY KEY,
  client_id   text NOT NULL,
  reason      text NOT NULL,
  revoked_at  timestamptz NOT NULL
);
