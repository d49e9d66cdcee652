-- Subscribers imported from a list kept elsewhere: where their consent
-- comes from (the organizer's words, per subscription) and when it was
-- recorded here. Empty for those who confirmed by e-mail.
ALTER TABLE subscriptions ADD COLUMN consent_source TEXT;
ALTER TABLE subscriptions ADD COLUMN consent_at TIMESTAMP;
