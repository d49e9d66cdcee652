DROP TABLE outbox;
DROP TABLE registrations;
DROP TABLE people;
DROP TABLE sessions;
DROP TABLE series;
