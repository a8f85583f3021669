-- All users reads only live users, so its indexes are partial and carry the
-- columns its filters test: a page, a search or a capped count ("10,000+")
-- is answered from the index alone, without visiting the rows.
-- Name order, for pages, the name half of a search and the counts:
CREATE INDEX users_live_name_idx ON users (display_name_lower, id, mail_lower, user_type, external_user_state)
    WHERE deleted_at IS NULL;
-- Name order within one user type:
CREATE INDEX users_live_type_idx ON users (user_type, display_name_lower, id, mail_lower, external_user_state)
    WHERE deleted_at IS NULL;
-- Mail order, for the mail half of a search:
CREATE INDEX users_live_mail_idx ON users (mail_lower, display_name_lower, id, user_type, external_user_state)
    WHERE deleted_at IS NULL AND mail_lower IS NOT NULL;
-- Superseded by the first two.
DROP INDEX users_list_idx;
DROP INDEX users_type_list_idx;
