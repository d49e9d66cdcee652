//! The evaluation's built-in questions: what each series asks after its
//! sessions until its organizers change it. Each carries the `role` the
//! feedback reports count it by.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::registration_questions;
use crate::db::DbConnection;
use crate::lineup::levers::LEVERS;
use crate::series::questions::{Form, Kind};

/// Overall, 1 to 5.
pub const RATING: &str = "rating";
/// How useful, 1 to 5.
pub const USEFULNESS: &str = "usefulness";
/// "What will you take back to your organization?" (text): an answer marks
/// the evaluation `took_back`, and its author is asked later what came of it.
pub const TAKE_BACK: &str = "take_back";
/// Which lever of change it touched: one choice, stored as the lever's code
/// (`lineup::levers::LEVERS`); the page shows the lever's label.
pub const LEVER: &str = "lever";
/// Topics wanted next (text).
pub const TOPICS: &str = "topics";
/// Would you present at a Jam? (yes/no): "yes" is a proposal to present.
pub const PRESENT: &str = "present";

/// (role, kind, label, help, required), in the order asked.
const DEFAULTS: [(&str, Kind, &str, &str, bool); 6] = [
    (
        RATING,
        Kind::Rating,
        "Overall, how would you rate this session?",
        "1 is poor, 5 is excellent.",
        true,
    ),
    (
        USEFULNESS,
        Kind::Rating,
        "How useful was it for your work?",
        "1 is not useful, 5 is very useful.",
        false,
    ),
    (
        TAKE_BACK,
        Kind::Text,
        "What will you take back to your organization?",
        "",
        false,
    ),
    (
        LEVER,
        Kind::Choice,
        "Which lever of change did it touch for you?",
        "",
        false,
    ),
    (
        TOPICS,
        Kind::Text,
        "What topics would you like a future session to cover?",
        "",
        false,
    ),
    (
        PRESENT,
        Kind::YesNo,
        "Would you present at a Jam?",
        "If yes, an organizer will be in touch about a session.",
        false,
    ),
];

/// Gives series `series_id` the built-in evaluation questions, unless it
/// has evaluation questions already (its organizers' list is theirs, even
/// emptied: archived questions count). Idempotent; how many it added.
/// Run in the transaction that locks the series row (`jobs::sync_series`
/// upserts it first), so two schedulers do not both add them.
pub fn seed(conn: &mut DbConnection, series_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    let has: i64 = registration_questions::table
        .filter(registration_questions::series_id.eq(series_id))
        .filter(registration_questions::form.eq(Form::Evaluation.code()))
        .count()
        .get_result(conn)?;
    if has > 0 {
        return Ok(0);
    }
    let levers: Vec<&str> = LEVERS.iter().map(|(code, _)| *code).collect();
    let levers = serde_json::to_string(&levers).unwrap_or_else(|_| "[]".into());
    let mut added = 0;
    for (position, (role, kind, label, help, required)) in DEFAULTS.iter().enumerate() {
        let choices = if *role == LEVER {
            levers.as_str()
        } else {
            "[]"
        };
        added += diesel::insert_into(registration_questions::table)
            .values((
                registration_questions::series_id.eq(series_id),
                registration_questions::form.eq(Form::Evaluation.code()),
                registration_questions::role.eq(role),
                registration_questions::position.eq(position as i32),
                registration_questions::kind.eq(kind.code()),
                registration_questions::label.eq(label),
                registration_questions::help.eq(help),
                registration_questions::choices.eq(choices),
                registration_questions::required.eq(required),
                registration_questions::created_at.eq(now),
                registration_questions::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(added)
}
