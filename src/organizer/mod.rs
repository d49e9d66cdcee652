//! What the organizer's pages put together from every feature: the
//! dashboard and session page (`sessions`), the session changes that fan
//! out to each feature (`manage`), the outbox (`outbox`), and the series'
//! defaults organizers take over from config (`defaults`).

pub mod defaults;
pub mod manage;
pub mod outbox;
pub mod sessions;
