-- Rate limits shared by every instance on this database: one row per
-- limited key (a limit's name and what it counts: an address, an account,
-- an application) holding the theoretical arrival time of a GCRA, in
-- milliseconds since the Unix epoch. A key whose time has passed is fully
-- recovered, so such rows are deleted periodically. UNLOGGED: the counters
-- are written on every limited request, and losing them in a crash only
-- forgives the last minute.
CREATE UNLOGGED TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat_ms);
