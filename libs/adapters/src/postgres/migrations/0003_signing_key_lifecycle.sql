-- Signing key lifecycle: pending -> active -> retired -> revoked, on a schedule (libs/token).
-- Rows of 0001 keep working: an active key stays active (activates_at = when it was published or
-- created), and its oauth.signing_key.activated.v1 is sent by the next rotation pass (announced = 'pending').

ALTER TABLE signing_keys DROP CONSTRAINT IF EXISTS signing_keys_status_check;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check CHECK (status IN ('pending', 'active', 'retired', 'revoked'));
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_alg_check CHECK (alg IN ('ES256', 'EdDSA', 'RS256', 'PS256'));

-- When the key starts signing; every replica switches at this instant, without a database read.
ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz;
-- When it stopped signing, and when it leaves the JWK Set (retired_at + the longest access-token lifetime).
ALTER TABLE signing_keys ADD COLUMN retired_at timestamptz;
ALTER TABLE signing_keys ADD COLUMN unpublish_at timestamptz;
ALTER TABLE signing_keys ADD COLUMN revoked_at timestamptz;
-- The last lifecycle state whose event the log acknowledged (outbox: the rotation pass sends what lags).
ALTER TABLE signing_keys ADD COLUMN announced text CHECK (announced IN ('pending', 'active', 'retired', 'revoked'));

UPDATE signing_keys SET activates_at = coalesce(published_at, created_at);
UPDATE signing_keys SET retired_at = created_at, unpublish_at = created_at WHERE status = 'retired';
UPDATE signing_keys SET announced = 'pending' WHERE published_at IS NOT NULL;

-- At most one key waiting to become active (the rotation lock already ensures it; this is the backstop).
CREATE UNIQUE INDEX signing_keys_one_pending ON signing_keys (status) WHERE status = 'pending';
