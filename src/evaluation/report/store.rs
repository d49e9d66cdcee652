//! What the feedback report counts, loaded for a series and a period: its
//! sessions that have ended, their registrants, their evaluations with
//! every answer and its question, and the series' evaluation questions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{evaluation_answers, evaluations, registration_questions};
use crate::db::DbConnection;
use crate::lineup::levers;
use crate::series::model::{self, Session};
use crate::series::questions::{Form, Kind};

use super::{Answer, Evaluation, SessionRow};

/// A question of the series' evaluation, as the CSV heads its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub id: i64,
    pub label: String,
}

/// Everything a report of one series over a period is made of.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub sessions: Vec<SessionRow>,
    pub evaluations: Vec<Evaluation>,
    /// The series' evaluation questions in order, archived ones too.
    pub columns: Vec<Column>,
}

/// The series' sessions that started in `[from, to)` and ended by `now`,
/// not cancelled, oldest first; and everything about their evaluations.
pub fn load(
    conn: &mut DbConnection,
    series_id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Loaded> {
    let list: Vec<Session> = model::sessions_of_period(conn, series_id, from, to)?
        .into_iter()
        .filter(|s| s.ends_at <= now)
        .collect();
    let ids: Vec<i64> = list.iter().map(|s| s.id).collect();
    let registered = model::counts(conn, &ids, crate::registration::REGISTERED)?;
    let sessions = list
        .iter()
        .map(|s| SessionRow {
            id: s.id,
            title: s.title.clone(),
            date: s.local_date(),
            registrants: registered
                .iter()
                .find(|(id, _)| *id == s.id)
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    type Row = (
        i64,
        i64,
        Option<i64>,
        bool,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<bool>,
        String,
        String,
    );
    let rows: Vec<Row> = evaluations::table
        .filter(evaluations::session_id.eq_any(&ids))
        .order(evaluations::id.asc())
        .select((
            evaluations::id,
            evaluations::session_id,
            evaluations::registration_id,
            evaluations::took_back,
            evaluations::since_asked_at,
            evaluations::since_answered_at,
            evaluations::acted_on,
            evaluations::since_levers,
            evaluations::since_changed,
        ))
        .load(conn)?;
    let answers: Vec<(i64, i64, String, String, String, String)> = evaluation_answers::table
        .inner_join(registration_questions::table)
        .inner_join(evaluations::table)
        .filter(evaluations::session_id.eq_any(&ids))
        .order((
            evaluation_answers::evaluation_id,
            registration_questions::position,
            registration_questions::id,
        ))
        .select((
            evaluation_answers::evaluation_id,
            registration_questions::id,
            registration_questions::role,
            registration_questions::kind,
            registration_questions::label,
            evaluation_answers::value,
        ))
        .load(conn)?;
    let mut by_evaluation: HashMap<i64, Vec<Answer>> = HashMap::new();
    for (evaluation, question_id, role, kind, label, value) in answers {
        by_evaluation.entry(evaluation).or_default().push(Answer {
            question_id,
            role,
            kind: Kind::parse(&kind).unwrap_or(Kind::Text),
            label,
            value,
        });
    }
    let evaluations = rows
        .into_iter()
        .map(
            |(
                id,
                session_id,
                registration,
                took_back,
                asked,
                answered,
                acted_on,
                since,
                changed,
            )| {
                let codes: Vec<String> = serde_json::from_str(&since).unwrap_or_default();
                Evaluation {
                    id,
                    session_id,
                    anonymous: registration.is_none(),
                    took_back,
                    asked: asked.is_some(),
                    answered: answered.is_some(),
                    acted_on,
                    since_levers: levers::from_column(&codes.join(",")),
                    since_changed: changed,
                    answers: by_evaluation.remove(&id).unwrap_or_default(),
                }
            },
        )
        .collect();
    let columns = registration_questions::table
        .filter(registration_questions::series_id.eq(series_id))
        .filter(registration_questions::form.eq(Form::Evaluation.code()))
        .order((registration_questions::position, registration_questions::id))
        .select((registration_questions::id, registration_questions::label))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, label)| Column { id, label })
        .collect();
    Ok(Loaded {
        sessions,
        evaluations,
        columns,
    })
}
