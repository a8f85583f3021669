-- Audit logs: filters by activity, initiator and target, each walking an
-- index in time order. The lower-cased names serve case-insensitive prefix
-- search; `record` fills them from now on, and this backfills older rows.
-- The table stays append-only and has no foreign key to users, so a purged
-- user keeps their audit lines with the name and address as they were.
ALTER TABLE audit_log ADD COLUMN actor_name_lower TEXT COLLATE "C";
ALTER TABLE audit_log ADD COLUMN target_name_lower TEXT COLLATE "C";
UPDATE audit_log SET actor_name_lower = lower(actor_name), target_name_lower = lower(target_name);

CREATE INDEX audit_log_activity_idx ON audit_log (activity, occurred_at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_name_lower, occurred_at, id);
CREATE INDEX audit_log_target_name_idx ON audit_log (target_name_lower, occurred_at, id);
-- Replaces (target_id, occurred_at): the id completes the paging key.
CREATE INDEX audit_log_target_time_idx ON audit_log (target_id, occurred_at, id);
DROP INDEX audit_log_target_idx;
