DROP INDEX working_group_interests_token;
ALTER TABLE working_group_interests DROP COLUMN token_sealed;
ALTER TABLE working_group_interests DROP COLUMN token_hash;
ALTER TABLE working_group_interests DROP COLUMN contacted_at;
DROP TABLE group_messages;
