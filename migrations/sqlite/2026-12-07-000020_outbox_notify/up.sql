-- PostgreSQL's outbox_notify trigger has no SQLite counterpart: SQLite has
-- no LISTEN. A worker is woken by its own process's commits and otherwise
-- looks every `mail.poll_interval_ms` (src/mail/worker.rs). Kept so both
-- backends number their migrations alike.
SELECT 1;
