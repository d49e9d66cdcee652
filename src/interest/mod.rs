//! The public interest form (`/interest`): join the mailing list (double
//! opt-in), propose to present at a Jam (an organizer queue, accepted into a
//! session's lineup or declined with a message), or join a working group on
//! one lever of change.

pub mod domain;
pub mod handlers;
pub mod pages;
pub mod personal;
pub mod store;
