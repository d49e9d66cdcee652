-- The Workforce ECHO: cohorts of a program (a series of kind `echo`), their
-- sessions' ECHO details, applications to join a cohort, and the cases
-- participants submit for discussion.
CREATE TABLE cohorts (
    id INTEGER PRIMARY KEY,
    series_id BIGINT NOT NULL REFERENCES series(id),
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    -- RFC 5545 rule, evaluated in `timezone` at `start_time` ("HH:MM").
    rule TEXT NOT NULL,
    timezone TEXT NOT NULL,
    start_time TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    join_url TEXT NOT NULL,
    applications_open_on DATE NOT NULL,
    applications_close_on DATE NOT NULL,
    -- Share of sessions attended to complete the cohort, in percent.
    completion_percent INTEGER NOT NULL,
    -- Case presentations per session, by default.
    case_slots INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The ECHO side of a cohort's session (the session row holds the time).
CREATE TABLE echo_sessions (
    session_id BIGINT PRIMARY KEY REFERENCES sessions(id),
    cohort_id BIGINT NOT NULL REFERENCES cohorts(id),
    occurrence_date DATE NOT NULL,
    didactic_topic TEXT NOT NULL,
    faculty_name TEXT NOT NULL,
    faculty_email TEXT NOT NULL,
    case_slots INTEGER NOT NULL,
    UNIQUE (cohort_id, occurrence_date)
);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    cohort_id BIGINT NOT NULL REFERENCES cohorts(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    -- cmhc | sud-provider | state-association | other
    organization_type TEXT NOT NULL,
    -- participant (presents a case) | observer
    role TEXT NOT NULL,
    hopes_to_bring TEXT NOT NULL,
    hopes_to_learn TEXT NOT NULL,
    -- pending | approved | waitlisted | declined
    status TEXT NOT NULL,
    decision_message TEXT,
    decided_at TIMESTAMP,
    -- The participant page's magic link, once approved.
    access_token TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (cohort_id, person_id)
);
CREATE INDEX applications_status ON applications (cohort_id, status, created_at);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    cohort_id BIGINT NOT NULL REFERENCES cohorts(id),
    title TEXT NOT NULL,
    organization_type TEXT NOT NULL,
    size_band TEXT NOT NULL,
    setting TEXT NOT NULL,
    state TEXT NOT NULL,
    challenge TEXT NOT NULL,
    tried TEXT NOT NULL,
    question TEXT NOT NULL,
    levers TEXT NOT NULL,
    preferred_session_id BIGINT REFERENCES sessions(id),
    attested BOOLEAN NOT NULL,
    -- submitted | accepted | revision_requested | declined
    status TEXT NOT NULL,
    -- Each resubmission counts one more.
    revision INTEGER NOT NULL,
    -- The session whose case slot it was scheduled into.
    session_id BIGINT REFERENCES sessions(id),
    review_message TEXT,
    -- The hub's recommendations (Markdown), after the session.
    recommendations TEXT,
    recommendations_at TIMESTAMP,
    follow_up_due_at TIMESTAMP,
    follow_up_sent_at TIMESTAMP,
    follow_up_answer TEXT,
    follow_up_answered_at TIMESTAMP,
    submitted_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_cohort ON cases (cohort_id, status);
CREATE INDEX cases_follow_up ON cases (follow_up_due_at);

CREATE TABLE case_attachments (
    case_id BIGINT PRIMARY KEY REFERENCES cases(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
