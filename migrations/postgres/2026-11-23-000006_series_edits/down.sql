ALTER TABLE series DROP COLUMN edited_fields;
