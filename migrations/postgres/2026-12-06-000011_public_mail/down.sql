DROP INDEX outbox_public_recipient;
ALTER TABLE outbox DROP COLUMN origin;
