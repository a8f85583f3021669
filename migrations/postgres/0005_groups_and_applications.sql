-- Groups: Assigned (members added by hand) or Dynamic User (members
-- computed from a membership rule and kept up to date).
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    display_name_lower TEXT COLLATE "C" NOT NULL,
    description TEXT,
    membership_type TEXT NOT NULL CHECK (membership_type IN ('Assigned', 'DynamicUser')),
    membership_rule TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX groups_list_idx ON groups (display_name_lower, id);
CREATE INDEX groups_dynamic_idx ON groups (membership_type);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
-- My Apps and a user's profile look memberships up by user.
CREATE INDEX group_members_user_idx ON group_members (user_id, group_id);

-- Enterprise applications, from the gallery or custom.
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    display_name_lower TEXT COLLATE "C" NOT NULL,
    gallery_key TEXT,
    homepage_url TEXT,
    notes TEXT,
    logo_type TEXT,
    logo TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    visible_to_users INTEGER NOT NULL DEFAULT 1,
    assignment_required INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_list_idx ON applications (display_name_lower, id);

-- App roles; every application has Default Access.
CREATE TABLE app_roles (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    description TEXT,
    value TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX app_roles_app_idx ON app_roles (app_id, display_name);

-- A user or a group holds an app role.
CREATE TABLE app_role_assignments (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    app_role_id TEXT NOT NULL REFERENCES app_roles (id) ON DELETE CASCADE,
    principal_type TEXT NOT NULL CHECK (principal_type IN ('User', 'Group')),
    principal_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX app_role_assignments_key ON app_role_assignments (app_id, principal_type, principal_id, app_role_id);
-- My Apps looks assignments up by principal.
CREATE INDEX app_role_assignments_principal_idx ON app_role_assignments (principal_id, app_id);
