//! The public interest form (`/interest`): join the mailing list (double
//! opt-in), propose to present at a Jam (an organizer queue, accepted into a
//! session's lineup or declined with a message), or join a working group on
//! one lever of change.

pub mod domain;
pub mod handlers;
pub mod pages;
pub mod personal;
pub mod store;

/// The public form, the organizer's proposals API and page.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/interest", handlers::page)
        .post("/interest", handlers::submit)
        .get("/interest/sent", handlers::sent)
        .get("/api/v1/organizer/proposals", handlers::queue)
        .post(
            "/api/v1/organizer/proposals/{id}/decline",
            handlers::decline,
        )
        .post("/api/v1/organizer/proposals/{id}/accept", handlers::accept)
        .get("/organizer/proposals", pages::page)
        .post("/organizer/proposals/{id}/{action}", pages::decide);
}
