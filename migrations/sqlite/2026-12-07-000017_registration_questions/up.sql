-- A series' own questions on its registration form (issue 17). A question
-- is never deleted once asked: removing it archives it, so its answers stay.
CREATE TABLE registration_questions (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id),
    position INTEGER NOT NULL,
    -- text, choice, choices or yes_no
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    help TEXT NOT NULL DEFAULT '',
    -- The choices offered, a JSON array of text ('[]' for text and yes/no).
    choices TEXT NOT NULL DEFAULT '[]',
    required BOOLEAN NOT NULL DEFAULT FALSE,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX registration_questions_series ON registration_questions (series_id, position);

-- One answer per registration and question: the answer's text as given
-- (several choices as a JSON array), so renaming a choice keeps it.
CREATE TABLE registration_answers (
    id INTEGER PRIMARY KEY,
    registration_id INTEGER NOT NULL REFERENCES registrations(id),
    question_id INTEGER NOT NULL REFERENCES registration_questions(id),
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (registration_id, question_id)
);
CREATE INDEX registration_answers_question ON registration_answers (question_id);
