-- Every issued access token is one access_tokens row (the busiest projection), so each index is paid on
-- every token. Two had no reader: the grant index (the connected-apps queries read by subject and by
-- client, migration 0008; the audit trail reads audit_events) and the unique event id (a row per jti is
-- already unique by the primary key, which is what ON CONFLICT keeps idempotent: one event names one jti).
-- Measured in docs/benchmarks.md ("Projection writes").
ALTER TABLE access_tokens DROP CONSTRAINT IF EXISTS access_tokens_event_id_expires_at_key;
DROP INDEX IF EXISTS access_tokens_grant_idx;
