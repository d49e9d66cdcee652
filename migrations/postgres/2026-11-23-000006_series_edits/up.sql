-- The series defaults an organizer has taken over from config, as
-- ",title,capacity,": the scheduler's upsert keeps these columns as they are
-- (`edited_fields LIKE '%,title,%'`) instead of writing config's values.
ALTER TABLE series ADD COLUMN edited_fields TEXT NOT NULL DEFAULT '';
