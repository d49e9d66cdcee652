//! Mailing lists with double opt-in: the subscribe form, the confirmation
//! link, and one-click unsubscribe (RFC 8058). The lists are configured
//! (`[lists]`); a series names the list whose subscribers it invites.
//! Organizers import subscribers whose consent was given elsewhere and
//! export the confirmed ones (`import`, `export`, `organizer`).

pub mod domain;
pub mod export;
pub mod file;
pub mod handlers;
pub mod import;
pub mod organizer;
pub mod personal;
pub mod store;

pub use domain::Subscriber;
pub use store::{
    ask_to_confirm, person_for_token, upsert_contact, upsert_subscriber, Contact, ListPolicy,
};

/// Subscribing, confirming, unsubscribing.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/subscribe", handlers::subscribe_page)
        .post("/subscribe", handlers::subscribe)
        .get("/subscribe/sent", handlers::subscribe_sent)
        .get("/subscribe/confirm/{token}", handlers::confirm_page)
        .post("/subscribe/confirm/{token}", handlers::confirm)
        .get("/u/{token}", handlers::unsubscribe_page)
        .post("/u/{token}", handlers::unsubscribe)
        .post("/api/v1/lists/{slug}/import", organizer::import_api)
        .get("/api/v1/lists/{slug}/export", organizer::export_api)
        .get("/organizer/lists", organizer::page)
        .post("/organizer/lists/{slug}/import", organizer::import_page)
        .get("/organizer/lists/{slug}/export.csv", organizer::export_page);
}
