//! Evaluations written straight into the test app's database: until the
//! evaluation form is merged nothing else writes them. The questions are a
//! series' evaluation questions (`form = 'evaluation'`) with the roles
//! the reports count.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use convene::db::schema::{
    evaluation_answers, evaluations, people, registration_questions, registrations, series,
};
use convene::jobs;
use diesel::prelude::*;

use crate::helpers::smtp::Mail;
use crate::helpers::{with_conn, TestApp};

pub async fn tick(app: &TestApp) -> jobs::Tick {
    jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

/// The Jam's first `n` sessions: (id, end).
pub async fn jams(app: &TestApp, n: usize) -> Vec<(i64, DateTime<Utc>)> {
    app.sessions()
        .await
        .into_iter()
        .filter(|s| s["series"] == "jam")
        .take(n)
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["ends_at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// The evaluation questions of the Jam, by role: (role, id).
pub struct Questions {
    pub rating: i64,
    pub usefulness: i64,
    pub take_back: i64,
    pub lever: i64,
    pub topics: i64,
    /// The series' own text question ("Anything else?").
    pub own: i64,
}

/// The Jam's evaluation questions as the app seeds them (by role), plus one
/// of the series' own.
pub fn questions(app: &TestApp) -> Questions {
    let now = app.clock.naive();
    with_conn(&app.pool, |c| {
        let jam: i64 = series::table
            .filter(series::slug.eq("jam"))
            .select(series::id)
            .first(c)
            .unwrap();
        let mut seeded = |role: &str| {
            registration_questions::table
                .filter(registration_questions::series_id.eq(jam))
                .filter(registration_questions::form.eq("evaluation"))
                .filter(registration_questions::role.eq(role))
                .select(registration_questions::id)
                .first::<i64>(c)
                .unwrap_or_else(|e| panic!("the seeded {role} question: {e}"))
        };
        let (rating, usefulness, take_back, lever, topics) = (
            seeded("rating"),
            seeded("usefulness"),
            seeded("take_back"),
            seeded("lever"),
            seeded("topics"),
        );
        diesel::insert_into(registration_questions::table)
            .values((
                registration_questions::series_id.eq(jam),
                registration_questions::position.eq(6),
                registration_questions::kind.eq("text"),
                registration_questions::label.eq("Anything else?"),
                registration_questions::help.eq(""),
                registration_questions::choices.eq("[]"),
                registration_questions::required.eq(false),
                registration_questions::created_at.eq(now),
                registration_questions::updated_at.eq(now),
                registration_questions::form.eq("evaluation"),
                registration_questions::role.eq(""),
            ))
            .execute(c)
            .unwrap();
        let own = registration_questions::table
            .order(registration_questions::id.desc())
            .select(registration_questions::id)
            .first::<i64>(c)
            .unwrap();
        Questions {
            rating,
            usefulness,
            take_back,
            lever,
            topics,
            own,
        }
    })
}

/// The registration of `email` for `session`.
pub fn registration(app: &TestApp, session: i64, email: &str) -> i64 {
    with_conn(&app.pool, |c| {
        registrations::table
            .inner_join(people::table)
            .filter(registrations::session_id.eq(session))
            .filter(people::email.eq(email))
            .select(registrations::id)
            .first(c)
            .unwrap()
    })
}

/// Writes an evaluation of `session` (anonymous without a registration)
/// with `answers` as (question, value); returns its id.
pub fn evaluate(
    app: &TestApp,
    session: i64,
    registration: Option<i64>,
    took_back: bool,
    answers: &[(i64, &str)],
) -> i64 {
    let now = app.clock.naive();
    with_conn(&app.pool, |c| {
        diesel::insert_into(evaluations::table)
            .values((
                evaluations::session_id.eq(session),
                evaluations::registration_id.eq(registration),
                evaluations::took_back.eq(took_back),
                evaluations::created_at.eq(now),
                evaluations::updated_at.eq(now),
            ))
            .execute(c)
            .unwrap();
        let id: i64 = evaluations::table
            .order(evaluations::id.desc())
            .select(evaluations::id)
            .first(c)
            .unwrap();
        for (question, value) in answers {
            diesel::insert_into(evaluation_answers::table)
                .values((
                    evaluation_answers::evaluation_id.eq(id),
                    evaluation_answers::question_id.eq(question),
                    evaluation_answers::value.eq(value),
                    evaluation_answers::created_at.eq(now),
                ))
                .execute(c)
                .unwrap();
        }
        id
    })
}

/// What came of it, as stored: (asked, answered, acted on, levers, changed).
pub type Since = (
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<bool>,
    String,
    String,
);

pub fn since(app: &TestApp, evaluation: i64) -> Since {
    with_conn(&app.pool, |c| {
        evaluations::table
            .find(evaluation)
            .select((
                evaluations::since_asked_at,
                evaluations::since_answered_at,
                evaluations::acted_on,
                evaluations::since_levers,
                evaluations::since_changed,
            ))
            .first(c)
            .unwrap()
    })
}

/// Records what came of an evaluation, as the form would.
pub fn answered(app: &TestApp, evaluation: i64, acted_on: bool, levers: &str, changed: &str) {
    let now = app.clock.naive();
    with_conn(&app.pool, |c| {
        diesel::update(evaluations::table.find(evaluation))
            .set((
                evaluations::since_asked_at.eq(Some(now)),
                evaluations::since_answered_at.eq(Some(now)),
                evaluations::acted_on.eq(Some(acted_on)),
                evaluations::since_levers.eq(levers),
                evaluations::since_changed.eq(changed),
            ))
            .execute(c)
            .unwrap();
    })
}

/// The message to `to` titled `subject`, once it has arrived (a bounded
/// poll: the confirmation may arrive before or after it).
pub async fn mail_titled(app: &TestApp, to: &str, subject: &str) -> Mail {
    for _ in 0..300 {
        if let Some(mail) = app.smtp.to(to).into_iter().find(|m| m.subject == subject) {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "no message titled {subject:?} to {to}: {:?}",
        app.smtp
            .to(to)
            .iter()
            .map(|m| &m.subject)
            .collect::<Vec<_>>()
    );
}
