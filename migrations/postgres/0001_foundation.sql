-- The organization that runs this deployment: one row.
CREATE TABLE organization (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    primary_domain TEXT NOT NULL,
    privacy_statement_url TEXT,
    privacy_contact TEXT,
    terms_of_use TEXT,
    terms_version BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- lower(display_name): the sort and prefix-search key of All users
    display_name_lower TEXT COLLATE "C" NOT NULL,
    mail TEXT,
    mail_lower TEXT COLLATE "C",
    user_principal_name TEXT NOT NULL,
    upn_lower TEXT COLLATE "C" NOT NULL,
    user_type TEXT NOT NULL CHECK (user_type IN ('Member', 'Guest')),
    creation_type TEXT,
    external_user_state TEXT CHECK (external_user_state IN ('PendingAcceptance', 'Accepted')),
    external_user_state_changed_at BIGINT,
    company_name TEXT,
    password_hash TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    account_enabled INTEGER NOT NULL DEFAULT 1,
    -- bumped to end every session of the user at its next request
    session_epoch BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);

-- One address, one user, deleted-but-restorable users included.
CREATE UNIQUE INDEX users_mail_lower_key ON users (mail_lower);
CREATE UNIQUE INDEX users_upn_lower_key ON users (upn_lower);
-- All users: keyset paging by (name, id), and prefix search on name.
CREATE INDEX users_list_idx ON users (display_name_lower, id);

CREATE TABLE directory_role_assignments (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    assigned_by TEXT,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX directory_role_assignments_role_idx ON directory_role_assignments (role);

-- Append-only record of who did what to whom.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    activity TEXT NOT NULL,
    category TEXT NOT NULL,
    result TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT,
    target_id TEXT,
    target_name TEXT,
    details TEXT,
    client_ip TEXT
);
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at, id);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, occurred_at);

-- Emails waiting to be sent, committed with the change that caused them.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message_id TEXT NOT NULL,
    -- the whole MIME message; wiped once sent when it carries a secret
    body TEXT,
    carries_secret INTEGER NOT NULL DEFAULT 0,
    priority INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    sent_at BIGINT
);
CREATE INDEX outbox_due_idx ON outbox (status, priority, next_attempt_at);
CREATE INDEX outbox_user_idx ON outbox (user_id, created_at);
