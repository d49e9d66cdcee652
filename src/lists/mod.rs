//! Mailing lists with double opt-in: the subscribe form, the confirmation
//! link, and one-click unsubscribe (RFC 8058). The lists are configured
//! (`[lists]`); a series names the list whose subscribers it invites.

pub mod domain;
pub mod handlers;
pub mod personal;
pub mod store;

pub use store::{upsert_contact, Contact};
