//! The Workforce ECHO: cohorts of an ECHO program (a series of kind
//! `echo`) with their sessions, applications to join a cohort, the
//! participant's page reached by a magic link, and case submissions.
//!
//! Three features, each a folder: `enrollment` (applying, the decisions,
//! the participant's link and pages, session-change notices), `cases`
//! (submission, screening, review, recommendations) and `completion` (the
//! attendance threshold). What all three hang on is this folder's own
//! floor: `cohorts` and `cohort_sessions`, `participants` (who is in a
//! cohort), `facilitators` (who runs it, the check every route makes),
//! `fields`, the cohorts' admin (`organizer`) and `personal` data. The floor
//! imports none of the three; `enrollment` (whose pages show a
//! participant's cases and progress) reads `cases` and `completion` only
//! through their `mod.rs`.

pub mod cases;
pub mod cohort_sessions;
pub mod cohorts;
pub mod completion;
pub mod enrollment;
pub mod facilitators;
pub mod fields;
pub mod organizer;
pub mod participants;
pub mod personal;

pub use cohort_sessions::Retitle;
/// Participants hear of their sessions' changes through this: the
/// session-change fan-out (`organizer::manage`) calls it.
pub use enrollment::notify;

use crate::web::routes::Routes;

/// The ECHO's routes: each feature's, then the cohorts' own (their admin,
/// their sessions' details, their facilitators). `retitle` is how a
/// session takes a new didactic topic's title: the composition's session
/// change, handed in by `app.rs`.
pub fn routes(r: &mut Routes, retitle: Retitle) {
    r.configure(cases::routes)
        .configure(completion::routes)
        .configure(enrollment::routes)
        .configure(organizer::routes)
        .configure(|r| cohort_sessions::routes(r, retitle))
        .configure(facilitators::routes);
}
