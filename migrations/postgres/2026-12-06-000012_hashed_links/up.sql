-- Private links are kept as the SHA-256 of their token (every lookup is by
-- hash) and a copy sealed under the link key (for mail written later); see
-- src/links.rs. Tokens made before this migration are converted when the
-- service next starts (links::convert_legacy), which needs the key.
ALTER TABLE registrations RENAME COLUMN token TO token_hash;
ALTER TABLE registrations ADD COLUMN token_sealed TEXT;
ALTER TABLE subscriptions RENAME COLUMN token TO token_hash;
ALTER TABLE subscriptions ADD COLUMN token_sealed TEXT;
ALTER TABLE subscriptions RENAME COLUMN confirm_token TO confirm_token_hash;
ALTER TABLE subscriptions ADD COLUMN confirm_token_sealed TEXT;
ALTER TABLE lineup_slots RENAME COLUMN response_token TO response_token_hash;
ALTER TABLE lineup_slots ADD COLUMN response_token_sealed TEXT;
ALTER TABLE applications RENAME COLUMN access_token TO access_token_hash;
ALTER TABLE applications ADD COLUMN access_token_sealed TEXT;
