//! Feedback after each session (issue 17): the evaluation a registrant
//! fills in through their own link (`/r/{token}/feedback`, linked from the
//! follow-up e-mail; once per registration, their later answers replacing
//! their earlier ones) and the anonymous one anyone may fill in from the
//! session's page (`/sessions/{id}/feedback`, a new evaluation each time).
//! The questions are the series' evaluation questions (`series::questions`
//! with `Form::Evaluation`; six built-in ones seeded by `seed`, edited on
//! the questions pages); a "yes" to "would you present?" puts a proposal in
//! the organizers' queue (`interest::volunteer`).
//! Ninety days on, who said they would take something back is asked what
//! came of it (`since`); `report` counts it all for the organizers.

pub mod domain;
pub mod handlers;
pub mod personal;
pub mod questions;
pub mod report;
pub mod since;
pub mod store;

pub use questions::seed;

/// The evaluation's pages (the registrant's own, the anonymous one, and
/// the thank-you page both lead to), what came of it, and the reports.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/r/{token}/feedback", handlers::own_page)
        .post("/r/{token}/feedback", handlers::own_submit)
        .get("/sessions/{id}/feedback", handlers::public_page)
        .post("/sessions/{id}/feedback", handlers::public_submit)
        .get("/sessions/{id}/feedback/thanks", handlers::thanks)
        .configure(since::routes)
        .configure(report::routes);
}
