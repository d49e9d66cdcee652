//! Cases as stored: reading them (a participant's, a cohort's, the ones
//! presented so far, whether a viewer may read one, their attachments) and
//! a participant's submission and revision, each one transaction with its
//! receipt.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::config::PublicUrl;
use crate::db::schema::{case_attachments, cases, sessions};
use crate::db::DbConnection;
use crate::echo::cases::form::{CheckedFile, NewCase};
use crate::echo::cohorts::{self};
use crate::echo::participants::{self, Applied, PARTICIPANT};
use crate::error::ApiError;
use crate::mail::outbox::{self, NewMessage};
use crate::series::model::{Session, SCHEDULED};

pub const SUBMITTED: &str = "submitted";
pub const ACCEPTED: &str = "accepted";
pub const REVISION_REQUESTED: &str = "revision_requested";
pub const DECLINED: &str = "declined";

/// What a participant writes of a case, as stored.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = cases, treat_none_as_null = true)]
struct Content<'a> {
    title: &'a str,
    organization_type: &'a str,
    size_band: &'a str,
    setting: &'a str,
    state: &'a str,
    challenge: &'a str,
    challenge_text: &'a str,
    tried: &'a str,
    question: &'a str,
    levers: String,
    preferred_session_id: Option<i64>,
}

impl NewCase {
    fn content(&self) -> Content<'_> {
        Content {
            title: &self.title,
            organization_type: self.organization_type,
            size_band: self.size_band,
            setting: self.setting,
            state: self.state,
            challenge: self.challenge,
            challenge_text: &self.challenge_text,
            tried: &self.tried,
            question: &self.question,
            levers: self.levers.join(","),
            preferred_session_id: self.preferred_session_id,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = cases)]
pub struct Case {
    pub id: i64,
    pub application_id: i64,
    pub cohort_id: i64,
    pub title: String,
    pub organization_type: String,
    pub size_band: String,
    pub setting: String,
    pub state: String,
    pub challenge: String,
    pub tried: String,
    pub question: String,
    pub levers: String,
    pub preferred_session_id: Option<i64>,
    pub attested: bool,
    pub status: String,
    pub revision: i32,
    pub session_id: Option<i64>,
    pub review_message: Option<String>,
    pub recommendations: Option<String>,
    pub recommendations_at: Option<NaiveDateTime>,
    pub follow_up_due_at: Option<NaiveDateTime>,
    pub follow_up_sent_at: Option<NaiveDateTime>,
    pub follow_up_answer: Option<String>,
    pub follow_up_answered_at: Option<NaiveDateTime>,
    pub submitted_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The challenge in the presenter's words ("" for cases sent before
    /// the form asked).
    pub challenge_text: String,
}

/// What is kept of an attachment besides its bytes.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = case_attachments)]
pub struct AttachmentInfo {
    pub case_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Case>> {
    cases::table
        .find(id)
        .select(Case::as_select())
        .first(conn)
        .optional()
}

pub fn attachment_info(
    conn: &mut DbConnection,
    case_id: i64,
) -> QueryResult<Option<AttachmentInfo>> {
    case_attachments::table
        .find(case_id)
        .select(AttachmentInfo::as_select())
        .first(conn)
        .optional()
}

/// The attachment's (file name, content type, bytes).
pub fn attachment_bytes(
    conn: &mut DbConnection,
    case_id: i64,
) -> QueryResult<Option<(String, String, Vec<u8>)>> {
    case_attachments::table
        .find(case_id)
        .select((
            case_attachments::filename,
            case_attachments::content_type,
            case_attachments::content,
        ))
        .first(conn)
        .optional()
}

/// The cases of one participant, newest first.
pub fn of_application(conn: &mut DbConnection, application_id: i64) -> QueryResult<Vec<Case>> {
    cases::table
        .filter(cases::application_id.eq(application_id))
        .order(cases::id.desc())
        .select(Case::as_select())
        .load(conn)
}

/// A cohort's cases, oldest first, optionally of one status.
pub fn of_cohort(
    conn: &mut DbConnection,
    cohort_id: i64,
    status: Option<&str>,
) -> QueryResult<Vec<Case>> {
    let mut query = cases::table
        .filter(cases::cohort_id.eq(cohort_id))
        .order(cases::id.asc())
        .select(Case::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(cases::status.eq(status.to_string()));
    }
    query.load(conn)
}

/// Cases accepted into sessions of the cohort that have begun: what any
/// participant of the cohort may read.
pub fn presented(
    conn: &mut DbConnection,
    cohort_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<Case>> {
    cases::table
        .inner_join(sessions::table.on(cases::session_id.eq(sessions::id.nullable())))
        .filter(cases::cohort_id.eq(cohort_id))
        .filter(cases::status.eq(ACCEPTED))
        .filter(sessions::starts_at.le(now))
        .order(sessions::starts_at.asc())
        .select(Case::as_select())
        .load(conn)
}

/// Whether `viewer` may read `case`: their own always; another's only once
/// it was accepted into a session of their cohort that has begun.
pub fn visible_to(
    conn: &mut DbConnection,
    case: &Case,
    viewer: &Applied,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if case.application_id == viewer.application.id {
        return Ok(true);
    }
    if case.cohort_id != viewer.application.cohort_id || case.status != ACCEPTED {
        return Ok(false);
    }
    let Some(session_id) = case.session_id else {
        return Ok(false);
    };
    let starts_at: Option<NaiveDateTime> = sessions::table
        .find(session_id)
        .select(sessions::starts_at)
        .first(conn)
        .optional()?;
    Ok(starts_at.is_some_and(|at| at <= now))
}

/// The cohort's sessions a case may still prefer or be scheduled into:
/// scheduled and not yet begun.
pub fn open_sessions(
    conn: &mut DbConnection,
    cohort_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<(Session, cohorts::EchoSession)>> {
    Ok(cohorts::sessions_of(conn, cohort_id)?
        .into_iter()
        .filter(|(s, _)| s.status == SCHEDULED && s.starts_at > now)
        .collect())
}

pub(super) fn not_yours() -> ApiError {
    ApiError::NotFound("No such case.".into())
}

fn write_attachment(
    conn: &mut DbConnection,
    case_id: i64,
    file: &CheckedFile,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(case_attachments::table.find(case_id)).execute(conn)?;
    diesel::insert_into(case_attachments::table)
        .values((
            case_attachments::case_id.eq(case_id),
            case_attachments::filename.eq(&file.filename),
            case_attachments::content_type.eq(file.content_type),
            case_attachments::size_bytes.eq(file.bytes.len() as i64),
            case_attachments::content.eq(&file.bytes),
            case_attachments::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes a participant's new case (and its attachment) and e-mails the
/// receipt. Observers do not submit cases.
pub fn submit(
    conn: &mut DbConnection,
    who: &Applied,
    new: &NewCase,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> Result<Case, ApiError> {
    if who.application.role != PARTICIPANT {
        return Err(ApiError::Forbidden(
            "Observers take part in the discussions; only participants submit cases.".into(),
        ));
    }
    let id: i64 = diesel::insert_into(cases::table)
        .values((
            cases::application_id.eq(who.application.id),
            cases::cohort_id.eq(who.application.cohort_id),
            new.content(),
            cases::attested.eq(true),
            cases::status.eq(SUBMITTED),
            cases::revision.eq(1),
            cases::submitted_at.eq(now),
            cases::created_at.eq(now),
            cases::updated_at.eq(now),
        ))
        .returning(cases::id)
        .get_result(conn)?;
    if let Some(file) = &new.attachment {
        write_attachment(conn, id, file, now)?;
    }
    let case = find(conn, id)?.ok_or_else(not_yours)?;
    outbox::enqueue(
        conn,
        &letter(
            who,
            &case,
            "case_received",
            public_url,
            &who.application.link_placeholder(),
        ),
        now,
    )?;
    Ok(case)
}

/// The participant's revision of a case a facilitator sent back: the new
/// text replaces the old (a new attachment replaces the old one; none
/// keeps it), and it waits for review again.
pub fn resubmit(
    conn: &mut DbConnection,
    who: &Applied,
    id: i64,
    new: &NewCase,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> Result<Case, ApiError> {
    let before = find(conn, id)?
        .filter(|c| c.application_id == who.application.id)
        .ok_or_else(not_yours)?;
    if before.status != REVISION_REQUESTED {
        return Err(ApiError::Conflict(
            "not_editable",
            "This case can be changed only when the facilitators ask for a revision.".into(),
        ));
    }
    diesel::update(
        cases::table
            .find(id)
            .filter(cases::status.eq(REVISION_REQUESTED)),
    )
    .set((
        new.content(),
        cases::status.eq(SUBMITTED),
        cases::revision.eq(before.revision + 1),
        cases::submitted_at.eq(now),
        cases::updated_at.eq(now),
    ))
    .execute(conn)?;
    if let Some(file) = &new.attachment {
        write_attachment(conn, id, file, now)?;
    }
    let case = find(conn, id)?.ok_or_else(not_yours)?;
    outbox::enqueue(
        conn,
        &letter(
            who,
            &case,
            "case_received",
            public_url,
            &who.application.link_placeholder(),
        ),
        now,
    )?;
    Ok(case)
}

/// One e-mail to a case's presenter about it.
pub(super) fn letter(
    who: &Applied,
    case: &Case,
    template: &'static str,
    public_url: &PublicUrl,
    token: &str,
) -> NewMessage {
    let case_url = public_url.join(&format!("/echo/p/{token}/cases/{}", case.id));
    NewMessage {
        key: format!("case:{}:{template}:{}", case.id, case.revision),
        template,
        recipient: who.email.clone(),
        context: json!({
            "first_name": who.first_name,
            "title": case.title,
            "revision": case.revision,
            "resubmitted": case.revision > 1,
            "message": case.review_message.clone().unwrap_or_default(),
            "case_url": case_url,
            "page_url": participants::page_url(public_url, token),
            "cohort_url": public_url.join("/echo"),
            "when": "",
        }),
        calendar: None,
    }
}
