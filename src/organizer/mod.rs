//! What the organizer's pages put together from every feature: the
//! dashboard and session page (`sessions`), the session changes that fan
//! out to each feature (`manage`), the outbox (`outbox`), the series'
//! defaults organizers take over from config (`defaults`), and series
//! organizers create in the database (`new_series`).

pub mod defaults;
pub mod manage;
pub mod new_series;
pub mod outbox;
pub mod sessions;

/// The sessions API, the series' defaults, the audit log, the outbox, and
/// the organizer's pages. Last among the features': the session page's
/// catch-all `/organizer/sessions/{id}/{action}` comes after every
/// feature's own form under it.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.post("/api/v1/organizer/sessions", sessions::create_session)
        .patch("/api/v1/organizer/sessions/{id}", sessions::update_session)
        .post(
            "/api/v1/organizer/sessions/{id}/reschedule",
            sessions::reschedule_session,
        )
        .post(
            "/api/v1/organizer/sessions/{id}/cancel",
            sessions::cancel_session,
        )
        .post(
            "/api/v1/organizer/sessions/{id}/message",
            sessions::message::api_message,
        )
        .get("/api/v1/organizer/series", defaults::list)
        .post("/api/v1/organizer/series", new_series::handlers::api_create)
        .get("/api/v1/organizer/series/{slug}", defaults::one)
        .patch("/api/v1/organizer/series/{slug}", defaults::update)
        .get("/api/v1/audit", sessions::audit)
        .get("/api/v1/organizer/outbox", outbox::api_overview)
        .post("/api/v1/organizer/outbox/{id}/retry", outbox::api_retry)
        .get("/organizer/outbox", outbox::page)
        .post("/organizer/outbox/{id}/retry", outbox::page_retry)
        .get("/organizer", sessions::dashboard)
        .get("/organizer/audit", sessions::audit_page)
        .get("/organizer/series", new_series::pages::page)
        .post("/organizer/series", new_series::pages::page_create)
        .get("/organizer/series/{slug}", defaults::page)
        .post("/organizer/series/{slug}", defaults::page_update)
        .get("/organizer/sessions/{id}", sessions::session_page)
        .get(
            "/organizer/sessions/{id}/registrations.csv",
            sessions::session_csv,
        )
        .post("/organizer/sessions", sessions::page_create_session)
        .post(
            "/organizer/sessions/{id}/registrations",
            sessions::page_add_registration,
        )
        .post(
            "/organizer/sessions/{id}/message",
            sessions::message::page_message,
        )
        .post(
            "/organizer/sessions/{id}/{action}",
            sessions::page_session_change,
        )
        .post(
            "/organizer/registrations/{id}/{action}",
            sessions::page_registration,
        );
}
