DROP TABLE case_attachments;
DROP TABLE cases;
DROP TABLE applications;
DROP TABLE echo_sessions;
DROP TABLE cohorts;
