//! Subject access and erasure requests: every feature's part of what is
//! held about a person, in one list (`PARTS` — a new table that can hold a
//! person is added there), and the API, CLI and file clean-up around
//! `people::export` / `people::erase`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::audit::{self, Actor};
use crate::auth::{ApiUser, Need};
use crate::config::Settings;
use crate::db::{self, DbConnection, DbError, Pool};
use crate::error::ApiError;
use crate::mail::EmailAddress;
use crate::people::{self, Erased, Export, PersonalData};
use crate::web::AppState;

/// Every table beside `people` that can hold a person, by the feature
/// that owns it. Erasure runs them in this order.
pub static PARTS: &[&dyn PersonalData] = &[
    &crate::registration::personal::Registrations,
    &crate::evaluation::personal::Evaluations,
    &crate::lists::personal::Subscriptions,
    &crate::interest::personal::Proposals,
    &crate::interest::personal::WorkingGroups,
    &crate::lineup::personal::LineupSlots,
    &crate::echo::personal::Applications,
    &crate::echo::personal::Cases,
    &crate::echo::personal::Faculty,
    &crate::attendance::personal::Attendance,
    &crate::archive::personal::Materials,
    &people::Accounts,
    &people::Messages,
    &people::AuditTrail,
];

/// The tables no part answers for, and why: they hold no one.
pub const HOLDS_NO_ONE: &[(&str, &str)] = &[
    ("series", "what a series is"),
    ("sessions", "when sessions are"),
    ("full_sessions", "which sessions have no place free"),
    ("people", "the person row itself, erased by `people::erase`"),
    ("send_rate", "counts of mail sent per window"),
    (
        "spent_group_links",
        "used leave links' hashes and their group, no person",
    ),
    ("session_levers", "a session's levers of change"),
    ("cohorts", "what an ECHO cohort is"),
    ("follow_ups", "which sessions' follow-ups went out"),
    (
        "group_messages",
        "what organizers wrote to a group; who got it is in the outbox",
    ),
    (
        "registration_questions",
        "what a series asks on its registration form and its evaluation",
    ),
];

/// Everything held about `email`, with the export on the record.
pub fn export(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &EmailAddress,
    now: NaiveDateTime,
) -> Result<Option<Export>, DbError> {
    let Some(found) = people::export(conn, PARTS, email.as_str())? else {
        return Ok(None);
    };
    audit::record(
        conn,
        actor,
        "person.export",
        &found.audit_subject,
        None,
        None,
        now,
    )?;
    Ok(Some(found))
}

/// Erases everything held about `email`, in the database and then in the
/// file transport's copies of sent mail (outside the transaction, which
/// may run twice).
pub async fn erase(
    pool: &Pool,
    settings: &Settings,
    actor: Actor,
    email: EmailAddress,
    now: NaiveDateTime,
) -> Result<Option<Erased>, DbError> {
    let address = email.as_str().to_string();
    let erased = db::write(pool, move |conn| {
        people::erase(conn, PARTS, &actor, email.as_str(), now)
    })
    .await?;
    if erased.is_some() {
        let mail = settings.mail.clone();
        let removed = tokio::task::spawn_blocking(move || {
            crate::mail::transport::forget_copies(&mail, &address)
        })
        .await;
        if let Ok(Err(e)) | Err(e) = removed.map_err(std::io::Error::other) {
            warn!(error = %e, "could not remove an erased person's copies of sent mail");
        }
    }
    Ok(erased)
}

fn email_field(value: Option<&str>) -> Result<EmailAddress, ApiError> {
    let message = match value.map(EmailAddress::parse) {
        Some(Ok(email)) => return Ok(email),
        Some(Err(m)) => m.to_string(),
        None => "`email` is required".to_string(),
    };
    Err(ApiError::fields(vec![("email".into(), message)]))
}

fn no_person() -> ApiError {
    ApiError::NotFound("Nothing is held about that e-mail address.".into())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// The person's e-mail address.
    #[param(required = true, value_type = String)]
    email: Option<String>,
}

/// Everything held about one e-mail address, as one JSON document (a
/// subject access request): the person record, then one list per kind of
/// record (registrations, subscriptions, proposals, lineup slots, ECHO
/// applications and cases, attendance, materials, messages, …).
#[utoipa::path(get, path = "/api/v1/organizer/people/export", tag = "people", security(("bearer" = [])),
    params(EmailQuery),
    responses((status = 200, description = "What is held (the export is audited)", body = PersonExport),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Organizers and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "Nothing is held about that address", body = crate::error::ErrorBody),
        (status = 422, description = "No or bad e-mail address", body = crate::error::ErrorBody)))]
pub async fn export_person(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, ApiError> {
    // All of someone's data: organizers and admins only, and on the record.
    user.require(Need::Organize)?;
    let email = email_field(query.email.as_deref())?;
    let (actor, now) = (user.actor(), state.clock.naive());
    let found = db::write(&state.pool, move |conn| export(conn, &actor, &email, now))
        .await?
        .ok_or_else(no_person)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(found.document))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    /// The person's e-mail address.
    #[schema(required = true, value_type = String)]
    email: Option<String>,
}

/// What erasing a person touched, by number only: one count per part of
/// `PARTS` (a test holds the two together).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasedPerson {
    /// The person record kept with its details replaced (null when only
    /// other records held the address).
    pub person_id: Option<i64>,
    /// Registrations kept, anonymous, behind new tokens.
    pub registrations: usize,
    /// Evaluations kept (their ratings and choices counted), their text
    /// answers removed, no longer tied to a registration.
    pub evaluations: usize,
    /// Subscriptions ended.
    pub subscriptions: usize,
    /// Proposals kept, their text removed.
    pub proposals: usize,
    /// Working-group interests kept (they name no one): always 0.
    pub working_group_interests: usize,
    /// Lineup places: name, address and bio replaced, answer link killed.
    pub lineup_slots: usize,
    /// ECHO applications: answers removed, the page's link killed.
    pub applications: usize,
    /// ECHO cases: text removed, attachment deleted.
    pub cases: usize,
    /// ECHO sessions whose faculty they were.
    pub faculty: usize,
    /// Attendance rows kept (anonymous).
    pub attendance: usize,
    /// Materials whose presenter they were.
    pub materials: usize,
    /// Organizer accounts at the address, disabled.
    pub accounts: usize,
    /// Messages scrubbed (queued ones skipped).
    pub messages: usize,
    /// Audit entries whose mention of them was replaced.
    pub audit: usize,
}

impl From<&Erased> for ErasedPerson {
    fn from(erased: &Erased) -> Self {
        let n = |key| erased.count(key);
        ErasedPerson {
            person_id: erased.person_id,
            registrations: n("registrations"),
            evaluations: n("evaluations"),
            subscriptions: n("subscriptions"),
            proposals: n("proposals"),
            working_group_interests: n("working_group_interests"),
            lineup_slots: n("lineup_slots"),
            applications: n("applications"),
            cases: n("cases"),
            faculty: n("faculty"),
            attendance: n("attendance"),
            materials: n("materials"),
            accounts: n("accounts"),
            messages: n("messages"),
            audit: n("audit"),
        }
    }
}

/// Erases a person (admins): their details are replaced, what they wrote
/// removed, their files deleted and every link they were sent killed;
/// what is counted (registrations, attendance, applications) stays,
/// anonymous. Answers how many rows of each kind were touched.
#[utoipa::path(post, path = "/api/v1/organizer/people/erase", tag = "people", security(("bearer" = [])),
    request_body = EraseBody,
    responses((status = 200, description = "Erased; what was touched, by number", body = ErasedPerson),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Admins only", body = crate::error::ErrorBody),
        (status = 404, description = "Nothing is held about that address", body = crate::error::ErrorBody),
        (status = 422, description = "No or bad e-mail address", body = crate::error::ErrorBody)))]
pub async fn erase_person(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<EraseBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Admin)?;
    let email = email_field(body.email.as_deref())?;
    let erased = erase(
        &state.pool,
        &state.settings,
        user.actor(),
        email,
        state.clock.naive(),
    )
    .await?
    .ok_or_else(no_person)?;
    Ok(HttpResponse::Ok().json(ErasedPerson::from(&erased)))
}

// ------------------------------------------------------------ the export
// `people::export` builds the document from every part in `PARTS`, so its
// shape is described here rather than derived; the API tests check every
// export they receive against this description.

/// Everything held about one e-mail address (a subject access request).
#[derive(serde::Serialize, utoipa::ToSchema)]
/// One list per part of `privacy::PARTS`.
pub struct PersonExport {
    /// Null when only other records hold the address (a lineup slot).
    pub person: Option<PersonRecord>,
    pub registrations: Vec<PersonRegistration>,
    pub subscriptions: Vec<PersonSubscription>,
    /// Proposals to present sent through the interest form.
    #[schema(value_type = Vec<Object>)]
    pub proposals: Vec<serde_json::Value>,
    /// Levers of change they want to work on.
    #[schema(value_type = Vec<Object>)]
    pub working_group_interests: Vec<serde_json::Value>,
    /// Lineup places at their address (name, talk, bio, status).
    #[schema(value_type = Vec<Object>)]
    pub lineup_slots: Vec<serde_json::Value>,
    /// ECHO applications (never the page's link).
    #[schema(value_type = Vec<Object>)]
    pub applications: Vec<serde_json::Value>,
    /// ECHO cases they submitted, with their attachment's name and size.
    #[schema(value_type = Vec<Object>)]
    pub cases: Vec<serde_json::Value>,
    /// ECHO sessions they taught as faculty.
    #[schema(value_type = Vec<Object>)]
    pub faculty: Vec<serde_json::Value>,
    /// Sessions they attended or missed, from reports or by hand.
    #[schema(value_type = Vec<Object>)]
    pub attendance: Vec<serde_json::Value>,
    /// Session materials naming them as presenter.
    #[schema(value_type = Vec<Object>)]
    pub materials: Vec<serde_json::Value>,
    /// An organizer account at the address.
    #[schema(value_type = Vec<Object>)]
    pub accounts: Vec<serde_json::Value>,
    /// Messages by template and dates, not bodies.
    pub messages: Vec<PersonMessage>,
    /// Audit entries about them or naming them (action, subject, date).
    #[schema(value_type = Vec<Object>)]
    pub audit: Vec<serde_json::Value>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PersonRecord {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub job_title: String,
    pub sector: String,
    pub sector_label: String,
    pub state: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PersonRegistration {
    pub id: i64,
    pub session_id: i64,
    pub session_title: String,
    pub series_title: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    /// As people read it, in the series' zone.
    pub when: String,
    /// registered, waitlisted or cancelled.
    pub status: String,
    pub subscribe: bool,
    pub created_at: String,
    pub registered_at: Option<String>,
    pub waitlisted_at: Option<String>,
    pub cancelled_at: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PersonSubscription {
    /// The list's slug.
    pub list: String,
    pub status: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub unsubscribed_at: Option<String>,
    /// Imported from a list kept elsewhere: where the consent comes from,
    /// as the organizer put it, and when it was recorded (RFC 3339, UTC).
    pub consent_source: Option<String>,
    pub consent_at: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PersonMessage {
    pub template: String,
    /// pending, sent, failed or skipped.
    pub status: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// A lever of change.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_erase_answer_has_one_count_per_part_and_no_other() {
        let erased = Erased {
            person_id: Some(1),
            counts: PARTS.iter().map(|p| (p.key(), 1)).collect(),
        };
        let answer = serde_json::to_value(ErasedPerson::from(&erased)).unwrap();
        assert_eq!(
            answer,
            erased.to_json(),
            "ErasedPerson names each part of PARTS, with its count"
        );
    }

    /// Every table the schema declares, read from its `table!` blocks.
    fn schema_tables() -> BTreeSet<String> {
        let schema = include_str!("db/schema.rs");
        let mut lines = schema.lines();
        let mut found = BTreeSet::new();
        while let Some(line) = lines.next() {
            if line.trim() == "diesel::table! {" {
                let name = lines.next().expect("a table's name follows `table!`");
                let name = name.trim().split([' ', '(']).next().unwrap_or_default();
                found.insert(name.to_string());
            }
        }
        found
    }

    #[test]
    fn every_table_is_a_parts_or_named_as_holding_no_one() {
        let tables = schema_tables();
        assert!(
            tables.len() > 20,
            "the schema's tables were read: {tables:?}"
        );
        let mut owners: Vec<&str> = PARTS.iter().flat_map(|p| p.tables()).copied().collect();
        owners.extend(HOLDS_NO_ONE.iter().map(|(t, _)| *t));
        let named: BTreeSet<String> = owners.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            named.len(),
            owners.len(),
            "a table is named twice: {owners:?}"
        );
        let forgotten: Vec<_> = tables.difference(&named).collect();
        assert!(
            forgotten.is_empty(),
            "no part exports or erases {forgotten:?}: add it to a feature's \
             `PersonalData::tables` (and its export and erase), or to HOLDS_NO_ONE"
        );
        let unknown: Vec<_> = named.difference(&tables).collect();
        assert!(unknown.is_empty(), "not tables in the schema: {unknown:?}");
    }
}
