-- The connected-apps dashboard (libs/revocation/src/dashboard/connected-apps.queries.ts): a user's
-- grants from both tables by subject; an admin's search of a client's grants (access_tokens has its
-- client index since 0001).
CREATE INDEX access_tokens_subject_idx ON access_tokens (subject);
CREATE INDEX refresh_families_subject_idx ON refresh_families (subject);
CREATE INDEX refresh_families_client_idx ON refresh_families (client_id);
