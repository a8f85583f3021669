-- External collaboration settings, kept with the organization.
ALTER TABLE organization ADD COLUMN otp_at_redemption INTEGER NOT NULL DEFAULT 1;
ALTER TABLE organization ADD COLUMN guests_may_leave INTEGER NOT NULL DEFAULT 1;
ALTER TABLE organization ADD COLUMN guest_session_hours BIGINT NOT NULL DEFAULT 24;

-- One-time passcodes for redemption and for guest sign-in; only the
-- code's HMAC is stored.
CREATE TABLE one_time_codes (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('redeem', 'signin')),
    address_lower TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    code_digest TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX one_time_codes_lookup_idx ON one_time_codes (address_lower, purpose, created_at);

-- What a guest agreed to on Review permissions, and when.
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    consented_at BIGINT NOT NULL,
    terms_version BIGINT NOT NULL
);
CREATE INDEX consents_user_idx ON consents (user_id, consented_at);
