-- Who invited a guest (Entra's invitedBy).
ALTER TABLE users ADD COLUMN invited_by TEXT;

-- One row per ticket ever issued; only the ticket's HMAC is stored.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_digest TEXT NOT NULL,
    invited_email TEXT NOT NULL,
    redirect_url TEXT,
    send_invite_message INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    cc_recipient TEXT,
    language TEXT NOT NULL DEFAULT 'en',
    invited_by TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'redeemed', 'replaced')),
    created_at BIGINT NOT NULL,
    redeemed_at BIGINT,
    replaced_at BIGINT
);
CREATE UNIQUE INDEX invitations_ticket_digest_key ON invitations (ticket_digest);
CREATE INDEX invitations_user_idx ON invitations (user_id, created_at);

-- Addresses whose owners chose Block future invitations.
CREATE TABLE blocked_addresses (
    address_lower TEXT COLLATE "C" PRIMARY KEY,
    blocked_at BIGINT NOT NULL
);

-- One-time form keys: a double-submitted form acts once.
CREATE TABLE form_submissions (
    form_key TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- All users filtered by user type, still in name order.
CREATE INDEX users_type_list_idx ON users (user_type, display_name_lower, id);
