-- A series row owns what run-time code reads of it (issue 17), so a series
-- organizers create in the database works everywhere a configured one does.
-- Config sync writes these for configured series.
-- Registrants a session usually has (the measures' baseline); NULL: none.
ALTER TABLE series ADD COLUMN baseline INTEGER;
-- The mailing list (a key of [lists]) whose subscribers are invited; NULL: none.
ALTER TABLE series ADD COLUMN list_slug TEXT;
-- Offsets before each session, comma-separated like `21d,2d` ('' = none).
ALTER TABLE series ADD COLUMN invitations TEXT NOT NULL DEFAULT '';
ALTER TABLE series ADD COLUMN reminders TEXT NOT NULL DEFAULT '';
-- FALSE for a one-off event (its own dates, rule ''): never generated, not
-- listed as the Jam.
ALTER TABLE series ADD COLUMN recurring BOOLEAN NOT NULL DEFAULT TRUE;
-- 'config' (the configuration writes it) or 'organizer' (created through
-- the organizer pages or API; config never touches it).
ALTER TABLE series ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
