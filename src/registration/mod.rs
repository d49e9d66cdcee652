//! Registering for a session: the form and its rules, the one-transaction
//! write (person, registration, confirmation in the outbox), the waitlist,
//! the private manage/cancel link, the organizer's view of registrations
//! and a person's data (export, erase).

pub mod changed;
pub mod handlers;
pub mod messages;
pub mod organizer;
pub mod personal;
pub mod store;
