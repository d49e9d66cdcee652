DROP TABLE evaluation_answers;
DROP TABLE evaluations;
ALTER TABLE registration_questions DROP COLUMN role;
ALTER TABLE registration_questions DROP COLUMN form;
