//! Applications to join a cohort: the public form's rules, the pending →
//! approved | waitlisted | declined decision with its e-mail, and the
//! participant's magic link. Each write is one transaction with its
//! e-mails and, for facilitators' decisions, its audit entry.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::calendar::ics::Method;
use crate::config::PublicUrl;
use crate::db::schema::{applications, people};
use crate::db::DbConnection;
use crate::echo::cohorts::{self, Cohort};
use crate::echo::participants::{
    feed_url, find, page_url, program_of, session_description, Applied, APPROVED, DECLINED,
    ORGANIZATION_TYPES, PARTICIPANT, PENDING, ROLES, WAITLISTED,
};
use crate::error::ApiError;
use crate::lists;
use crate::mail::address::EmailAddress;
use crate::mail::outbox::{self, CalendarPart, NewMessage};
use crate::people::contact::{contact, state, text, Ask, Asks, ContactFields, FieldErrors};
use crate::web::links;

/// The application form as typed; bad values come back to the page.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ApplicationForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    pub organization_type: String,
    pub state: String,
    pub job_title: String,
    pub role: String,
    pub hopes_to_bring: String,
    pub hopes_to_learn: String,
    /// The hidden honeypot field (`limits::HONEYPOT`): empty from people.
    #[serde(skip_serializing)]
    pub website: String,
}

/// An application whose every field has been checked.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    pub organization: String,
    pub organization_type: &'static str,
    pub sector: &'static str,
    pub state: &'static str,
    pub job_title: String,
    pub role: &'static str,
    pub hopes_to_bring: String,
    pub hopes_to_learn: String,
}

/// The person part of the application: the organization must be given; the
/// state is asked after the kind of organization, the job title after it.
const ASKS: Asks = Asks {
    organization: Some(Ask::Required),
    job_title: None,
    sector: None,
    state: None,
};

/// Checks the form: an `Applicant`, or a message for every bad field.
pub fn parse(form: &ApplicationForm) -> Result<Applicant, FieldErrors> {
    let mut errors = FieldErrors::default();
    let e = &mut errors;
    let fields = ContactFields {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        organization: &form.organization,
        ..ContactFields::default()
    };
    let person = contact(e, &fields, &ASKS);
    let kind = ORGANIZATION_TYPES
        .iter()
        .find(|(c, ..)| *c == form.organization_type.trim());
    if kind.is_none() {
        e.add(
            "organization_type",
            "Choose the kind of organization you work for.",
        );
    }
    let state = state(e, &form.state, Ask::Required);
    let job_title = text(e, "job_title", &form.job_title, "job title", true, 200);
    let role = ROLES
        .iter()
        .find(|(c, _)| *c == form.role.trim())
        .map(|(c, _)| *c);
    if role.is_none() {
        e.add("role", "Choose whether you will present a case or observe.");
    }
    let hopes_to_bring = text(
        e,
        "hopes_to_bring",
        &form.hopes_to_bring,
        "answer about what you hope to bring",
        true,
        2000,
    );
    let hopes_to_learn = text(
        e,
        "hopes_to_learn",
        &form.hopes_to_learn,
        "answer about what you hope to learn",
        true,
        2000,
    );
    match (person, kind, state, role) {
        (Some(p), Some((code, _, sector)), Some(state), Some(role)) if errors.is_empty() => {
            Ok(Applicant {
                first_name: p.first_name,
                last_name: p.last_name,
                email: p.email,
                organization: p.organization,
                organization_type: code,
                sector,
                state,
                job_title,
                role,
                hopes_to_bring,
                hopes_to_learn,
            })
        }
        _ => Err(errors),
    }
}

/// What applying did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Received,
    /// This address already applied to this cohort: nothing changed.
    AlreadyApplied,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("applications to this cohort are not open")]
    Closed,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<diesel::result::Error> for ApplyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Writes an application (and the person, filling only blank fields of an
/// existing record) and queues the receipt.
pub fn apply(
    conn: &mut DbConnection,
    cohort: &Cohort,
    a: &Applicant,
    public_url: &PublicUrl,
    cap: outbox::RecipientCap,
    now: NaiveDateTime,
) -> Result<Outcome, ApplyError> {
    if !cohort.accepts_applications(now) {
        return Err(ApplyError::Closed);
    }
    let person = lists::upsert_contact(
        conn,
        &lists::Contact {
            email: a.email.as_str(),
            first_name: &a.first_name,
            last_name: &a.last_name,
            organization: &a.organization,
            job_title: &a.job_title,
            sector: a.sector,
            state: a.state,
        },
        now,
    )?;
    let person_id = person.id;
    let sql = conn.sql(
        "INSERT INTO applications (cohort_id, person_id, organization_type, role, hopes_to_bring, \
         hopes_to_learn, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (cohort_id, person_id) DO NOTHING RETURNING id",
    );
    let inserted: Vec<crate::db::ReturnedId> = diesel::sql_query(sql)
        .bind::<BigInt, _>(cohort.id)
        .bind::<BigInt, _>(person_id)
        .bind::<Text, _>(a.organization_type)
        .bind::<Text, _>(a.role)
        .bind::<Text, _>(&a.hopes_to_bring)
        .bind::<Text, _>(&a.hopes_to_learn)
        .bind::<Text, _>(PENDING)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .load(conn)?;
    let Some(row) = inserted.first() else {
        tell_approved_again(conn, cohort, &person, public_url, cap, now)?;
        return Ok(Outcome::AlreadyApplied);
    };
    outbox::enqueue_public(
        conn,
        &NewMessage {
            key: format!("application:{}:received", row.id),
            template: "application_received",
            recipient: a.email.as_str().to_string(),
            context: json!({
                "first_name": a.first_name,
                "cohort": cohort.name,
                "participant": a.role == PARTICIPANT,
                "cohort_url": public_url.join(&format!("/echo/{}", cohort.slug)),
            }),
            calendar: None,
        },
        cap,
        now,
    )?;
    Ok(Outcome::Received)
}

/// Someone already approved who applies again is told so by e-mail, with
/// where to get their page's link (`/echo/link`); the page they see says
/// only what it says to everyone, so a stranger typing their address
/// learns nothing. Capped per recipient, as all mail a public form causes.
fn tell_approved_again(
    conn: &mut DbConnection,
    cohort: &Cohort,
    person: &crate::people::Person,
    public_url: &PublicUrl,
    cap: outbox::RecipientCap,
    now: NaiveDateTime,
) -> Result<(), ApplyError> {
    let approved: Option<i64> = applications::table
        .filter(applications::cohort_id.eq(cohort.id))
        .filter(applications::person_id.eq(person.id))
        .filter(applications::status.eq(APPROVED))
        .select(applications::id)
        .first(conn)
        .optional()?;
    let Some(id) = approved else {
        return Ok(());
    };
    outbox::enqueue_public(
        conn,
        &NewMessage {
            key: format!(
                "application:{id}:applied-again:{}",
                now.and_utc().timestamp_micros()
            ),
            template: "application_again",
            recipient: person.email.clone(),
            context: json!({
                "first_name": person.first_name,
                "cohort": cohort.name,
                "link_url": public_url.join("/echo/link"),
                "cohort_url": public_url.join(&format!("/echo/{}", cohort.slug)),
            }),
            calendar: None,
        },
        cap,
        now,
    )?;
    Ok(())
}

/// A facilitator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Waitlist,
    Decline,
}

impl std::str::FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            APPROVED | "approve" => Ok(Self::Approve),
            WAITLISTED | "waitlist" => Ok(Self::Waitlist),
            DECLINED | "decline" => Ok(Self::Decline),
            other => Err(format!(
                "`{other}` is not a decision: approved, waitlisted or declined"
            )),
        }
    }
}

impl Decision {
    pub fn status(self) -> &'static str {
        match self {
            Self::Approve => APPROVED,
            Self::Waitlist => WAITLISTED,
            Self::Decline => DECLINED,
        }
    }
}

/// A decision as a facilitator sends it.
#[derive(Debug, Clone)]
pub struct Ruling {
    pub decision: Decision,
    /// For the applicant, with the decision.
    pub message: Option<String>,
    /// The magic link, should this approve.
    pub link: links::Issued,
}

/// Decides application `id` (pending or waitlisted) and e-mails the
/// applicant: approval brings the cohort's whole calendar and the magic
/// link to their page. A full cohort refuses approval. Audited.
pub fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    ruling: &Ruling,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> Result<Applied, ApiError> {
    let (decision, link) = (ruling.decision, &ruling.link);
    let before =
        find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("no application {id}")))?;
    let cohort = cohorts::find_by_id(conn, before.application.cohort_id)?
        .ok_or_else(|| ApiError::NotFound(format!("no application {id}")))?;
    // Decisions on one cohort queue up behind each other, so two approvals
    // cannot both take its last place.
    diesel::update(crate::db::schema::cohorts::table.find(cohort.id))
        .set(crate::db::schema::cohorts::updated_at.eq(crate::db::schema::cohorts::updated_at))
        .execute(conn)?;
    let status = &before.application.status;
    if status != PENDING && status != WAITLISTED {
        return Err(ApiError::Conflict(
            "already_decided",
            format!("This application was already {status}."),
        ));
    }
    if status == decision.status() {
        return Err(ApiError::Conflict(
            "already_decided",
            format!("This application is already {status}."),
        ));
    }
    if decision == Decision::Approve {
        let approved: i64 = applications::table
            .filter(applications::cohort_id.eq(cohort.id))
            .filter(applications::status.eq(APPROVED))
            .count()
            .get_result(conn)?;
        if approved >= i64::from(cohort.capacity) {
            return Err(ApiError::Conflict(
                "cohort_full",
                format!(
                    "{} is full ({} of {} places taken): waitlist the application instead.",
                    cohort.name, approved, cohort.capacity
                ),
            ));
        }
    }
    let message = ruling
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    diesel::update(applications::table.find(id))
        .set((
            applications::status.eq(decision.status()),
            applications::decision_message.eq(message),
            applications::decided_at.eq(Some(now)),
            applications::access_token_hash
                .eq((decision == Decision::Approve).then_some(&link.hash)),
            applications::access_token_sealed
                .eq((decision == Decision::Approve).then_some(&link.sealed)),
            applications::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after =
        find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("no application {id}")))?;
    let letter = letter(conn, &after, &cohort, message, public_url)?;
    outbox::enqueue(conn, &letter, now)?;
    audit::record(
        conn,
        actor,
        &format!("application.{}", decision.status()),
        &format!("application:{id}"),
        Some(json!({ "status": before.application.status })),
        Some(json!({ "status": after.application.status, "message": message })),
        now,
    )?;
    Ok(after)
}

/// The e-mail that tells an applicant the decision.
fn letter(
    conn: &mut DbConnection,
    a: &Applied,
    cohort: &Cohort,
    message: Option<&str>,
    public_url: &PublicUrl,
) -> QueryResult<NewMessage> {
    let status = a.application.status.as_str();
    let mut context = json!({
        "first_name": a.first_name,
        "cohort": cohort.name,
        "message": message.unwrap_or_default(),
        "role": a.application.role,
        "participant": a.application.role == PARTICIPANT,
        "cohort_url": public_url.join(&format!("/echo/{}", cohort.slug)),
    });
    let mut calendar = None;
    let template = match status {
        APPROVED => {
            let token = &a.application.link_placeholder();
            let program = program_of(conn, cohort)?;
            let sessions = cohorts::sessions_of(conn, cohort.id)?;
            context["page_url"] = json!(page_url(public_url, token));
            context["feed_url"] = json!(feed_url(public_url, token));
            context["sessions"] = json!(sessions
                .iter()
                .filter(|(s, _)| !s.is_cancelled())
                .map(|(s, e)| {
                    let when = match s.other_zones() {
                        others if others.is_empty() => s.when(),
                        others => format!("{} ({others})", s.when()),
                    };
                    match (e.didactic_topic.as_str(), e.faculty_name.as_str()) {
                        ("", _) => when,
                        (topic, "") => format!("{when} — {topic}"),
                        (topic, faculty) => format!("{when} — {topic} ({faculty})"),
                    }
                })
                .collect::<Vec<_>>());
            calendar = Some(CalendarPart {
                method: Method::Publish,
                events: sessions
                    .iter()
                    .filter(|(s, _)| !s.is_cancelled())
                    .map(|(s, e)| {
                        s.calendar_event(
                            &program,
                            session_description(s, e, public_url, token),
                            None,
                            0,
                        )
                    })
                    .collect(),
            });
            "application_approved"
        }
        WAITLISTED => "application_waitlisted",
        _ => "application_declined",
    };
    Ok(NewMessage {
        key: format!("application:{}:{status}", a.application.id),
        template,
        recipient: a.email.clone(),
        context,
        calendar,
    })
}

/// E-mails `email` the links to their pages in every cohort that approved
/// them — at most once per window of `every` (a repeated ask inside it
/// sends nothing). Says nothing of whether the address is known.
pub fn send_links(
    conn: &mut DbConnection,
    email: &EmailAddress,
    public_url: &PublicUrl,
    every: chrono::Duration,
    cap: outbox::RecipientCap,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let rows: Vec<(String, String, Option<String>)> = applications::table
        .inner_join(people::table)
        .inner_join(crate::db::schema::cohorts::table)
        .filter(people::email.eq(email.as_str()))
        .filter(applications::status.eq(APPROVED))
        // A revoked link stays revoked until a facilitator issues another.
        .filter(applications::access_token_hash.is_not_null())
        .order(applications::id.asc())
        .select((
            people::first_name,
            crate::db::schema::cohorts::name,
            applications::access_token_sealed,
        ))
        .load(conn)?;
    let Some((first_name, ..)) = rows.first() else {
        return Ok(false);
    };
    let window = now.and_utc().timestamp() / every.num_seconds().max(1);
    outbox::enqueue_public(
        conn,
        &NewMessage {
            key: format!("echo-link:{}:{window}", email.as_str()),
            template: "echo_links",
            recipient: email.as_str().to_string(),
            context: json!({
                "first_name": first_name,
                "links": rows.iter().map(|(_, cohort, token)| json!({
                    "cohort": cohort,
                    "url": page_url(
                        public_url,
                        &token.as_deref().map(links::placeholder).unwrap_or_default()
                    ),
                })).collect::<Vec<_>>(),
                "cohort_url": public_url.join("/echo"),
            }),
            calendar: None,
        },
        cap,
        now,
    )
}
