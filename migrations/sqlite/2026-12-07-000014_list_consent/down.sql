ALTER TABLE subscriptions DROP COLUMN consent_at;
ALTER TABLE subscriptions DROP COLUMN consent_source;
