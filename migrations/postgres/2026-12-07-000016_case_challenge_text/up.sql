-- The challenge in the presenter's words, beside its category: the case
-- form's intro asks for it. Personal data (export and erase in echo's part).
ALTER TABLE cases ADD COLUMN challenge_text TEXT NOT NULL DEFAULT '';
