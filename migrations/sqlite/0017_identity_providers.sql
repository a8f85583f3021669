-- OpenID Connect identity providers: guests whose address is in one of a
-- provider's domains sign in there. The discovery document is read when
-- the provider is saved; its issuer and endpoints are kept. The client
-- secret is sealed (AES-256-GCM) under a key derived from the server key.
-- `required`: guests of its domains get no email one-time passcode.
CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    metadata_url TEXT NOT NULL,
    issuer TEXT NOT NULL,
    authorization_endpoint TEXT NOT NULL,
    token_endpoint TEXT NOT NULL,
    jwks_uri TEXT NOT NULL,
    client_id TEXT NOT NULL,
    sealed_client_secret TEXT NOT NULL,
    scope TEXT NOT NULL,
    email_claim TEXT NOT NULL,
    required BIGINT NOT NULL DEFAULT 0,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One domain belongs to one provider.
CREATE TABLE identity_provider_domains (
    domain TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE
);
CREATE INDEX identity_provider_domains_provider_idx ON identity_provider_domains (provider_id);

-- A user's account at a provider, by (issuer, subject): never by email.
-- Deleting the provider drops the link (the guest falls back to the code).
CREATE TABLE user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user_idx ON user_identities (user_id);
