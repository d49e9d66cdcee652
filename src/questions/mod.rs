//! Organizers' registration questions and evaluation questions for a series
//! (issue 17): the API that reads and replaces a series' list, and the page
//! that edits it a question at a time. Both run `change`, audited. The questions themselves, their
//! rules and answers are `series::questions`' (the registration form and
//! the reports read them too).

pub mod handlers;
pub mod pages;

pub use handlers::{QuestionInput, QuestionList, QuestionView, QuestionsPut};

/// The series' questions: API and organizer page.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/api/v1/organizer/series/{slug}/questions", handlers::list)
        .put(
            "/api/v1/organizer/series/{slug}/questions",
            handlers::replace,
        )
        .get("/organizer/series/{slug}/questions", pages::page)
        .post("/organizer/series/{slug}/questions", pages::add)
        .post("/organizer/series/{slug}/questions/{id}", pages::edit)
        .get(
            "/api/v1/organizer/series/{slug}/evaluation-questions",
            handlers::list_evaluation,
        )
        .put(
            "/api/v1/organizer/series/{slug}/evaluation-questions",
            handlers::replace_evaluation,
        )
        .get(
            "/organizer/series/{slug}/evaluation-questions",
            pages::evaluation_page,
        )
        .post(
            "/organizer/series/{slug}/evaluation-questions",
            pages::evaluation_add,
        )
        .post(
            "/organizer/series/{slug}/evaluation-questions/{id}",
            pages::evaluation_edit,
        );
}
