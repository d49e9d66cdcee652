DROP INDEX registrations_session_place;
ALTER TABLE registrations DROP COLUMN place;
