//! Presenter lineups: who presents, moderates or sits on the panel of a
//! session, their invitation to present (accept/decline by one-click link,
//! one reminder), and the levers of change a session or talk is about.

pub mod changed;
pub mod domain;
pub mod handlers;
pub mod levers;
pub mod messages;
pub mod pages;
pub mod personal;
pub mod slot;
pub mod store;

pub use changed::tell_presenters;
pub use levers::LeverTag;
pub use slot::{LineupSlot, Policy, Slot};
pub use store::{
    add as add_slot, confirmed, confirmed_for_sessions, session_levers, LineupError, NewSlot,
};

/// The organizer's lineup API and forms, and the presenter's answer page.
/// The forms come before the organizer's catch-all
/// `/organizer/sessions/{id}/{action}`.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get(
        "/api/v1/organizer/sessions/{id}/lineup",
        handlers::get_lineup,
    )
    .post("/api/v1/organizer/sessions/{id}/lineup", handlers::add_slot)
    .put(
        "/api/v1/organizer/sessions/{id}/levers",
        handlers::put_levers,
    )
    .patch("/api/v1/organizer/lineup/{slot_id}", handlers::update_slot)
    .post(
        "/api/v1/organizer/lineup/{slot_id}/invite",
        handlers::invite_slot,
    )
    .get("/present/{token}/{answer}", handlers::answer_page)
    .post("/present/{token}/{answer}", handlers::answer)
    .post("/organizer/sessions/{id}/lineup", pages::add)
    .post("/organizer/sessions/{id}/levers", pages::levers)
    .post("/organizer/lineup/{slot}/{action}", pages::slot_action);
}
