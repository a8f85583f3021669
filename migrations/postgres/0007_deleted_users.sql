-- Deleted users: newest deletion first, paged by (deleted_at, id), and the
-- purge job's search for users deleted before a cutoff. Partial, so the
-- index holds only the soft-deleted rows.
CREATE INDEX users_deleted_idx ON users (deleted_at, id) WHERE deleted_at IS NOT NULL;
