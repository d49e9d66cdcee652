//! The organizer side of sessions: the dashboard page, and the JSON API
//! that creates, changes, reschedules and cancels sessions (the same
//! `manage` operations as the CLI, so registrants' calendars follow), plus
//! the audit log for admins. Every route checks the role.

use std::str::FromStr;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::web::fields::text_or_number;
use crate::web::AppState;
use chrono::NaiveDateTime;

use crate::audit::{self, Actor};
use crate::auth::{ApiUser, Need};
use crate::db::{self, DbConnection, DbError};
use crate::error::ApiError;
use crate::organizer::manage::{self, Changed, Details, ManageError, NewSession};
use crate::registration::store::Policy;

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        let message = e.to_string();
        match e {
            ManageError::NoSession(_) => ApiError::NotFound(message),
            ManageError::NoSeries(..) => ApiError::Invalid {
                message: message.clone(),
                fields: vec![("series".into(), message)],
            },
            ManageError::StartInPast(_) => ApiError::Invalid {
                message: message.clone(),
                fields: vec![("start".into(), message)],
            },
            ManageError::Invalid(_) => ApiError::invalid(message),
            ManageError::Cancelled(_) | ManageError::AlreadyCancelled(_) | ManageError::Over(_) => {
                ApiError::Conflict("session_closed", message)
            }
            ManageError::Db(e) => e.into(),
        }
    }
}

/// Parses an optional field, collecting a message per bad field.
pub(crate) fn field<T: FromStr<Err = String>>(
    errors: &mut Vec<(String, String)>,
    name: &str,
    value: Option<&str>,
) -> Option<T> {
    let value = value?;
    match value.parse() {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push((name.to_string(), e));
            None
        }
    }
}

fn required<T>(
    errors: &mut Vec<(String, String)>,
    name: &str,
    value: Option<T>,
    given: bool,
) -> Option<T> {
    if value.is_none() && !given {
        errors.push((name.to_string(), format!("`{name}` is required")));
    }
    value
}

/// A session after a change, and what the change did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionChange {
    pub session: SessionDetail,
    /// False when the session already was as asked.
    pub changed: bool,
    /// E-mails queued (updates, cancellations, promotions).
    pub messages_queued: usize,
    /// Waitlisted people given a place.
    pub promoted: usize,
    /// E.g. how an ambiguous local time was read.
    pub notes: Vec<String>,
}

/// A session as the organizer API shows it after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionDetail {
    pub id: i64,
    /// The series' slug.
    pub series: String,
    pub title: String,
    pub description: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// As people read it, in the series' zone.
    pub when: String,
    pub capacity: i32,
    pub join_url: String,
    /// scheduled or cancelled.
    pub status: String,
    /// The calendar SEQUENCE.
    pub sequence: i32,
    pub cancel_reason: Option<String>,
}

impl SessionChange {
    fn of(c: Changed) -> Self {
        let changed = !c.unchanged();
        let s = c.session;
        Self {
            session: SessionDetail {
                id: s.id,
                series: c.series.slug,
                starts_at: s.starts_at_utc().to_rfc3339(),
                ends_at: s.ends_at_utc().to_rfc3339(),
                when: s.when(),
                title: s.title,
                description: s.description,
                capacity: s.capacity,
                join_url: s.join_url,
                status: s.status,
                sequence: s.sequence,
                cancel_reason: s.cancel_reason,
            },
            changed,
            messages_queued: c.queued,
            promoted: c.promoted,
            notes: c.notes,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    series: Option<String>,
    start: Option<String>,
    duration: Option<String>,
    title: Option<String>,
    description: Option<String>,
    join_url: Option<String>,
    /// Places, at least 1: a number, or its text as the pages' forms send it.
    #[schema(value_type = Option<i32>)]
    #[serde(default, deserialize_with = "text_or_number")]
    capacity: Option<String>,
}

/// A one-off session as asked for, each field checked.
fn new_session(b: CreateBody) -> Result<NewSession, ApiError> {
    let mut errors = Vec::new();
    let series = required(&mut errors, "series", b.series.clone(), false);
    let start = field(&mut errors, "start", b.start.as_deref());
    let start = required(&mut errors, "start", start, b.start.is_some());
    let title = field(&mut errors, "title", b.title.as_deref());
    let title = required(&mut errors, "title", title, b.title.is_some());
    let length = field(&mut errors, "duration", b.duration.as_deref());
    let join_url = field(&mut errors, "join_url", b.join_url.as_deref());
    let capacity = field(&mut errors, "capacity", b.capacity.as_deref());
    let (Some(series), Some(start), Some(title), true) = (series, start, title, errors.is_empty())
    else {
        return Err(ApiError::fields(errors));
    };
    Ok(NewSession {
        series,
        start,
        length,
        title,
        description: b.description,
        join_url,
        capacity,
    })
}

/// Creates a one-off session outside the series' rule (`start`: local time
/// in the series' zone, `2027-01-12 14:00`, or RFC 3339).
#[utoipa::path(post, path = "/api/v1/organizer/sessions", tag = "sessions", security(("bearer" = [])),
    request_body = CreateBody,
    responses((status = 201, description = "Created", body = SessionChange),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn create_session(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let new = new_session(body.into_inner())?;
    let uid = manage::new_uid(&state.settings.http.public_url);
    let (actor, now) = (user.actor(), state.clock.naive());
    let created = db::write(&state.pool, move |conn| {
        manage::create(conn, &actor, &new, &uid, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(SessionChange::of(created)))
}

/// Runs one change to session `id` as `user`, in one transaction.
async fn change<F>(
    state: &AppState,
    user: &ApiUser,
    id: i64,
    f: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut DbConnection, &Actor, &Policy, i64, NaiveDateTime) -> Result<Changed, ManageError>
        + Send
        + Sync
        + 'static,
{
    let (actor, policy, now) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
    );
    let changed = db::write(&state.pool, move |conn| f(conn, &actor, &policy, id, now)).await?;
    Ok(HttpResponse::Ok().json(SessionChange::of(changed)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    title: Option<String>,
    description: Option<String>,
    join_url: Option<String>,
    /// Places, at least 1: a number, or its text as the pages' forms send it.
    #[schema(value_type = Option<i32>)]
    #[serde(default, deserialize_with = "text_or_number")]
    capacity: Option<String>,
}

/// The details to change, each field checked.
fn details(b: UpdateBody) -> Result<Details, ApiError> {
    let mut errors = Vec::new();
    let details = Details {
        title: field(&mut errors, "title", b.title.as_deref()),
        description: b.description,
        join_url: field(&mut errors, "join_url", b.join_url.as_deref()),
        capacity: field(&mut errors, "capacity", b.capacity.as_deref()),
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok(details)
}

/// Changes a session's details; registrants get an updated invitation when
/// their calendar shows the change; more places promote the waitlist.
#[utoipa::path(patch, path = "/api/v1/organizer/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = UpdateBody,
    responses((status = 200, description = "Changed (or already so)", body = SessionChange),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 409, description = "Cancelled or over", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn update_session(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let details = details(body.into_inner())?;
    change(
        &state,
        &user,
        path.into_inner(),
        move |conn, actor, policy, id, now| manage::update(conn, actor, policy, id, &details, now),
    )
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    start: Option<String>,
    duration: Option<String>,
}

/// The new start (required) and length (kept when absent), checked.
fn new_time(b: RescheduleBody) -> Result<(manage::Start, Option<manage::Length>), ApiError> {
    let mut errors = Vec::new();
    let start: Option<manage::Start> = field(&mut errors, "start", b.start.as_deref());
    let start = required(&mut errors, "start", start, b.start.is_some());
    let length = field(&mut errors, "duration", b.duration.as_deref());
    match (start, errors.is_empty()) {
        (Some(start), true) => Ok((start, length)),
        _ => Err(ApiError::fields(errors)),
    }
}

/// Moves a session; registrants get the updated calendar invitation.
#[utoipa::path(post, path = "/api/v1/organizer/sessions/{id}/reschedule", tag = "sessions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = RescheduleBody,
    responses((status = 200, description = "Moved", body = SessionChange),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 409, description = "Cancelled or over", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn reschedule_session(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<RescheduleBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let (start, length) = new_time(body.into_inner())?;
    change(
        &state,
        &user,
        path.into_inner(),
        move |conn, actor, policy, id, now| {
            manage::reschedule(conn, actor, policy, id, start, length, now)
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    reason: Option<String>,
}

/// Why a session is cancelled: required, not blank.
fn reason(b: CancelBody) -> Result<manage::Reason, ApiError> {
    let mut errors = Vec::new();
    let reason = field(&mut errors, "reason", b.reason.as_deref());
    match required(&mut errors, "reason", reason, b.reason.is_some()) {
        Some(reason) if errors.is_empty() => Ok(reason),
        _ => Err(ApiError::fields(errors)),
    }
}

/// Cancels a session: it leaves registrants' calendars and everyone
/// registered or waitlisted is told the reason.
#[utoipa::path(post, path = "/api/v1/organizer/sessions/{id}/cancel", tag = "sessions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = CancelBody,
    responses((status = 200, description = "Cancelled", body = SessionChange),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 409, description = "Already cancelled or over", body = crate::error::ErrorBody),
        (status = 422, description = "No reason given", body = crate::error::ErrorBody)))]
pub async fn cancel_session(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<CancelBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let reason = reason(body.into_inner())?;
    change(
        &state,
        &user,
        path.into_inner(),
        move |conn, actor, policy, id, now| manage::cancel(conn, actor, policy, id, &reason, now),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<audit::Entry>,
    /// Pass as `before` for the next page; null on the last.
    pub next_before: Option<i64>,
}

/// The audit log, newest first (admins). `before`: an entry id, for the
/// next page; `limit`: 1–500, default 50.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", security(("bearer" = [])),
    params(("before" = Option<i64>, Query, description = "Entries older than this id"),
        ("limit" = Option<i64>, Query, description = "How many, 1–500")),
    responses((status = 200, description = "Entries", body = AuditPage),
        (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn audit(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Admin)?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let before = query.before;
    let entries = db::run(&state.pool, move |conn| {
        audit::list(conn, limit, before).map_err(DbError::from)
    })
    .await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        next_before,
    }))
}

pub mod message;
mod pages;

pub use pages::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn capacity(body: serde_json::Value) -> Result<Option<i32>, ApiError> {
        let body: UpdateBody = serde_json::from_value(body).expect("a body");
        details(body).map(|d| d.capacity.map(|c| c.get()))
    }

    #[test]
    fn a_capacity_is_a_json_number_or_its_text_with_the_same_checks() {
        let number = capacity(serde_json::json!({ "capacity": 50 })).expect("50 places");
        let text = capacity(serde_json::json!({ "capacity": "50" })).expect("\"50\" places");
        assert_eq!(number, text, "a number and its text are the same capacity");
        assert_eq!(number, Some(50), "the capacity is read");
        assert!(
            capacity(serde_json::json!({ "capacity": 0 })).is_err(),
            "a number is checked like text: at least 1"
        );
        assert!(
            capacity(serde_json::json!({ "capacity": 2.5 })).is_err(),
            "a fraction is no number of places"
        );
    }
}
