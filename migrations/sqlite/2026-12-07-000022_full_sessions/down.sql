DROP TABLE full_sessions;
