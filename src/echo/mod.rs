//! The Workforce ECHO: cohorts of an ECHO program (a series of kind
//! `echo`) with their sessions, applications to join a cohort, the
//! participant's page reached by a magic link, and case submissions.

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

/// Participants hear of their sessions' changes through this: the
/// session-change fan-out (`organizer::manage`) calls it.
pub use enrollment::notify;

/// The ECHO's routes: public pages, the participant's page, the
/// facilitators' API and pages.
pub fn routes(cfg: &mut crate::web::routes::Routes) {
    cfg.configure(cases::review::routes);
    cfg.configure(completion::routes);
    cfg.get("/echo", enrollment::handlers::program)
        .get("/echo/link", enrollment::handlers::link_form)
        .post("/echo/link", enrollment::handlers::send_link)
        .get("/echo/p/{token}", enrollment::handlers::participant_page)
        .get(
            "/echo/p/{token}/materials/{id}",
            enrollment::handlers::participant_material,
        )
        .get("/echo/session/{id}", enrollment::handlers::session_redirect)
        .get(
            "/echo/p/{token}/calendar.ics",
            enrollment::handlers::participant_feed,
        )
        .get("/echo/p/{token}/cases/new", cases::pages::new_case)
        .post("/echo/p/{token}/cases", cases::pages::create_case)
        .get("/echo/p/{token}/cases/{id}", cases::pages::case_page)
        .post("/echo/p/{token}/cases/{id}", cases::pages::update_case)
        .get("/echo/p/{token}/cases/{id}/edit", cases::pages::edit_case)
        .get(
            "/echo/p/{token}/cases/{id}/attachment",
            cases::pages::case_attachment,
        )
        .post(
            "/echo/p/{token}/cases/{id}/follow-up",
            cases::pages::follow_up,
        )
        .get("/echo/{cohort}", enrollment::handlers::cohort)
        .post("/echo/{cohort}/apply", enrollment::handlers::apply)
        .get("/api/v1/echo/cohorts", organizer::list)
        .post("/api/v1/echo/cohorts", organizer::create)
        .get("/api/v1/echo/cohorts/{slug}", organizer::get)
        .patch("/api/v1/echo/cohorts/{slug}", organizer::update)
        .get(
            "/api/v1/echo/cohorts/{slug}/applications",
            enrollment::organizer::applications_list,
        )
        .patch(
            "/api/v1/echo/sessions/{id}",
            cohort_sessions::update_session,
        )
        .post(
            "/api/v1/echo/applications/{id}/decision",
            enrollment::organizer::decide,
        )
        .get("/organizer/echo", organizer::cohorts_page)
        .post("/organizer/echo/cohorts", organizer::page_create)
        .post(
            "/organizer/echo/sessions/{id}",
            cohort_sessions::page_session,
        )
        .post(
            "/organizer/echo/applications/{id}",
            enrollment::organizer::page_decide,
        )
        .get("/organizer/echo/{slug}", enrollment::organizer::cohort_page)
        .post(
            "/api/v1/echo/cohorts/{slug}/facilitators",
            facilitators::api_assign,
        )
        .delete(
            "/api/v1/echo/cohorts/{slug}/facilitators/{user_id}",
            facilitators::api_unassign,
        )
        .post(
            "/api/v1/echo/applications/{id}/link",
            enrollment::links::api_reissue,
        )
        .delete(
            "/api/v1/echo/applications/{id}/link",
            enrollment::links::api_revoke,
        )
        .post(
            "/organizer/echo/applications/{id}/link",
            enrollment::links::page_link,
        )
        .post(
            "/organizer/echo/{slug}/facilitators",
            facilitators::page_assign,
        )
        .post(
            "/organizer/echo/{slug}/facilitators/{user_id}/remove",
            facilitators::page_unassign,
        );
}
