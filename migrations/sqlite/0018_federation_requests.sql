-- A sign-in sent to an identity provider, waiting for the browser to come
-- back. Kept here rather than in the session cookie, which an old copy of
-- the cookie could replay: found by the digest of its `state`, deleted by
-- the callback that uses it (once), and worth nothing after `expires_at`.
-- The browser's session holds the `state` too, so the callback must come
-- back to the browser that left.
CREATE TABLE federation_requests (
    state_digest TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    address TEXT NOT NULL,
    sign_in BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX federation_requests_expiry_idx ON federation_requests (expires_at);
