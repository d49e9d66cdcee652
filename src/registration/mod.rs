//! Registering for a session: the form and its rules, the one-transaction
//! write (person, registration, confirmation in the outbox), the waitlist,
//! and the private manage/cancel link.

pub mod domain;
pub mod handlers;
pub mod messages;
pub mod store;
pub mod token;
