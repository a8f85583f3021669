-- Guest invite settings (Entra's allowInvitesFrom): who may invite guests.
-- Today's behaviour, admin roles only, is the default.
ALTER TABLE organization ADD COLUMN allow_invites_from TEXT NOT NULL DEFAULT 'adminsAndGuestInviters';
