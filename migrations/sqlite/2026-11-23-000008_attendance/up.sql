-- Attendance: who came to a session, from imported reports (Zoom, Teams, a
-- plain list) or marked by hand. One row per person and session.
CREATE TABLE attendance_imports (
    id INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id),
    -- zoom | teams | plain
    source TEXT NOT NULL,
    -- SHA-256 of the file: importing the same file again changes nothing.
    file_sha256 TEXT NOT NULL,
    meeting_id TEXT,
    topic TEXT,
    attendees INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, file_sha256)
);

CREATE TABLE attendance (
    id INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    -- The import that wrote it; NULL when marked by hand.
    import_id BIGINT REFERENCES attendance_imports(id),
    attended BOOLEAN NOT NULL,
    -- UTC, read in the session's zone.
    first_join TIMESTAMP,
    last_leave TIMESTAMP,
    minutes INTEGER NOT NULL,
    joins INTEGER NOT NULL,
    -- False for someone who attended without registering here.
    registered_here BOOLEAN NOT NULL,
    -- host | panelist | attendee
    role TEXT NOT NULL,
    adjusted_by TEXT,
    adjust_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, person_id)
);
CREATE INDEX attendance_person ON attendance (person_id);
