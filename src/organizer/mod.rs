//! What the organizer's pages put together from every feature: the
//! dashboard and session page (`sessions`), the session changes that fan
//! out to each feature (`manage`), and the outbox (`outbox`).

pub mod manage;
pub mod outbox;
pub mod sessions;
