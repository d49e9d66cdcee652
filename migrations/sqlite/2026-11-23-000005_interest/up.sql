-- The public interest form: proposals to present (an organizer queue) and
-- interest in a working group on one lever of change.
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    topic TEXT NOT NULL,
    abstract TEXT NOT NULL,
    -- Lever codes, comma-separated (src/lineup/levers.rs).
    levers TEXT NOT NULL,
    -- Months the proposer prefers, "YYYY-MM", comma-separated.
    preferred_months TEXT NOT NULL,
    -- pending | accepted | declined
    status TEXT NOT NULL,
    decision_message TEXT,
    -- Where an accepted proposal went.
    session_id BIGINT REFERENCES sessions(id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX proposals_status ON proposals (status, created_at);

CREATE TABLE working_group_interests (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    lever TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (person_id, lever)
);
