-- Feedback after each session (issue 17). The evaluation's questions are a
-- series' questions like its registration form's: `form` says which form
-- asks one, and `role` marks the questions the reports count (rating,
-- usefulness, take_back, lever, topics, present; '' for the series' own).
ALTER TABLE registration_questions ADD COLUMN form TEXT NOT NULL DEFAULT 'registration';
ALTER TABLE registration_questions ADD COLUMN role TEXT NOT NULL DEFAULT '';

-- One evaluation per registrant (through their own link) and any number of
-- anonymous ones (the session's public link, registration_id NULL).
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    registration_id INTEGER REFERENCES registrations(id),
    -- They said they would take something back to their organization: they
    -- are asked, once, what came of it (registrants only).
    took_back BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- "What came of it", asked follow_up_days after the session.
    since_asked_at TIMESTAMP,
    since_answered_at TIMESTAMP,
    acted_on BOOLEAN,
    -- The levers it moved, a JSON array of lever codes.
    since_levers TEXT NOT NULL DEFAULT '[]',
    since_changed TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX evaluations_registration ON evaluations (registration_id);
CREATE INDEX evaluations_session ON evaluations (session_id);

-- One answer per evaluation and question, as given (several choices as a
-- JSON array), like registration_answers.
CREATE TABLE evaluation_answers (
    id INTEGER PRIMARY KEY,
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
    question_id INTEGER NOT NULL REFERENCES registration_questions(id),
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (evaluation_id, question_id)
);
CREATE INDEX evaluation_answers_question ON evaluation_answers (question_id);
