//! Registering for a session: the form and its rules, the one-transaction
//! write (person, registration, confirmation in the outbox), the waitlist,
//! the private manage/cancel link, the organizer's view of registrations
//! and a person's data (export, erase).

pub mod answers;
pub mod changed;
pub mod handlers;
pub mod message;
pub mod messages;
pub mod organizer;
pub mod personal;
pub mod spreadsheet;
pub mod store;

pub use changed::tell_registrants;
pub use store::{find_by_token, Found, Policy, CANCELLED, REGISTERED, WAITLISTED};

/// The public form and the manage link's pages; the organizer's API over a
/// session's registrations.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/sessions/{id}", handlers::session_page)
        .post("/sessions/{id}/register", handlers::register)
        .get("/sessions/{id}/check-email", handlers::check_email)
        .get("/r/{token}", handlers::manage)
        .get("/r/{token}/confirmation", handlers::confirmation)
        .get("/r/{token}/cancel", handlers::cancel_page)
        .post("/r/{token}/cancel", handlers::cancel)
        .get(
            "/api/v1/organizer/sessions/{id}/registrations",
            organizer::list,
        )
        .post(
            "/api/v1/organizer/sessions/{id}/registrations",
            organizer::add,
        )
        .get(
            "/api/v1/organizer/sessions/{id}/registrations.csv",
            organizer::export_csv,
        )
        .post(
            "/api/v1/organizer/registrations/{id}/cancel",
            organizer::cancel,
        )
        .post(
            "/api/v1/organizer/registrations/{id}/promote",
            organizer::promote,
        );
}
