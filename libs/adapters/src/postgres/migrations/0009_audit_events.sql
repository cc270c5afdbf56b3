-- The audit index (libs/projections/src/audit-events.projection.ts): every event of the log, its
-- envelope as the log holds it (ids and sha256 hashes, never a secret) and the columns an auditor
-- asks by. `user_subject` is the resource owner: taken from the event, or for events that do not name
-- one (a grant revocation after the code's replay window, a rotation, a reuse detection) from the
-- grant's other events, whichever was projected first. Partitioned by the event's time (monthly
-- partitions made ahead by the partition maintenance of the projector host); old partitions are
-- dropped only when AUDIT_INDEX_RETENTION is set (default: kept, like the log).
-- Idempotent by event id: an event's time never changes, so (event_id, event_time) is its identity.
CREATE TABLE audit_events (
  event_id      text NOT NULL,
  event_time    timestamptz NOT NULL,
  type          text NOT NULL,
  -- The topic without the deployment's prefix (contracts' Topics).
  topic         text NOT NULL,
  -- The envelope's subject: the Kafka key (grant id, kid, client id, user, username hash).
  aggregate     text NOT NULL,
  user_subject  text,
  client_id     text,
  grant_id      text,
  envelope      json NOT NULL,
  PRIMARY KEY (event_id, event_time)
) PARTITION BY RANGE (event_time);
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
CREATE INDEX audit_events_time_idx ON audit_events (event_time, event_id);
CREATE INDEX audit_events_user_idx ON audit_events (user_subject, event_time, event_id);
CREATE INDEX audit_events_client_idx ON audit_events (client_id, event_time, event_id);
CREATE INDEX audit_events_grant_idx ON audit_events (grant_id, event_time, event_id);
