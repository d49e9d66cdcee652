//! Organizer accounts: argon2id passwords, roles, short-lived JWTs for the
//! API (bearer) and for the organizer pages (an HttpOnly cookie), revocation
//! by a per-user token version, lockout after wrong passwords, and CSRF
//! tokens bound to the page sign-in.

pub mod extract;
pub mod forms;
pub mod handlers;
pub mod password;
pub mod role;
pub mod store;
pub mod tokens;

pub use extract::{ApiUser, PageUser};
pub use role::{Caller, Need, Role, Verdict};
