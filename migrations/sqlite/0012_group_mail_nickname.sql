-- A group's mail nickname, which Graph's POST /groups requires and returns
-- (security groups have one too, though they get no mailbox). Groups made
-- on the portal's New group page have none.
ALTER TABLE groups ADD COLUMN mail_nickname TEXT;
