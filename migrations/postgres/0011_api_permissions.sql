-- An application's API permissions: the Graph-named application
-- permissions it asks for, each inactive until a Global Administrator
-- grants admin consent (`consented_at`). Revoking consent clears it; the
-- API reads these rows on every request, so a change holds at once.
CREATE TABLE app_api_permissions (
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    consented_at BIGINT,
    consented_by TEXT,
    PRIMARY KEY (app_id, permission)
);
