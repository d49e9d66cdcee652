-- Organizer accounts and the audit log of their changes.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- admin | organizer | facilitator
    role TEXT NOT NULL,
    -- argon2id PHC string
    password_hash TEXT NOT NULL,
    -- Every token carries the version it was issued under; bumping it
    -- (sign-out, disable, new password) revokes them all.
    token_version INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    disabled_at TIMESTAMP,
    last_login_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    -- NULL: done from the command line (actor says so).
    user_id BIGINT REFERENCES users(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    -- What was changed, e.g. "session:12", "user:3".
    subject TEXT NOT NULL,
    before TEXT,
    after TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
