//! Completing a cohort (issue #6): per approved person, how many of the
//! cohort's sessions they attended against its threshold. The rule is
//! `assess`, a plain function; `load` reads what it needs in a fixed
//! number of queries; the facilitators see the list as JSON, as a CSV and
//! on the cohort's page, and each participant sees their own on theirs.
//!
//! Observers are held to the same threshold (their page promises it), and
//! are listed apart from the participants who present cases.

pub mod handlers;
pub mod list;
pub mod rule;

pub use handlers::routes;
pub use list::{load, visits, Completion, CompletionList, Standing, Visit};
pub use rule::{assess, needed, Meeting, Progress, Status};
