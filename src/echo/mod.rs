//! The Workforce ECHO: cohorts of an ECHO program (a series of kind
//! `echo`) with their sessions, applications to join a cohort, the
//! participant's page reached by a magic link, and case submissions.

pub mod applications;
pub mod attachment;
pub mod case_pages;
pub mod cases;
pub mod cohorts;
pub mod completion;
pub mod handlers;
pub mod links;
pub mod notify;
pub mod organizer;
pub mod personal;
pub mod review;
pub mod richtext;
pub mod screen;

use actix_web::web;

/// The ECHO's routes: public pages, the participant's page, the
/// facilitators' API and pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(review::routes);
    cfg.configure(completion::routes);
    cfg.route("/echo", web::get().to(handlers::program))
        .route("/echo/link", web::get().to(handlers::link_form))
        .route("/echo/link", web::post().to(handlers::send_link))
        .route("/echo/p/{token}", web::get().to(handlers::participant_page))
        .route(
            "/echo/p/{token}/materials/{id}",
            web::get().to(handlers::participant_material),
        )
        .route(
            "/echo/session/{id}",
            web::get().to(handlers::session_redirect),
        )
        .route(
            "/echo/p/{token}/calendar.ics",
            web::get().to(handlers::participant_feed),
        )
        .route(
            "/echo/p/{token}/cases/new",
            web::get().to(case_pages::new_case),
        )
        .route(
            "/echo/p/{token}/cases",
            web::post().to(case_pages::create_case),
        )
        .route(
            "/echo/p/{token}/cases/{id}",
            web::get().to(case_pages::case_page),
        )
        .route(
            "/echo/p/{token}/cases/{id}",
            web::post().to(case_pages::update_case),
        )
        .route(
            "/echo/p/{token}/cases/{id}/edit",
            web::get().to(case_pages::edit_case),
        )
        .route(
            "/echo/p/{token}/cases/{id}/attachment",
            web::get().to(case_pages::case_attachment),
        )
        .route(
            "/echo/p/{token}/cases/{id}/follow-up",
            web::post().to(case_pages::follow_up),
        )
        .route("/echo/{cohort}", web::get().to(handlers::cohort))
        .route("/echo/{cohort}/apply", web::post().to(handlers::apply))
        .route("/api/v1/echo/cohorts", web::get().to(organizer::list))
        .route("/api/v1/echo/cohorts", web::post().to(organizer::create))
        .route("/api/v1/echo/cohorts/{slug}", web::get().to(organizer::get))
        .route(
            "/api/v1/echo/cohorts/{slug}",
            web::patch().to(organizer::update),
        )
        .route(
            "/api/v1/echo/cohorts/{slug}/applications",
            web::get().to(organizer::applications_list),
        )
        .route(
            "/api/v1/echo/sessions/{id}",
            web::patch().to(organizer::update_session),
        )
        .route(
            "/api/v1/echo/applications/{id}/decision",
            web::post().to(organizer::decide),
        )
        .route(
            "/api/v1/echo/applications/{id}/link",
            web::post().to(links::api_reissue),
        )
        .route(
            "/api/v1/echo/applications/{id}/link",
            web::delete().to(links::api_revoke),
        )
        .route(
            "/organizer/echo/applications/{id}/link",
            web::post().to(links::page_link),
        )
        .route("/organizer/echo", web::get().to(organizer::cohorts_page))
        .route(
            "/organizer/echo/cohorts",
            web::post().to(organizer::page_create),
        )
        .route(
            "/organizer/echo/sessions/{id}",
            web::post().to(organizer::page_session),
        )
        .route(
            "/organizer/echo/applications/{id}",
            web::post().to(organizer::page_decide),
        )
        .route(
            "/organizer/echo/{slug}",
            web::get().to(organizer::cohort_page),
        );
}
