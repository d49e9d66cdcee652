//! The ECHO's data about a person: applications (their page's link killed
//! on erasure), the cases they submitted with their attachments, and the
//! sessions they taught as faculty. Rows stay (a cohort's counts and
//! calendar are right); what they wrote, and their files, go.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{applications, case_attachments, cases, cohorts, echo_sessions, sessions};
use crate::db::DbConnection;
use crate::people::{iso, scrub_text, subjects, PersonalData, Subject, ERASED_NAME};

pub struct Applications;

/// The person's pages stop working: no application keeps a link.
fn kill_links(conn: &mut DbConnection, person: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(applications::table.filter(applications::person_id.eq(person)))
        .set((
            applications::access_token_hash.eq(None::<String>),
            applications::access_token_sealed.eq(None::<String>),
            applications::updated_at.eq(now),
        ))
        .execute(conn)
}

impl PersonalData for Applications {
    fn tables(&self) -> &'static [&'static str] {
        &["applications"]
    }

    fn key(&self) -> &'static str {
        "applications"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        let ids = applications::table
            .filter(applications::person_id.eq(person))
            .select(applications::id)
            .load(conn)?;
        Ok(subjects("application", ids))
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            NaiveDateTime,
            Option<NaiveDateTime>,
        );
        let rows: Vec<Row> = applications::table
            .inner_join(cohorts::table)
            .filter(applications::person_id.eq(person))
            .order(applications::id)
            .select((
                applications::id,
                cohorts::name,
                applications::organization_type,
                applications::role,
                applications::hopes_to_bring,
                applications::hopes_to_learn,
                applications::status,
                applications::decision_message,
                applications::created_at,
                applications::decided_at,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, cohort, kind, role, bring, learn, status, message, created, decided)| {
                    json!({
                        "id": id,
                        "cohort": cohort,
                        "organization_type": kind,
                        "role": role,
                        "hopes_to_bring": bring,
                        "hopes_to_learn": learn,
                        "status": status,
                        "decision_message": message,
                        "created_at": iso(created),
                        "decided_at": decided.map(iso),
                    })
                },
            )
            .collect())
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let Some(person) = who.person_id() else {
            return Ok(0);
        };
        kill_links(conn, person, now)?;
        diesel::update(applications::table.filter(applications::person_id.eq(person)))
            .set((
                applications::hopes_to_bring.eq(""),
                applications::hopes_to_learn.eq(""),
                applications::decision_message.eq(None::<String>),
            ))
            .execute(conn)
    }
}

pub struct Cases;

fn their_cases(conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<i64>> {
    let Some(person) = who.person_id() else {
        return Ok(Vec::new());
    };
    cases::table
        .inner_join(applications::table)
        .filter(applications::person_id.eq(person))
        .order(cases::id)
        .select(cases::id)
        .load(conn)
}

impl PersonalData for Cases {
    fn tables(&self) -> &'static [&'static str] {
        &["cases", "case_attachments"]
    }

    fn key(&self) -> &'static str {
        "cases"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        Ok(subjects("case", their_cases(conn, who)?))
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let ids = their_cases(conn, who)?;
        type Row = (
            (i64, String, String, String, String, String),
            (String, String, String, String, String),
            (Option<String>, Option<String>, Option<String>),
            (NaiveDateTime, Option<String>, Option<i64>),
        );
        let rows: Vec<Row> = cases::table
            .left_join(case_attachments::table)
            .filter(cases::id.eq_any(&ids))
            .order(cases::id)
            .select((
                (
                    cases::id,
                    cases::title,
                    cases::organization_type,
                    cases::size_band,
                    cases::setting,
                    cases::state,
                ),
                (
                    cases::challenge,
                    cases::challenge_text,
                    cases::tried,
                    cases::question,
                    cases::status,
                ),
                (
                    cases::review_message,
                    cases::recommendations,
                    cases::follow_up_answer,
                ),
                (
                    cases::submitted_at,
                    case_attachments::filename.nullable(),
                    case_attachments::size_bytes.nullable(),
                ),
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    (id, title, kind, size, setting, state),
                    (challenge, challenge_text, tried, question, status),
                    (review, recommendations, answer),
                    (submitted, file, bytes),
                )| {
                    json!({
                        "id": id,
                        "title": title,
                        "organization_type": kind,
                        "size_band": size,
                        "setting": setting,
                        "state": state,
                        "challenge": challenge,
                        "challenge_text": challenge_text,
                        "tried": tried,
                        "question": question,
                        "status": status,
                        "review_message": review,
                        "recommendations": recommendations,
                        "follow_up_answer": answer,
                        "submitted_at": iso(submitted),
                        "attachment": file.map(|f| json!({ "filename": f, "size_bytes": bytes })),
                    })
                },
            )
            .collect())
    }

    /// The case stays (a session's agenda, a cohort's counts) with nothing
    /// of what was written in it; its attachment is deleted.
    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let ids = their_cases(conn, who)?;
        diesel::delete(case_attachments::table.filter(case_attachments::case_id.eq_any(&ids)))
            .execute(conn)?;
        diesel::update(cases::table.filter(cases::id.eq_any(&ids)))
            .set((
                cases::title.eq(ERASED_NAME),
                cases::challenge.eq(""),
                cases::challenge_text.eq(""),
                cases::tried.eq(""),
                cases::question.eq(""),
                cases::review_message.eq(None::<String>),
                cases::recommendations.eq(None::<String>),
                cases::follow_up_answer.eq(None::<String>),
                cases::updated_at.eq(now),
            ))
            .execute(conn)
    }
}

pub struct Faculty;

/// Sessions whose faculty is the person: by address, or by name where no
/// address was given.
fn taught_by(conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<i64>> {
    let rows: Vec<(i64, String, String)> = echo_sessions::table
        .filter(
            echo_sessions::faculty_email
                .eq(&who.email)
                .or(echo_sessions::faculty_email
                    .eq("")
                    .and(echo_sessions::faculty_name.ne(""))),
        )
        .select((
            echo_sessions::session_id,
            echo_sessions::faculty_name,
            echo_sessions::faculty_email,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, name, email)| *email == who.email || who.is_named(name))
        .map(|(id, ..)| id)
        .collect())
}

impl PersonalData for Faculty {
    fn tables(&self) -> &'static [&'static str] {
        &["echo_sessions", "cohort_facilitators"]
    }

    fn key(&self) -> &'static str {
        "faculty"
    }

    fn names(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        echo_sessions::table
            .filter(echo_sessions::faculty_email.eq(&who.email))
            .select(echo_sessions::faculty_name)
            .load(conn)
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let ids = taught_by(conn, who)?;
        let rows: Vec<(i64, String, NaiveDateTime, String)> = echo_sessions::table
            .inner_join(sessions::table)
            .filter(echo_sessions::session_id.eq_any(&ids))
            .order(sessions::starts_at)
            .select((
                sessions::id,
                sessions::title,
                sessions::starts_at,
                echo_sessions::didactic_topic,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, title, starts, topic)| {
                json!({
                    "session_id": id,
                    "session_title": title,
                    "starts_at": iso(starts),
                    "didactic_topic": topic,
                })
            })
            .collect())
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        _: NaiveDateTime,
    ) -> QueryResult<usize> {
        let ids = taught_by(conn, who)?;
        let taught =
            diesel::update(echo_sessions::table.filter(echo_sessions::session_id.eq_any(&ids)))
                .set((
                    echo_sessions::faculty_name.eq(""),
                    echo_sessions::faculty_email.eq(""),
                ))
                .execute(conn)?;
        // An organizer who assigned facilitators is named by their sign-in.
        Ok(taught + scrub_text(conn, "cohort_facilitators", &["assigned_by"], who)?)
    }
}
