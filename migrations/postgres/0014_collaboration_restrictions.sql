-- Collaboration restrictions (Entra's InvitationsAllowedAndBlockedDomainsPolicy):
-- 'any', 'deny' or 'allow', and the target domains, one per line.
ALTER TABLE organization ADD COLUMN invite_domain_policy TEXT NOT NULL DEFAULT 'any';
ALTER TABLE organization ADD COLUMN invite_target_domains TEXT NOT NULL DEFAULT '';
