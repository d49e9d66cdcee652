-- One message an organizer wrote to a group (a session's registrants, or a
-- working group), kept once per key: a form sent twice sends once. What it
-- said is the organizer's, not a recipient's; who got it is in the outbox.
CREATE TABLE group_messages (
    id INTEGER PRIMARY KEY,
    message_key TEXT NOT NULL UNIQUE,
    -- A session's registrants (audience: registered | waitlisted | both) ...
    session_id BIGINT REFERENCES sessions(id),
    -- ... or a working group (audience: working_group).
    lever TEXT,
    audience TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    recipients BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Working groups: when an organizer got in touch, and the private link
-- that leaves the group (SHA-256 and sealed copy, as src/web/links.rs).
ALTER TABLE working_group_interests ADD COLUMN contacted_at TIMESTAMP;
ALTER TABLE working_group_interests ADD COLUMN token_hash TEXT;
ALTER TABLE working_group_interests ADD COLUMN token_sealed TEXT;
CREATE UNIQUE INDEX working_group_interests_token ON working_group_interests (token_hash);
