ALTER TABLE series DROP COLUMN origin;
ALTER TABLE series DROP COLUMN recurring;
ALTER TABLE series DROP COLUMN reminders;
ALTER TABLE series DROP COLUMN invitations;
ALTER TABLE series DROP COLUMN list_slug;
ALTER TABLE series DROP COLUMN baseline;
