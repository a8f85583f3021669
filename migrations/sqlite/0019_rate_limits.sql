-- Rate limits in the database: one row per limited key holding the
-- theoretical arrival time of a GCRA, in milliseconds since the Unix epoch.
-- A portal on SQLite is one process and counts its limits in memory; the
-- table exists so the same statements run on both stores (PostgreSQL's
-- copy is UNLOGGED and shared by every instance).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat_ms);
