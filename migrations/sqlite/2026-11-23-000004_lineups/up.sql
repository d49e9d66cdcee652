-- Presenter lineups of sessions and the sessions' levers of change.
CREATE TABLE lineup_slots (
    id INTEGER PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions(id),
    -- 1, 2, 3 … in the order people appear.
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    -- presenter | moderator | panelist
    role TEXT NOT NULL,
    talk_title TEXT NOT NULL DEFAULT '',
    abstract TEXT NOT NULL DEFAULT '',
    minutes INTEGER,
    bio TEXT NOT NULL DEFAULT '',
    -- Lever-of-change codes (src/lineup/levers.rs), comma-separated.
    levers TEXT NOT NULL DEFAULT '',
    -- draft (not yet invited) | invited | confirmed | declined | withdrawn
    status TEXT NOT NULL,
    -- The accept/decline link's secret; a new one per invitation sent.
    response_token TEXT UNIQUE,
    token_expires_at TIMESTAMP,
    -- Invitations sent so far: numbers their outbox keys.
    invitations_sent INTEGER NOT NULL DEFAULT 0,
    invited_at TIMESTAMP,
    responded_at TIMESTAMP,
    reminded_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX lineup_slots_session ON lineup_slots (session_id, position);
CREATE INDEX lineup_slots_waiting ON lineup_slots (status, invited_at);

-- A session's levers of change (codes from src/lineup/levers.rs).
CREATE TABLE session_levers (
    session_id BIGINT NOT NULL REFERENCES sessions(id),
    lever TEXT NOT NULL,
    PRIMARY KEY (session_id, lever)
);
