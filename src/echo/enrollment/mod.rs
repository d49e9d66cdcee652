//! Enrollment in a cohort: applications and the facilitators' decisions,
//! the participant's magic link and the pages it opens, and participants
//! hearing of their sessions' changes.

pub mod applications;
pub mod handlers;
pub mod links;
pub mod notify;
pub mod organizer;

/// The public and participant's pages, then the applications queue and
/// the participant's link for facilitators.
pub fn routes(r: &mut crate::web::routes::Routes) {
    handlers::routes(r);
    organizer::routes(r);
    links::routes(r);
}
