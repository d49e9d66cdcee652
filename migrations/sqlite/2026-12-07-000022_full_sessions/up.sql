-- Sessions known to be full (issue 18): while a session is listed here,
-- a registration joins its waitlist after one probe of this table instead
-- of counting the session's places. A registration lists the session when
-- it finds every place held (they stay held until a write that holds the
-- session's exclusive lock frees one), and whatever frees a place or
-- raises the capacity takes it off (src/registration/store/places.rs).
CREATE TABLE full_sessions (
    session_id BIGINT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE
);
