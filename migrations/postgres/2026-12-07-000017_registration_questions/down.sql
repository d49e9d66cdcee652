DROP TABLE registration_answers;
DROP TABLE registration_questions;
