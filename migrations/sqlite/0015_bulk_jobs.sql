-- Bulk invite jobs (All users > Bulk operations > Bulk invite): the
-- uploaded file, kept from its validation until Submit, then the job's
-- state, claimed by lease by any instance's bulk worker, and one result
-- per row of the file, written in the transaction of the invitations it
-- describes.
CREATE TABLE bulk_jobs (
    id TEXT PRIMARY KEY,
    started_by TEXT NOT NULL,
    started_by_name TEXT NOT NULL,
    client_ip TEXT,
    file_name TEXT NOT NULL,
    file_text TEXT NOT NULL,
    -- validated, queued, running, completed, failed
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    uploaded_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER
);
CREATE INDEX bulk_jobs_started_idx ON bulk_jobs (started_at);
CREATE INDEX bulk_jobs_status_idx ON bulk_jobs (status);

CREATE TABLE bulk_job_rows (
    job_id TEXT NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    row_index INTEGER NOT NULL,
    row_number INTEGER NOT NULL,
    email TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (job_id, row_index)
);
