-- Series, their sessions, people, registrations and the mail outbox.
-- Timestamps are UTC; ids are 64-bit.
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    timezone TEXT NOT NULL,
    start_time TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    rule TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    join_url TEXT NOT NULL,
    organizer_name TEXT NOT NULL,
    organizer_email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id),
    uid TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    timezone TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    join_url TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled',
    sequence INTEGER NOT NULL DEFAULT 0,
    -- The rule's local date this session was generated for (NULL for a
    -- one-off event): generation is idempotent on it even after a reschedule.
    occurrence_date DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (series_id, occurrence_date)
);
CREATE INDEX sessions_starts_at ON sessions (starts_at);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    organization TEXT NOT NULL,
    job_title TEXT NOT NULL,
    sector TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    token TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    subscribe BOOLEAN NOT NULL,
    calendar_sequence INTEGER NOT NULL DEFAULT 0,
    confirmations_sent INTEGER NOT NULL DEFAULT 0,
    last_confirmation_at TIMESTAMP,
    waitlisted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, person_id)
);
CREATE INDEX registrations_session_status ON registrations (session_id, status);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL,
    recipient TEXT NOT NULL,
    context TEXT NOT NULL,
    calendar TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
