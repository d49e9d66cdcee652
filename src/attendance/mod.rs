//! Attendance: who came to a session, read from the reports Zoom and Teams
//! export (or a plain CSV) and imported whole into the database, marked by
//! hand, measured per session and per series, and charted per series on
//! the organizers' reports page (issue #6). ECHO completion reads it in
//! `echo::completion`.

pub mod charts;
pub mod exports;
pub mod handlers;
pub mod import;
pub mod measures;
pub mod pages;
pub mod parse;
pub mod personal;
pub mod reports;
mod stage;
pub mod store;

use crate::web::routes::Routes;

/// The attendance routes.
pub fn routes(cfg: &mut Routes) {
    cfg.get("/api/v1/sessions/{id}/attendance", handlers::list)
        .get("/api/v1/sessions/{id}/metrics", handlers::metrics)
        .get("/api/v1/sessions/{id}/metrics.csv", handlers::metrics_csv)
        .get("/api/v1/series/{slug}/metrics", handlers::series_metrics)
        .get(
            "/api/v1/series/{slug}/metrics.csv",
            handlers::series_metrics_csv,
        )
        .post("/api/v1/sessions/{id}/attendance/mark", handlers::mark)
        .get("/organizer/series/{slug}/reports", reports::page)
        .get("/organizer/series/{slug}/reports.csv", reports::csv)
        .post("/organizer/sessions/{id}/attendance", pages::upload)
        .post("/organizer/sessions/{id}/attendance/mark", pages::mark)
        .post(
            "/api/v1/sessions/{id}/attendance/{format}",
            handlers::import,
        );
}
