-- Materials of a session (issue #7): slides, recordings, transcripts, chat
-- logs and other documents, each a stored file or an external link, shown
-- on the Past Jams page (or to a cohort's participants) once published.
CREATE TABLE materials (
    id INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id),
    -- slides | recording | transcript | chat | document
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    presenter TEXT NOT NULL,
    published BOOLEAN NOT NULL,
    -- When it was first published (a follow-up waits for slides or a recording).
    published_at TIMESTAMP,
    -- A link (YouTube, Vimeo, a Zoom cloud recording) ...
    url TEXT,
    -- ... or a stored file, stored under its SHA-256.
    sha256 TEXT,
    size_bytes BIGINT,
    media_type TEXT,
    -- The name it downloads as: made safe, never used as a path.
    filename TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (session_id, sha256)
);
CREATE INDEX materials_session ON materials (session_id);

-- A session's follow-up e-mails to its registrants, claimed once.
CREATE TABLE follow_ups (
    session_id BIGINT PRIMARY KEY REFERENCES sessions(id),
    -- Whether slides or a recording were published when it went.
    with_materials BOOLEAN NOT NULL,
    queued INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The optional "new materials" notice, once, when materials came later.
    notice_at TIMESTAMP
);
