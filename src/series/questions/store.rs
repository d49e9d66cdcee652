//! Registration questions and answers in the database: a series' list
//! (replaced whole, archiving what it leaves out), a registration's answers
//! (written once, never overwritten by a later post), and what the exports
//! and reports read.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{check_list, tally, Draft, Form, Kind, Question, Tally};
use crate::db::schema::{
    registration_answers, registration_questions, registrations, series, sessions,
};
use crate::db::DbConnection;

/// Every question of the series' registration form, those asked now first
/// (in their order), then the archived ones.
pub fn all(conn: &mut DbConnection, series_id: i64) -> QueryResult<Vec<Question>> {
    all_of(conn, series_id, Form::Registration)
}

/// Every question of the series' `form`, those asked now first (in their
/// order), then the archived ones.
pub fn all_of(conn: &mut DbConnection, series_id: i64, form: Form) -> QueryResult<Vec<Question>> {
    let mut rows: Vec<Question> = registration_questions::table
        .filter(registration_questions::series_id.eq(series_id))
        .filter(registration_questions::form.eq(form.code()))
        .order((registration_questions::position, registration_questions::id))
        .select(Question::as_select())
        .load(conn)?;
    rows.sort_by_key(|q| q.is_archived());
    Ok(rows)
}

/// The questions the series' registration form asks, in order.
pub fn asked(conn: &mut DbConnection, series_id: i64) -> QueryResult<Vec<Question>> {
    asked_of(conn, series_id, Form::Registration)
}

/// The questions the series' `form` asks, in order.
pub fn asked_of(conn: &mut DbConnection, series_id: i64, form: Form) -> QueryResult<Vec<Question>> {
    Ok(all_of(conn, series_id, form)?
        .into_iter()
        .filter(|q| !q.is_archived())
        .collect())
}

/// The questions the form of session `session_id` asks.
pub fn asked_for_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<Vec<Question>> {
    // One statement: an organizer adding someone names only the session.
    registration_questions::table
        .inner_join(sessions::table.on(sessions::series_id.eq(registration_questions::series_id)))
        .filter(sessions::id.eq(session_id))
        .filter(super::asked_on_registration())
        .order((registration_questions::position, registration_questions::id))
        .select(Question::as_select())
        .load(conn)
}

/// Why a new list was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    #[error("no such series")]
    NoSeries,
    #[error("some questions are not valid")]
    Invalid(Vec<(String, String)>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What replacing the list did.
#[derive(Debug, Clone)]
pub struct Replaced {
    pub series_id: i64,
    pub before: Vec<Question>,
    pub after: Vec<Question>,
}

impl Replaced {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Makes `drafts` the questions series `slug`'s `form` asks, in that order: a draft
/// with an id changes that question (an archived one comes back), one
/// without adds a question, and an asked question left out is archived
/// (its answers stay). Locks the series row first.
pub fn replace(
    conn: &mut DbConnection,
    slug: &str,
    form: Form,
    drafts: &[Draft],
    now: NaiveDateTime,
) -> Result<Replaced, ReplaceError> {
    let locked = diesel::update(series::table.filter(series::slug.eq(slug)))
        .set(series::updated_at.eq(series::updated_at))
        .execute(conn)?;
    if locked != 1 {
        return Err(ReplaceError::NoSeries);
    }
    let series_id: i64 = series::table
        .filter(series::slug.eq(slug))
        .select(series::id)
        .first(conn)?;
    let before = all_of(conn, series_id, form)?;
    let errors = check_list(&before, drafts);
    if !errors.is_empty() {
        return Err(ReplaceError::Invalid(errors));
    }
    for (position, d) in drafts.iter().enumerate() {
        let position = position as i32;
        let choices = serde_json::to_string(&d.choices).unwrap_or_else(|_| "[]".into());
        match d.id.and_then(|id| before.iter().find(|q| q.id == id)) {
            Some(q) if d.matches(q) && q.position == position && !q.is_archived() => {}
            Some(q) => {
                diesel::update(registration_questions::table.find(q.id))
                    .set((
                        registration_questions::position.eq(position),
                        registration_questions::label.eq(&d.label),
                        registration_questions::help.eq(&d.help),
                        registration_questions::choices.eq(&choices),
                        registration_questions::required.eq(d.required),
                        registration_questions::archived_at.eq(None::<NaiveDateTime>),
                        registration_questions::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(registration_questions::table)
                    .values((
                        registration_questions::series_id.eq(series_id),
                        registration_questions::form.eq(form.code()),
                        registration_questions::position.eq(position),
                        registration_questions::kind.eq(d.kind.code()),
                        registration_questions::label.eq(&d.label),
                        registration_questions::help.eq(&d.help),
                        registration_questions::choices.eq(&choices),
                        registration_questions::required.eq(d.required),
                        registration_questions::created_at.eq(now),
                        registration_questions::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
    }
    let kept: Vec<i64> = drafts.iter().filter_map(|d| d.id).collect();
    for q in before
        .iter()
        .filter(|q| !q.is_archived() && !kept.contains(&q.id))
    {
        diesel::update(registration_questions::table.find(q.id))
            .set((
                registration_questions::archived_at.eq(Some(now)),
                registration_questions::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    let after = all_of(conn, series_id, form)?;
    Ok(Replaced {
        series_id,
        before,
        after,
    })
}

/// Stores a registration's answers. An answer already given stays as it
/// was: whoever posts the form again (anyone may know the address) adds
/// answers to questions left blank, never changes one.
pub fn save_answers(
    conn: &mut DbConnection,
    registration_id: i64,
    answers: &[(i64, String)],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let sql = conn.sql(
        "INSERT INTO registration_answers (registration_id, question_id, value, created_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (registration_id, question_id) DO NOTHING",
    );
    for (question_id, value) in answers {
        diesel::sql_query(sql.clone())
            .bind::<diesel::sql_types::BigInt, _>(registration_id)
            .bind::<diesel::sql_types::BigInt, _>(*question_id)
            .bind::<diesel::sql_types::Text, _>(value)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(conn)?;
    }
    Ok(())
}

/// The answers of these registrations: `(registration, question, value)`.
pub fn answers_of(
    conn: &mut DbConnection,
    registration_ids: &[i64],
) -> QueryResult<Vec<(i64, i64, String)>> {
    let mut out = Vec::new();
    // In batches, under every backend's limit on bound values.
    for ids in registration_ids.chunks(5000) {
        out.extend(
            registration_answers::table
                .filter(registration_answers::registration_id.eq_any(ids))
                .order((
                    registration_answers::registration_id,
                    registration_answers::id,
                ))
                .select((
                    registration_answers::registration_id,
                    registration_answers::question_id,
                    registration_answers::value,
                ))
                .load::<(i64, i64, String)>(conn)?,
        );
    }
    Ok(out)
}

/// Questions and answers as the registrations' exports read them.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// Every question that has been asked of the series, archived last.
    pub questions: Vec<Question>,
    /// By (registration, question): a session's export looks up every cell.
    answers: HashMap<(i64, i64), String>,
}

impl Sheet {
    /// The answer of registration `reg` to `q`, as stored.
    pub fn answer(&self, reg: i64, q: &Question) -> Option<&str> {
        self.answers.get(&(reg, q.id)).map(String::as_str)
    }

    /// Every answer registration `reg` gave, in the questions' order.
    pub fn answers_of(&self, reg: i64) -> Vec<(&Question, &str)> {
        self.questions
            .iter()
            .filter_map(|q| Some((q, self.answer(reg, q)?)))
            .collect()
    }
}

/// The questions of series `series_id` and the answers of these
/// registrations.
pub fn sheet(
    conn: &mut DbConnection,
    series_id: i64,
    registration_ids: &[i64],
) -> QueryResult<Sheet> {
    Ok(Sheet {
        questions: all(conn, series_id)?,
        answers: by_cell(answers_of(conn, registration_ids)?),
    })
}

/// The answers of these registrations (of any series) and the questions
/// they answer: a person's export.
pub fn sheet_of(conn: &mut DbConnection, registration_ids: &[i64]) -> QueryResult<Sheet> {
    let answers = answers_of(conn, registration_ids)?;
    let mut ids: Vec<i64> = answers.iter().map(|(_, q, _)| *q).collect();
    ids.sort_unstable();
    ids.dedup();
    let questions = registration_questions::table
        .filter(registration_questions::id.eq_any(&ids))
        .order(registration_questions::id)
        .select(Question::as_select())
        .load(conn)?;
    Ok(Sheet {
        questions,
        answers: by_cell(answers),
    })
}

fn by_cell(answers: Vec<(i64, i64, String)>) -> HashMap<(i64, i64), String> {
    answers
        .into_iter()
        .map(|(reg, question, value)| ((reg, question), value))
        .collect()
}

/// Each question of the series counted over the registrations (not
/// cancelled) of its sessions (not cancelled) starting in `[from, to)`.
pub fn tallies(
    conn: &mut DbConnection,
    series_id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Tally>> {
    let questions = all(conn, series_id)?;
    if questions.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String)> = registration_answers::table
        .inner_join(registrations::table.inner_join(sessions::table))
        .filter(sessions::series_id.eq(series_id))
        .filter(sessions::status.ne(crate::series::model::CANCELLED))
        .filter(sessions::starts_at.ge(from))
        .filter(sessions::starts_at.lt(to))
        .filter(registrations::status.ne("cancelled"))
        .select((
            registration_answers::question_id,
            registration_answers::value,
        ))
        .load(conn)?;
    Ok(questions
        .iter()
        .map(|q| {
            let stored: Vec<String> = rows
                .iter()
                .filter(|(id, _)| *id == q.id)
                .map(|(_, v)| v.clone())
                .collect();
            tally(q, &stored)
        })
        .collect())
}

/// Erasing a person: what they wrote in their own words (text answers) is
/// deleted; their choices stay, counted, with nothing left to tie them to
/// anyone. Returns how many rows went.
pub fn erase_text(conn: &mut DbConnection, registration_ids: &[i64]) -> QueryResult<usize> {
    let text_questions = registration_questions::table
        .filter(registration_questions::kind.eq(Kind::Text.code()))
        .select(registration_questions::id);
    diesel::delete(
        registration_answers::table
            .filter(registration_answers::registration_id.eq_any(registration_ids))
            .filter(registration_answers::question_id.eq_any(text_questions)),
    )
    .execute(conn)
}
