//! Series (the Jam, an ECHO program) and their sessions: the definitions in
//! config and the defaults organizers take over from it, sessions generated
//! from each series' rule, the organizer's changes to sessions, the public
//! listing, the session's calendar file and the read-only sessions API.

pub mod defaults;
pub mod generate;
pub mod handlers;
pub mod model;
pub mod questions;
pub mod registrants;

pub(crate) use handlers::polled_calendar;
pub use model::{Series, Session};

/// The public listing, the calendar files and feeds, and the read-only
/// sessions API.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/", handlers::index)
        .get("/series/{slug}", handlers::series_page)
        .get("/sessions/{id}/calendar.ics", handlers::session_ics)
        .get("/calendar/{slug}.ics", handlers::feed)
        .get("/api/v1/sessions", handlers::api_sessions);
}
