-- The directory's tenant ID (Entra's `tid`): a random UUID, part of the
-- OpenID Connect issuer and of every token. New organizations get theirs
-- when the row is first written.
ALTER TABLE organization ADD COLUMN tenant_id TEXT;
UPDATE organization SET tenant_id = gen_random_uuid()::text WHERE tenant_id IS NULL;

-- Applications sign users in through Vestibule (OpenID Connect).
--
-- `sso_mode`: Disabled (no tile link), Linked (the tile opens the homepage,
-- what every application did before) or OpenIdConnect. `client_id` is the
-- Application (client) ID, given when the application first turns to
-- OpenID Connect and kept afterwards. `login_url` is the sign-on
-- (login-initiation) URL My Apps opens for OpenID Connect applications.
ALTER TABLE applications ADD COLUMN sso_mode TEXT NOT NULL DEFAULT 'Linked';
ALTER TABLE applications ADD COLUMN client_id TEXT;
ALTER TABLE applications ADD COLUMN login_url TEXT;
ALTER TABLE applications ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256';
CREATE UNIQUE INDEX applications_client_id_key ON applications (client_id);

-- Exact redirect URIs: where codes go (Redirect) and where logout may
-- return (PostLogout).
CREATE TABLE app_redirect_uris (
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('Redirect', 'PostLogout')),
    uri TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, kind, uri)
);

-- Client secrets: only the HMAC digest of the value is kept, and its first
-- characters as a hint.
CREATE TABLE app_client_secrets (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    hint TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX app_client_secrets_app_idx ON app_client_secrets (app_id, created_at);

-- Token signing keys. The private key is sealed under a key derived from
-- the server key; the public half is published in the JWKS while the key
-- signs (retired_at NULL) and until the tokens it signed have expired.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256')),
    sealed_private_key TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX signing_keys_alg_idx ON signing_keys (alg, created_at);

-- What one sign-in at an application gave: the code, then the tokens
-- issued from it. Revoking the grant (a replayed code, a reused refresh
-- token) stops its access and refresh tokens.
CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    session_id TEXT NOT NULL,
    -- The user's session epoch when signing in: signing out of Vestibule,
    -- a new password or a block moves it on and ends the grant too.
    session_epoch BIGINT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_grants_user_idx ON oidc_grants (user_id, app_id);

-- Authorization codes: the digest only, single use (`used_at` is set by a
-- conditional update), bound to the client, redirect URI, PKCE challenge
-- and nonce.
CREATE TABLE authorization_codes (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX authorization_codes_expiry_idx ON authorization_codes (expires_at);

-- Refresh tokens: digests, rotated on each use; an old one used again
-- revokes its grant (the whole family).
CREATE TABLE refresh_tokens (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (grant_id);

-- Sign-in logs: every sign-in to the portal or to an application, success
-- or failure with the reason. Append-only, no foreign keys: a purged user or
-- a deleted application keeps its lines with the names as they were.
CREATE TABLE sign_in_log (
    id TEXT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    user_id TEXT,
    user_name TEXT,
    user_name_lower TEXT,
    app_id TEXT,
    app_name TEXT,
    status TEXT NOT NULL CHECK (status IN ('Success', 'Failure')),
    error_code TEXT,
    failure_reason TEXT,
    client_ip TEXT
);
CREATE INDEX sign_in_log_time_idx ON sign_in_log (occurred_at, id);
CREATE INDEX sign_in_log_user_idx ON sign_in_log (user_name_lower, occurred_at, id);
CREATE INDEX sign_in_log_app_idx ON sign_in_log (app_id, occurred_at, id);
CREATE INDEX sign_in_log_status_idx ON sign_in_log (status, occurred_at, id);
