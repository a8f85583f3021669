-- The organization's language: what guests read when neither the
-- invitation nor the guest names one (an ISO 639-1 code).
ALTER TABLE organization ADD COLUMN language TEXT NOT NULL DEFAULT 'en';

-- A user's preferred language (Graph's preferredLanguage), a BCP 47 tag.
ALTER TABLE users ADD COLUMN preferred_language TEXT;

-- invitations.language (since 0002) now holds the language the invitation
-- was sent in; '' when it followed the organization's at the time.
