//! The organizer API for registrations: list and search a session's
//! registrations, add, cancel and promote by hand, and the CSV export.
//! (A person's data across every feature: `crate::privacy`.) Every route checks the role; every change
//! is audited in its own transaction, by ids only (no personal data).

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::auth::{ApiUser, Need};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::people::contact::{self, sector_label, RegistrationForm};
use crate::registration::answers::{self, AddRegistration, AnswerItem};
pub use crate::registration::spreadsheet::{csv_bytes, csv_response};
use crate::registration::store::{
    self, CancelError, CancelOutcome, ListFilter, Person, Policy, PromoteError, RegisterError,
    Registration, CANCELLED, REGISTERED, WAITLISTED,
};
use crate::series::model::{find_session, Session};
use crate::series::questions::store::{self as questions, Sheet};
use crate::web::AppState;

const DEFAULT_PER_PAGE: i64 = 50;
const MAX_PER_PAGE: i64 = 200;

fn iso(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

/// One registration with its person, as the organizer API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationItem {
    pub id: i64,
    pub session_id: i64,
    /// registered, waitlisted or cancelled.
    pub status: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    pub job_title: String,
    /// The sector's code.
    pub sector: String,
    /// The sector as people read it.
    pub sector_label: String,
    /// Two-letter state code.
    pub state: String,
    /// Asked to join the mailing list.
    pub subscribe: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub registered_at: Option<String>,
    pub waitlisted_at: Option<String>,
    pub cancelled_at: Option<String>,
    /// Answers to the series' registration questions, in their order.
    pub answers: Vec<AnswerItem>,
}

/// A registration added by hand, and what adding did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AddedRegistration {
    #[serde(flatten)]
    pub registration: RegistrationItem,
    /// registered, waitlisted, or already_registered (the existing
    /// registration, unchanged).
    pub outcome: String,
}

/// One page of a session's registrations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrationPage {
    pub session_id: i64,
    /// How many match, over all pages.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub registrations: Vec<RegistrationItem>,
}

fn registration_item(r: &Registration, p: &Person, sheet: &Sheet) -> RegistrationItem {
    RegistrationItem {
        id: r.id,
        session_id: r.session_id,
        status: r.status.clone(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        organization: p.organization.clone(),
        job_title: p.job_title.clone(),
        sector: p.sector.clone(),
        sector_label: sector_label(&p.sector).to_string(),
        state: p.state.clone(),
        subscribe: r.subscribe,
        created_at: iso(r.created_at),
        registered_at: r.registered_at.map(iso),
        waitlisted_at: r.waitlisted_at.map(iso),
        cancelled_at: r.cancelled_at.map(iso),
        answers: answers::items(sheet, r.id),
    }
}

fn no_session(id: i64) -> ApiError {
    ApiError::NotFound(format!("There is no session {id}."))
}

fn no_registration(id: i64) -> ApiError {
    ApiError::NotFound(format!("There is no registration {id}."))
}

async fn load_session(state: &AppState, id: i64) -> Result<Session, ApiError> {
    db::run(&state.pool, move |conn| {
        find_session(conn, id).map_err(DbError::from)
    })
    .await?
    .map(|(s, _)| s)
    .ok_or_else(|| no_session(id))
}

/// The one registration with its person, as the API shows it.
async fn registration_body(state: &AppState, id: i64) -> Result<RegistrationItem, ApiError> {
    let (registration, person, sheet) = db::run(&state.pool, move |conn| {
        let Some((r, p)) = store::find_with_person(conn, id)? else {
            return Ok::<_, DbError>(None);
        };
        let sheet = questions::sheet_of(conn, &[r.id])?;
        Ok(Some((r, p, sheet)))
    })
    .await?
    .ok_or_else(|| no_registration(id))?;
    Ok(registration_item(&registration, &person, &sheet))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search names, e-mail and organization (up to 200 characters).
    q: Option<String>,
    /// registered, waitlisted or cancelled; all when absent.
    status: Option<String>,
    /// From 1 (default 1).
    #[param(value_type = Option<i64>, minimum = 1)]
    page: Option<String>,
    /// From 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    per_page: Option<String>,
}

/// A whole number from `min` to `max`, or a message for `name`.
fn number(
    errors: &mut Vec<(String, String)>,
    name: &str,
    value: Option<&str>,
    default: i64,
    max: i64,
) -> i64 {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return default;
    };
    match value.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            errors.push((
                name.to_string(),
                format!("`{name}` must be a whole number from 1 to {max}"),
            ));
            default
        }
    }
}

/// A session's registrations, searched, filtered by status, a page at a
/// time.
#[utoipa::path(get, path = "/api/v1/organizer/sessions/{id}/registrations", tag = "registrations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id"), ListQuery),
    responses((status = 200, description = "One page", body = RegistrationPage),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 422, description = "Bad status, page, per_page or q", body = crate::error::ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let id = path.into_inner();
    let q = query.into_inner();
    let mut errors = Vec::new();
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match [REGISTERED, WAITLISTED, CANCELLED]
            .into_iter()
            .find(|k| *k == s)
        {
            Some(k) => Some(k),
            None => {
                errors.push((
                    "status".into(),
                    "`status` must be registered, waitlisted or cancelled".into(),
                ));
                None
            }
        },
    };
    let page = number(
        &mut errors,
        "page",
        q.page.as_deref(),
        1,
        i64::from(i32::MAX),
    );
    let per_page = number(
        &mut errors,
        "per_page",
        q.per_page.as_deref(),
        DEFAULT_PER_PAGE,
        MAX_PER_PAGE,
    );
    let search = q.q.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
        errors.push(("q".into(), "`q` must be 200 characters or fewer".into()));
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let series_id = load_session(&state, id).await?.series_id;
    let filter = ListFilter {
        search,
        status,
        page,
        per_page,
    };
    let (total, rows, sheet) = db::run(&state.pool, move |conn| {
        let (total, rows) = store::list(conn, id, &filter)?;
        let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
        let sheet = questions::sheet(conn, series_id, &ids)?;
        Ok::<_, DbError>((total, rows, sheet))
    })
    .await?;
    Ok(HttpResponse::Ok().json(RegistrationPage {
        session_id: id,
        total,
        page,
        per_page,
        registrations: rows
            .iter()
            .map(|(r, p)| registration_item(r, p, &sheet))
            .collect(),
    }))
}

/// Registers someone by hand: the public form's fields and the answers to
/// the series' questions, as JSON; capacity, waitlist and confirmation
/// e-mail apply.
#[utoipa::path(post, path = "/api/v1/organizer/sessions/{id}/registrations", tag = "registrations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = AddRegistration,
    responses((status = 201, description = "Registered or waitlisted", body = AddedRegistration),
        (status = 200, description = "Already registered: the existing registration", body = AddedRegistration),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 409, description = "The session is cancelled or over", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<AddRegistration>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let id = path.into_inner();
    let asked = db::run(&state.pool, move |conn| {
        questions::asked_for_session(conn, id).map_err(DbError::from)
    })
    .await?;
    let checked = answers::given_from_json(&body.answers)
        .and_then(|given| answers::check(&asked, &given, true, |q| format!("answers.{q}")));
    let (registrant, answers) = match (registrant(&body.form), checked) {
        (Ok(r), Ok(a)) => (r, a),
        (r, a) => {
            let mut fields = match r {
                Err(ApiError::Invalid { fields, .. }) => fields,
                Err(other) => return Err(other),
                Ok(_) => Vec::new(),
            };
            fields.extend(a.err().unwrap_or_default());
            return Err(ApiError::fields(fields));
        }
    };
    let (actor, policy, now) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
    );
    let (reg_id, done) = db::write(&state.pool, move |conn| {
        let added = add_as(conn, &actor, id, &registrant, &policy, now)?;
        questions::save_answers(conn, added.0, &answers, now)?;
        Ok::<_, ApiError>(added)
    })
    .await?;
    let body = AddedRegistration {
        registration: registration_body(&state, reg_id).await?,
        outcome: match done.outcome {
            store::Outcome::Registered => "registered",
            store::Outcome::Waitlisted => "waitlisted",
            store::Outcome::AlreadyRegistered { .. } => "already_registered",
        }
        .into(),
    };
    let status = if matches!(done.outcome, store::Outcome::AlreadyRegistered { .. }) {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CREATED
    };
    Ok(HttpResponse::build(status).json(body))
}

/// Cancels a registration as if the person used their manage link (they
/// are told; the waitlist moves up).
#[utoipa::path(post, path = "/api/v1/organizer/registrations/{id}/cancel", tag = "registrations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Registration id")),
    responses((status = 200, description = "Cancelled", body = RegistrationItem),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such registration", body = crate::error::ErrorBody),
        (status = 409, description = "Already cancelled, or the session is over", body = crate::error::ErrorBody)))]
pub async fn cancel(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let id = path.into_inner();
    let (actor, policy, now) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
    );
    db::write(&state.pool, move |conn| {
        cancel_as(conn, &actor, id, &policy, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(registration_body(&state, id).await?))
}

/// Takes a registration off the waitlist now, even over capacity.
#[utoipa::path(post, path = "/api/v1/organizer/registrations/{id}/promote", tag = "registrations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Registration id")),
    responses((status = 200, description = "Registered", body = RegistrationItem),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such registration", body = crate::error::ErrorBody),
        (status = 409, description = "Not on the waitlist, or the session is cancelled or over", body = crate::error::ErrorBody)))]
pub async fn promote(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let id = path.into_inner();
    let (actor, policy, now) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
    );
    db::write(&state.pool, move |conn| {
        promote_as(conn, &actor, id, &policy, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(registration_body(&state, id).await?))
}

/// A session's registrations as a CSV file for spreadsheets: UTF-8 with a
/// byte-order mark, CRLF line ends, formula-like cells quoted with `'`.
#[utoipa::path(get, path = "/api/v1/organizer/sessions/{id}/registrations.csv", tag = "registrations", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The CSV file (`text/csv`), as an attachment `registrations-{id}-{date}.csv`", body = String, content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody)))]
pub async fn export_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let id = path.into_inner();
    let session = load_session(&state, id).await?;
    let series_id = session.series_id;
    let (rows, sheet) = db::run(&state.pool, move |conn| {
        let rows = store::all_for_session(conn, id)?;
        let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
        let sheet = questions::sheet(conn, series_id, &ids)?;
        Ok::<_, DbError>((rows, sheet))
    })
    .await?;
    csv_response(&session, &rows, &sheet).map_err(ApiError::Internal)
}

/// An organizer registers someone for session `id` (audited), as the
/// public form would: capacity, waitlist and confirmation e-mail apply.
/// Returns the registration's id and what happened.
pub fn add_as(
    conn: &mut crate::db::DbConnection,
    actor: &crate::audit::Actor,
    id: i64,
    registrant: &contact::Registrant,
    policy: &Policy,
    now: chrono::NaiveDateTime,
) -> Result<(i64, store::Registered), ApiError> {
    // An organizer's registration is not an anonymous post: no mail cap.
    let policy = Policy {
        mail_cap: None,
        ..policy.clone()
    };
    let done = match store::register(conn, id, registrant, &policy, now) {
        Ok(done) => done,
        Err(RegisterError::NotFound) => return Err(no_session(id)),
        Err(RegisterError::Closed) => {
            return Err(ApiError::Conflict(
                "session_closed",
                "Registration for this session is closed (cancelled or over).".into(),
            ))
        }
        Err(RegisterError::Db(e)) => return Err(e.into()),
    };
    let reg_id = done.id;
    audit::record(
        conn,
        actor,
        "registration.add",
        &format!("registration:{reg_id}"),
        None,
        Some(json!({ "session": id, "status": done.status })),
        now,
    )?;
    Ok((reg_id, done))
}

/// The public form's fields as checked, or a message per field.
pub fn registrant(form: &RegistrationForm) -> Result<contact::Registrant, ApiError> {
    contact::parse(form).map_err(|errors| {
        ApiError::fields(
            errors
                .0
                .into_iter()
                .map(|e| (e.field.to_string(), e.message))
                .collect(),
        )
    })
}

/// An organizer cancels registration `id` (audited); the person is told and
/// the waitlist moves up, as with their own manage link.
pub fn cancel_as(
    conn: &mut crate::db::DbConnection,
    actor: &crate::audit::Actor,
    id: i64,
    policy: &Policy,
    now: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    let reg = store::find(conn, id)?.ok_or_else(|| no_registration(id))?;
    let outcome = match store::cancel(conn, &reg.token_hash, policy, now) {
        Ok(outcome) => outcome,
        Err(CancelError::NotFound) => return Err(no_registration(id)),
        Err(CancelError::Over) => {
            return Err(ApiError::Conflict(
                "session_closed",
                "The session is over.".into(),
            ))
        }
        Err(CancelError::Db(e)) => return Err(e.into()),
    };
    if outcome == CancelOutcome::AlreadyCancelled {
        return Err(ApiError::Conflict(
            "already_cancelled",
            "This registration is already cancelled.".into(),
        ));
    }
    audit::record(
        conn,
        actor,
        "registration.cancel",
        &format!("registration:{id}"),
        Some(json!({ "status": reg.status })),
        Some(json!({ "status": CANCELLED })),
        now,
    )?;
    Ok(())
}

/// An organizer takes registration `id` off the waitlist (audited).
pub fn promote_as(
    conn: &mut crate::db::DbConnection,
    actor: &crate::audit::Actor,
    id: i64,
    policy: &Policy,
    now: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    let reg = match store::promote(conn, id, policy, now) {
        Ok(reg) => reg,
        Err(PromoteError::NotFound) => return Err(no_registration(id)),
        Err(PromoteError::NotWaitlisted) => {
            return Err(ApiError::Conflict(
                "not_waitlisted",
                "This registration is not on the waitlist.".into(),
            ))
        }
        Err(PromoteError::Closed) => {
            return Err(ApiError::Conflict(
                "session_closed",
                "The session is cancelled or over.".into(),
            ))
        }
        Err(PromoteError::Db(e)) => return Err(e.into()),
    };
    audit::record(
        conn,
        actor,
        "registration.promote",
        &format!("registration:{id}"),
        Some(json!({ "status": WAITLISTED })),
        Some(json!({ "status": reg.status })),
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(crate::people::containing("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
