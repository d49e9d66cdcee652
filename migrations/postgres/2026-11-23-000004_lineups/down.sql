DROP TABLE session_levers;
DROP TABLE lineup_slots;
