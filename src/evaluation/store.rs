//! Evaluations and their answers in the database: a registrant's one
//! (replaced by their later answers), anonymous ones (each new), and the
//! answers a registrant's own form shows again.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::domain::Checked;
use crate::db::schema::{evaluation_answers, evaluations};
use crate::db::{DbConnection, ReturnedId};
use crate::series::questions::{Given, Question};

/// An evaluation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = evaluations)]
pub struct Evaluation {
    pub id: i64,
    pub session_id: i64,
    pub registration_id: Option<i64>,
    pub took_back: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub since_asked_at: Option<NaiveDateTime>,
    pub since_answered_at: Option<NaiveDateTime>,
    pub acted_on: Option<bool>,
    pub since_levers: String,
    pub since_changed: String,
}

/// Stores an evaluation of session `session_id`: for a registration, its
/// one evaluation, whose answers to the questions `asked` now are replaced
/// (answers to questions archived since stay); anonymous (`None`), a new
/// one. Returns its id.
pub fn save(
    conn: &mut DbConnection,
    session_id: i64,
    registration_id: Option<i64>,
    asked: &[Question],
    checked: &Checked,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    // A registration has one evaluation (a unique index): a second post,
    // or two at once, lands on the same row.
    let sql = conn.sql(
        "INSERT INTO evaluations (session_id, registration_id, took_back, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (registration_id) DO UPDATE SET \
         took_back = excluded.took_back, updated_at = excluded.updated_at RETURNING id",
    );
    let id = diesel::sql_query(sql)
        .bind::<BigInt, _>(session_id)
        .bind::<Nullable<BigInt>, _>(registration_id)
        .bind::<Bool, _>(checked.took_back)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .get_result::<ReturnedId>(conn)?
        .id;
    let ids: Vec<i64> = asked.iter().map(|q| q.id).collect();
    diesel::delete(
        evaluation_answers::table
            .filter(evaluation_answers::evaluation_id.eq(id))
            .filter(evaluation_answers::question_id.eq_any(&ids)),
    )
    .execute(conn)?;
    let insert = conn.sql(
        "INSERT INTO evaluation_answers (evaluation_id, question_id, value, created_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (evaluation_id, question_id) DO UPDATE SET value = excluded.value",
    );
    for (question_id, value) in &checked.answers {
        diesel::sql_query(insert.clone())
            .bind::<BigInt, _>(id)
            .bind::<BigInt, _>(*question_id)
            .bind::<Text, _>(value)
            .bind::<Timestamp, _>(now)
            .execute(conn)?;
    }
    Ok(id)
}

/// The answers of these evaluations: `(evaluation, question, value)`.
pub fn answers_of(
    conn: &mut DbConnection,
    evaluation_ids: &[i64],
) -> QueryResult<Vec<(i64, i64, String)>> {
    let mut out = Vec::new();
    for ids in evaluation_ids.chunks(5000) {
        out.extend(
            evaluation_answers::table
                .filter(evaluation_answers::evaluation_id.eq_any(ids))
                .order((evaluation_answers::evaluation_id, evaluation_answers::id))
                .select((
                    evaluation_answers::evaluation_id,
                    evaluation_answers::question_id,
                    evaluation_answers::value,
                ))
                .load::<(i64, i64, String)>(conn)?,
        );
    }
    Ok(out)
}

/// What registration `registration_id` answered, as its form shows it
/// again (several choices as their values); empty before it answered.
pub fn given_by(
    conn: &mut DbConnection,
    registration_id: i64,
    questions: &[Question],
) -> QueryResult<Given> {
    let id: Option<i64> = evaluations::table
        .filter(evaluations::registration_id.eq(registration_id))
        .select(evaluations::id)
        .first(conn)
        .optional()?;
    let mut given = Given::new();
    for (_, question, value) in answers_of(conn, &id.into_iter().collect::<Vec<_>>())? {
        if let Some(q) = questions.iter().find(|q| q.id == question) {
            given.insert(question, q.values(&value));
        }
    }
    Ok(given)
}
