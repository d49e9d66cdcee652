//! What the hub does with a case: the facilitators' review (accepted into
//! a session's case slot | revision requested | declined, each e-mailed),
//! the recommendations after the session, and the follow-up asking what
//! happened, with the presenter's answer. Each write is one transaction with
//! its e-mails and, for facilitators, its audit entry.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::calendar::ics::{Method, Party};
use crate::config::PublicUrl;
use crate::db::schema::{cases, echo_sessions, sessions};
use crate::db::DbConnection;
use crate::echo::cases::richtext;
use crate::echo::cases::store::{
    find, letter, not_yours, Case, ACCEPTED, DECLINED, REVISION_REQUESTED, SUBMITTED,
};
use crate::echo::cohorts::{self, Cohort};
use crate::echo::participants::{self, Applied};
use crate::error::ApiError;
use crate::mail::outbox::{self, CalendarPart};
use crate::series::model::{Session, SCHEDULED};

/// A facilitator's review of a submitted case.
#[derive(Debug, Clone)]
pub enum Review {
    /// Scheduled into one of the session's case slots.
    Accept {
        session_id: i64,
        message: Option<String>,
    },
    /// Sent back with what to change.
    Revise {
        message: String,
    },
    Decline {
        message: String,
    },
}

/// Reviews submitted case `id` and e-mails the presenter: acceptance names
/// the session and brings its calendar invitation. A session must be the
/// cohort's, still ahead, with a free case slot. Audited.
pub fn review(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    review: &Review,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> Result<Case, ApiError> {
    let cohort_id = find(conn, id)?.ok_or_else(not_yours)?.cohort_id;
    let cohort = cohorts::find_by_id(conn, cohort_id)?.ok_or_else(not_yours)?;
    // Reviews of one cohort's cases queue up, so two acceptances cannot
    // both take a session's last slot.
    diesel::update(crate::db::schema::cohorts::table.find(cohort.id))
        .set(crate::db::schema::cohorts::updated_at.eq(crate::db::schema::cohorts::updated_at))
        .execute(conn)?;
    // Read the case only now, behind the lock: a review that got there
    // first has committed, and this one sees the case is no longer
    // submitted (read before the lock, both would pass).
    let before = find(conn, id)?.ok_or_else(not_yours)?;
    if before.status != SUBMITTED {
        return Err(ApiError::Conflict(
            "not_submitted",
            format!(
                "This case is {}; only a submitted case is reviewed.",
                before.status.replace('_', " ")
            ),
        ));
    }
    let (status, session_id, message) = match review {
        Review::Accept {
            session_id,
            message,
        } => {
            check_slot(conn, &cohort, *session_id, now)?;
            (ACCEPTED, Some(*session_id), message.clone())
        }
        Review::Revise { message } => (REVISION_REQUESTED, None, Some(message.clone())),
        Review::Decline { message } => (DECLINED, None, Some(message.clone())),
    };
    diesel::update(cases::table.find(id))
        .set((
            cases::status.eq(status),
            cases::session_id.eq(session_id),
            cases::review_message.eq(&message),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    let case = find(conn, id)?.ok_or_else(not_yours)?;
    let who = participants::find(conn, case.application_id)?.ok_or_else(not_yours)?;
    let token = who.application.link_placeholder();
    let template = match status {
        ACCEPTED => "case_accepted",
        REVISION_REQUESTED => "case_revision_requested",
        _ => "case_declined",
    };
    let mut msg = letter(&who, &case, template, public_url, &token);
    if let Some(session_id) = session_id {
        let (session, _) = cohorts::sessions_of(conn, cohort.id)?
            .into_iter()
            .find(|(s, _)| s.id == session_id)
            .ok_or_else(not_yours)?;
        let program = participants::program_of(conn, &cohort)?;
        msg.context["when"] = json!(session.when());
        msg.context["other_zones"] = json!(session.other_zones());
        msg.calendar = Some(CalendarPart {
            method: Method::Request,
            events: vec![session.calendar_event(
                &program,
                format!(
                    "You present your case “{}” in this session.\n\nJoin: {}\n\nYour ECHO page: {}",
                    case.title,
                    session.join_url,
                    participants::page_url(public_url, &token)
                ),
                Some(Party {
                    name: format!("{} {}", who.first_name, who.last_name),
                    email: who.email.clone(),
                }),
                0,
            )],
        });
    }
    outbox::enqueue(conn, &msg, now)?;
    audit::record(
        conn,
        actor,
        &format!("case.{status}"),
        &format!("case:{id}"),
        Some(json!({ "status": before.status, "revision": before.revision })),
        Some(json!({ "status": case.status, "session_id": case.session_id, "message": message })),
        now,
    )?;
    Ok(case)
}

/// Refuses a session that is not the cohort's, has begun, is cancelled,
/// or whose case slots are taken.
fn check_slot(
    conn: &mut DbConnection,
    cohort: &Cohort,
    session_id: i64,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let found: Option<(Session, cohorts::EchoSession)> = sessions::table
        .inner_join(echo_sessions::table)
        .filter(sessions::id.eq(session_id))
        .filter(echo_sessions::cohort_id.eq(cohort.id))
        .select((Session::as_select(), cohorts::EchoSession::as_select()))
        .first(conn)
        .optional()?;
    let Some((session, echo)) = found else {
        return Err(ApiError::Invalid {
            message: "Choose one of the cohort's sessions.".into(),
            fields: vec![(
                "session_id".into(),
                format!("session {session_id} is not one of {}'s", cohort.name),
            )],
        });
    };
    if session.status != SCHEDULED || session.starts_at <= now {
        return Err(ApiError::Conflict(
            "session_closed",
            "That session is cancelled or has begun.".into(),
        ));
    }
    let taken: i64 = cases::table
        .filter(cases::session_id.eq(session_id))
        .filter(cases::status.eq(ACCEPTED))
        .count()
        .get_result(conn)?;
    if taken >= i64::from(echo.case_slots) {
        return Err(ApiError::Conflict(
            "no_case_slot",
            format!(
                "{} has {} case slot(s), all taken: choose another session.",
                session.when(),
                echo.case_slots
            ),
        ));
    }
    Ok(())
}

/// Records the hub's recommendations (Markdown) for an accepted case whose
/// session is over, e-mails them to the presenter, and sets the follow-up
/// `follow_up` from now (first time only). Writing them again corrects
/// them and sends the corrected text. Audited.
pub fn recommend(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    markdown: &str,
    follow_up: Duration,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> Result<Case, ApiError> {
    let markdown = markdown.trim();
    if markdown.is_empty() || markdown.chars().count() > 20_000 {
        return Err(ApiError::Invalid {
            message: "Write the recommendations (up to 20 000 characters).".into(),
            fields: vec![(
                "recommendations".into(),
                "required, at most 20 000 characters".into(),
            )],
        });
    }
    let before = find(conn, id)?.ok_or_else(not_yours)?;
    // A cancelled session was never held: nothing to recommend on.
    let ended: Option<NaiveDateTime> = match before.session_id {
        Some(session_id) => sessions::table
            .find(session_id)
            .filter(sessions::status.eq(SCHEDULED))
            .select(sessions::ends_at)
            .first(conn)
            .optional()?,
        None => None,
    };
    if before.status != ACCEPTED || ended.is_none_or(|at| at > now) {
        return Err(ApiError::Conflict(
            "not_presented",
            "Recommendations follow the case's presentation: the case must be accepted and its session over.".into(),
        ));
    }
    diesel::update(cases::table.find(id))
        .set((
            cases::recommendations.eq(Some(markdown)),
            cases::recommendations_at.eq(Some(now)),
            cases::follow_up_due_at.eq(before.follow_up_due_at.or(Some(now + follow_up))),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    let case = find(conn, id)?.ok_or_else(not_yours)?;
    let who = participants::find(conn, case.application_id)?.ok_or_else(not_yours)?;
    let token = who.application.link_placeholder();
    let mut msg = letter(&who, &case, "case_recommendations", public_url, &token);
    msg.key = format!(
        "case:{id}:recommendations:{}",
        now.and_utc().timestamp_micros()
    );
    msg.context["recommendations_html"] = json!(richtext::to_html(markdown));
    msg.context["recommendations_text"] = json!(richtext::to_text(markdown));
    msg.context["corrected"] = json!(before.recommendations.is_some());
    outbox::enqueue(conn, &msg, now)?;
    audit::record(
        conn,
        actor,
        "case.recommendations",
        &format!("case:{id}"),
        Some(json!({ "recommendations": before.recommendations.is_some() })),
        Some(
            json!({ "recommendations": true, "follow_up_due_at": case.follow_up_due_at.map(|t| t.and_utc().to_rfc3339()) }),
        ),
        now,
    )?;
    Ok(case)
}

/// Cases whose follow-up is due and not yet queued.
fn follow_ups_waiting(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<Case>> {
    cases::table
        .filter(cases::follow_up_due_at.le(now))
        .filter(cases::follow_up_sent_at.is_null())
        .select(Case::as_select())
        .load(conn)
}

/// Whether `follow_ups_due` would queue anything: a read, so a scheduler
/// tick with nothing due writes nothing.
pub fn any_follow_up_due(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<bool> {
    Ok(!follow_ups_waiting(conn, now)?.is_empty())
}

/// Queues the follow-up of every case whose time has come; returns how
/// many. Each is claimed first, so schedulers running at once send it once.
pub fn follow_ups_due(
    conn: &mut DbConnection,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut queued = 0;
    for case in follow_ups_waiting(conn, now)? {
        let claimed = diesel::update(
            cases::table
                .find(case.id)
                .filter(cases::follow_up_sent_at.is_null()),
        )
        .set(cases::follow_up_sent_at.eq(Some(now)))
        .execute(conn)?;
        if claimed == 0 {
            continue;
        }
        let Some(who) = participants::find(conn, case.application_id)? else {
            continue;
        };
        let token = who.application.link_placeholder();
        if outbox::enqueue(
            conn,
            &letter(&who, &case, "case_follow_up", public_url, &token),
            now,
        )? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Stores the presenter's answer to the follow-up (once asked; a second
/// answer replaces the first).
pub fn answer_follow_up(
    conn: &mut DbConnection,
    who: &Applied,
    id: i64,
    answer: &str,
    now: NaiveDateTime,
) -> Result<Case, ApiError> {
    let case = find(conn, id)?
        .filter(|c| c.application_id == who.application.id)
        .ok_or_else(not_yours)?;
    if case.follow_up_sent_at.is_none() {
        return Err(ApiError::Conflict(
            "not_asked",
            "The follow-up has not been asked yet.".into(),
        ));
    }
    let answer = answer.replace("\r\n", "\n").trim().to_string();
    if answer.is_empty() || answer.chars().count() > 10_000 {
        return Err(ApiError::Invalid {
            message: "Write what happened (up to 10 000 characters).".into(),
            fields: vec![(
                "answer".into(),
                "required, at most 10 000 characters".into(),
            )],
        });
    }
    diesel::update(cases::table.find(id))
        .set((
            cases::follow_up_answer.eq(Some(&answer)),
            cases::follow_up_answered_at.eq(Some(now)),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, id)?.ok_or_else(not_yours)
}
