//! A series' defaults as organizers edit them (title, description, length,
//! capacity, join link, organizer): config seeds them, and a default an
//! organizer edits belongs to the database from then on — the scheduler's
//! upsert keeps it and new sessions take it — until it is handed back.
//! The schedule (kind, zone, start time, rule) always follows config.

mod rules;

pub use rules::{Defaults, Field};
