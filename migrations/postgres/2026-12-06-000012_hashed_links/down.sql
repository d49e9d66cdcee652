-- Hashes cannot be turned back into tokens: links made or converted since
-- the up migration stop working after this.
ALTER TABLE applications DROP COLUMN access_token_sealed;
ALTER TABLE applications RENAME COLUMN access_token_hash TO access_token;
ALTER TABLE lineup_slots DROP COLUMN response_token_sealed;
ALTER TABLE lineup_slots RENAME COLUMN response_token_hash TO response_token;
ALTER TABLE subscriptions DROP COLUMN confirm_token_sealed;
ALTER TABLE subscriptions RENAME COLUMN confirm_token_hash TO confirm_token;
ALTER TABLE subscriptions DROP COLUMN token_sealed;
ALTER TABLE subscriptions RENAME COLUMN token_hash TO token;
ALTER TABLE registrations DROP COLUMN token_sealed;
ALTER TABLE registrations RENAME COLUMN token_hash TO token;
