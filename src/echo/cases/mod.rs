//! Case submissions: the participant's structured form (screened for
//! identifying details, attested, with an optional PDF or Word attachment
//! checked by its content), the facilitators' review (accepted into a
//! session's case slot | revision requested | declined, each e-mailed),
//! the hub's recommendations after the session, and the follow-up asking
//! what happened. Each write is one transaction with its e-mails and, for
//! facilitators, its audit entry.

pub mod attachment;
pub mod pages;
pub mod review;
pub mod richtext;
pub mod screen;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::calendar::ics::{Method, Party};
use crate::config::PublicUrl;
use crate::db::schema::{case_attachments, cases, echo_sessions, sessions};
use crate::db::DbConnection;
use crate::echo::cohorts::{self, Cohort};
use crate::echo::participants::{self, Applied, ORGANIZATION_TYPES, PARTICIPANT};
use crate::error::ApiError;
use crate::lineup::levers;
use crate::mail::outbox::{self, CalendarPart, NewMessage};
use crate::people::contact::STATES;
use crate::series::model::{Session, SCHEDULED};

pub const SUBMITTED: &str = "submitted";
pub const ACCEPTED: &str = "accepted";
pub const REVISION_REQUESTED: &str = "revision_requested";
pub const DECLINED: &str = "declined";

pub const SIZE_BANDS: &[(&str, &str)] = &[
    ("under-50", "Fewer than 50 staff"),
    ("50-199", "50 to 199 staff"),
    ("200-499", "200 to 499 staff"),
    ("500-plus", "500 staff or more"),
];

pub const SETTINGS: &[(&str, &str)] = &[
    ("rural", "Rural"),
    ("urban", "Urban"),
    ("mixed", "Mixed rural and urban"),
];

pub const CHALLENGES: &[(&str, &str)] = &[
    ("recruitment", "Recruitment"),
    ("retention", "Retention"),
    ("burnout", "Burnout and well-being"),
    ("supervision", "Supervision"),
    ("pay", "Pay and benefits"),
    ("other", "Something else"),
];

/// The form's fields, what people call them, in form order.
pub const LABELS: &[(&str, &str)] = &[
    ("title", "Title"),
    ("organization_type", "Type of organization"),
    ("size_band", "Size"),
    ("setting", "Setting"),
    ("state", "State"),
    ("challenge", "The workforce challenge"),
    ("tried", "What you have tried"),
    ("question", "Your question for the hub"),
    ("levers", "Levers of change"),
    ("preferred_session_id", "Preferred session"),
    ("attachment", "Attachment"),
    ("attest", "Attestation"),
];

fn label(field: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("A field", |(_, l)| l)
}

/// The case form as sent (text fields, and the file if one came).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseForm {
    pub title: String,
    pub organization_type: String,
    pub size_band: String,
    pub setting: String,
    pub state: String,
    pub challenge: String,
    pub tried: String,
    pub question: String,
    pub levers: Vec<String>,
    pub preferred_session_id: String,
    pub attest: bool,
    #[serde(skip)]
    pub attachment: Option<Upload>,
}

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// An attachment that passed the check.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// A case whose every field has been checked and screened.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub title: String,
    pub organization_type: &'static str,
    pub size_band: &'static str,
    pub setting: &'static str,
    pub state: &'static str,
    pub challenge: &'static str,
    pub tried: String,
    pub question: String,
    pub levers: Vec<&'static str>,
    pub preferred_session_id: Option<i64>,
    pub attachment: Option<CheckedFile>,
}

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
            tried: &self.tried,
            question: &self.question,
            levers: self.levers.join(","),
            preferred_session_id: self.preferred_session_id,
        }
    }
}

/// Free text: line ends kept (the screen names lines), surrounding space
/// trimmed, no control characters but line ends and tabs.
fn long_text(errors: &mut Vec<(String, String)>, field: &str, value: &str, max: usize) -> String {
    let clean = value.replace("\r\n", "\n").trim().to_string();
    if clean.is_empty() {
        errors.push((field.into(), format!("{}: fill this in.", label(field))));
    } else if clean.chars().count() > max {
        errors.push((
            field.into(),
            format!("{}: at most {max} characters.", label(field)),
        ));
    } else if clean
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push((
            field.into(),
            format!(
                "{}: contains characters that are not allowed.",
                label(field)
            ),
        ));
    }
    clean
}

fn choice(
    errors: &mut Vec<(String, String)>,
    field: &str,
    value: &str,
    list: &[(&'static str, &'static str)],
) -> Option<&'static str> {
    let found = list
        .iter()
        .find(|(c, _)| *c == value.trim())
        .map(|(c, _)| *c);
    if found.is_none() {
        errors.push((field.into(), format!("{}: choose one.", label(field))));
    }
    found
}

/// Checks the form: a `NewCase`, or a message per problem (each finding
/// of the screen is one, naming the field, the line and what it found).
/// `sessions` are the ones the case may prefer.
pub fn parse(
    form: &CaseForm,
    sessions: &[i64],
    max_bytes: usize,
) -> Result<NewCase, Vec<(String, String)>> {
    let mut e = Vec::new();
    let title = long_text(&mut e, "title", &form.title, 200).replace('\n', " ");
    let kinds: Vec<(&str, &str)> = ORGANIZATION_TYPES
        .iter()
        .map(|(c, l, _)| (*c, *l))
        .collect();
    let organization_type = choice(&mut e, "organization_type", &form.organization_type, &kinds);
    let size_band = choice(&mut e, "size_band", &form.size_band, SIZE_BANDS);
    let setting = choice(&mut e, "setting", &form.setting, SETTINGS);
    let state = choice(&mut e, "state", &form.state, STATES);
    let challenge = choice(&mut e, "challenge", &form.challenge, CHALLENGES);
    let tried = long_text(&mut e, "tried", &form.tried, 5000);
    let question = long_text(&mut e, "question", &form.question, 2000);
    let lever_codes = levers::parse(&form.levers)
        .map_err(|m| e.push(("levers".into(), format!("{}: {m}", label("levers")))))
        .ok();
    let preferred_session_id = match form.preferred_session_id.trim() {
        "" => None,
        id => match id.parse::<i64>().ok().filter(|id| sessions.contains(id)) {
            Some(id) => Some(id),
            None => {
                e.push((
                    "preferred_session_id".into(),
                    "Preferred session: choose one of the cohort's coming sessions.".into(),
                ));
                None
            }
        },
    };
    let attachment = match &form.attachment {
        None => None,
        Some(upload) => match attachment::check(&upload.filename, &upload.bytes, max_bytes) {
            Ok(kind) => Some(CheckedFile {
                filename: attachment::safe_filename(&upload.filename, kind),
                content_type: kind.content_type(),
                bytes: upload.bytes.clone(),
            }),
            Err(refusal) => {
                e.push((
                    "attachment".into(),
                    format!("{}: {refusal}", label("attachment")),
                ));
                None
            }
        },
    };
    // A field already refused (too long, say) is not screened: its text is
    // not kept, and screening it would be work done for nothing.
    let screened: Vec<(&str, &str)> = [
        ("title", &title),
        ("tried", &tried),
        ("question", &question),
    ]
    .into_iter()
    .filter(|(field, _)| e.iter().all(|(refused, _)| refused != field))
    .map(|(field, text)| (field, text.as_str()))
    .collect();
    for finding in screen::screen(&screened) {
        let field = finding.field.clone();
        e.push((field.clone(), finding.message(label(&field))));
    }
    if !form.attest {
        e.push((
            "attest".into(),
            "Attestation: confirm that the case identifies no client or employee.".into(),
        ));
    }
    match (
        organization_type,
        size_band,
        setting,
        state,
        challenge,
        lever_codes,
    ) {
        (
            Some(organization_type),
            Some(size_band),
            Some(setting),
            Some(state),
            Some(challenge),
            Some(levers),
        ) if e.is_empty() => Ok(NewCase {
            title,
            organization_type,
            size_band,
            setting,
            state,
            challenge,
            tried,
            question,
            levers,
            preferred_session_id,
            attachment,
        }),
        _ => Err(e),
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

fn lookup(list: &[(&str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map_or("", |(_, l)| l)
}

impl Case {
    /// The case as pages and the API show it (recommendations as safe HTML).
    pub fn to_json(&self) -> serde_json::Value {
        let kinds: Vec<(&str, &'static str)> = ORGANIZATION_TYPES
            .iter()
            .map(|(c, l, _)| (*c, *l))
            .collect();
        json!({
            "id": self.id,
            "title": self.title,
            "organization_type": self.organization_type,
            "organization_type_label": lookup(&kinds, &self.organization_type),
            "size_band": self.size_band,
            "size_band_label": lookup(SIZE_BANDS, &self.size_band),
            "setting": self.setting,
            "setting_label": lookup(SETTINGS, &self.setting),
            "state": self.state,
            "challenge": self.challenge,
            "challenge_label": lookup(CHALLENGES, &self.challenge),
            "tried": self.tried,
            "question": self.question,
            "levers": levers::tags(&levers::from_column(&self.levers)),
            "preferred_session_id": self.preferred_session_id,
            "status": self.status,
            "revision": self.revision,
            "session_id": self.session_id,
            "review_message": self.review_message,
            "recommendations": self.recommendations,
            "recommendations_html": self.recommendations.as_deref().map(richtext::to_html),
            "follow_up_sent": self.follow_up_sent_at.is_some(),
            "follow_up_answer": self.follow_up_answer,
            "submitted_at": self.submitted_at.and_utc().to_rfc3339(),
        })
    }
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

fn not_yours() -> ApiError {
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

/// Queues the follow-up of every case whose time has come; returns how
/// many. Each is claimed first, so schedulers running at once send it once.
pub fn follow_ups_due(
    conn: &mut DbConnection,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let due: Vec<Case> = cases::table
        .filter(cases::follow_up_due_at.le(now))
        .filter(cases::follow_up_sent_at.is_null())
        .select(Case::as_select())
        .load(conn)?;
    let mut queued = 0;
    for case in due {
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

/// One e-mail to a case's presenter about it.
fn letter(
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
