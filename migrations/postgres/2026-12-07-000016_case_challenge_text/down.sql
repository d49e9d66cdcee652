ALTER TABLE cases DROP COLUMN challenge_text;
