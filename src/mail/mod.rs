//! E-mail: the transactional outbox, template rendering, lettre transports
//! and the worker that drains the outbox. Knows nothing of features: a
//! feature enqueues a `NewMessage` naming a template and its data.

pub mod address;
pub mod group;
pub mod outbox;
pub mod rate;
pub mod render;
pub mod smtp;
pub mod transport;
pub mod worker;

pub use address::EmailAddress;
pub use outbox::{CalendarPart, NewMessage};
