//! Evaluations as personal data: a registrant's own evaluation (through
//! their link) with its answers, in their export; on erasure, what they
//! wrote in their own words goes (text answers, what changed since), the
//! evaluation is no longer tied to their registration, and its ratings and
//! choices stay, counted. Anonymous evaluations hold no one (a volunteer's
//! name and address are in their proposal, the interest part's).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::store::{self, Evaluation};
use crate::db::schema::{
    evaluation_answers, evaluations, registration_questions, registrations, sessions,
};
use crate::db::DbConnection;
use crate::people::{iso, subjects, PersonalData, Subject};
use crate::series::questions::{Kind, Question};

pub struct Evaluations;

/// The person's evaluations (through their registrations).
fn theirs(conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Evaluation>> {
    let Some(person) = who.person_id() else {
        return Ok(Vec::new());
    };
    evaluations::table
        .inner_join(registrations::table)
        .filter(registrations::person_id.eq(person))
        .order(evaluations::id)
        .select(Evaluation::as_select())
        .load(conn)
}

impl PersonalData for Evaluations {
    fn tables(&self) -> &'static [&'static str] {
        &["evaluations", "evaluation_answers"]
    }

    fn key(&self) -> &'static str {
        "evaluations"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        let ids = theirs(conn, who)?.iter().map(|e| e.id).collect();
        Ok(subjects("evaluation", ids))
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let rows = theirs(conn, who)?;
        let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
        let answers = store::answers_of(conn, &ids)?;
        let mut asked: Vec<i64> = answers.iter().map(|(_, q, _)| *q).collect();
        asked.sort_unstable();
        asked.dedup();
        let questions: Vec<Question> = registration_questions::table
            .filter(registration_questions::id.eq_any(&asked))
            .select(Question::as_select())
            .load(conn)?;
        let mut out = Vec::new();
        for e in &rows {
            let title: String = sessions::table
                .find(e.session_id)
                .select(sessions::title)
                .first(conn)?;
            let given: Vec<Value> = answers
                .iter()
                .filter(|(id, ..)| *id == e.id)
                .filter_map(|(_, q, v)| {
                    let q = questions.iter().find(|x| x.id == *q)?;
                    Some(json!({ "question": q.label, "answer": q.values(v) }))
                })
                .collect();
            out.push(json!({
                "id": e.id,
                "session_id": e.session_id,
                "session_title": title,
                "registration_id": e.registration_id,
                "created_at": iso(e.created_at),
                "updated_at": iso(e.updated_at),
                "answers": given,
                "took_back": e.took_back,
                "since_asked_at": e.since_asked_at.map(iso),
                "since_answered_at": e.since_answered_at.map(iso),
                "acted_on": e.acted_on,
                "since_levers": serde_json::from_str::<Value>(&e.since_levers).unwrap_or(json!([])),
                "since_changed": e.since_changed,
            }));
        }
        Ok(out)
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let ids: Vec<i64> = theirs(conn, who)?.iter().map(|e| e.id).collect();
        if ids.is_empty() {
            return Ok(0);
        }
        let text_questions = registration_questions::table
            .filter(registration_questions::kind.eq(Kind::Text.code()))
            .select(registration_questions::id);
        let answers = diesel::delete(
            evaluation_answers::table
                .filter(evaluation_answers::evaluation_id.eq_any(&ids))
                .filter(evaluation_answers::question_id.eq_any(text_questions)),
        )
        .execute(conn)?;
        diesel::update(evaluations::table.filter(evaluations::id.eq_any(&ids)))
            .set((
                evaluations::registration_id.eq(None::<i64>),
                evaluations::since_changed.eq(""),
                evaluations::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(ids.len() + answers)
    }
}
