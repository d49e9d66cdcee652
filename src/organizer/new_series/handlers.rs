//! `POST /api/v1/organizer/series`: a new series through the API.

use actix_web::{web, HttpResponse};
use chrono::SecondsFormat;
use serde::Serialize;

use crate::auth::{ApiUser, Need};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::organizer::defaults::SeriesView;
use crate::series::model::{self, Series, Session, ECHO, FROM_CONFIG};
use crate::web::AppState;

use super::{check, create, slug_taken, Created, Known, NewSeries, NewSeriesBody, Schedule};

/// A session of a new series.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewSeriesSession {
    pub id: i64,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// As people read it, in the series' zone.
    pub when: String,
    /// Its public page, where people register.
    pub url: String,
}

/// A series just created, with its sessions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewSeriesView {
    pub series: SeriesView,
    pub sessions: Vec<NewSeriesSession>,
    /// E.g. how a local time the clocks repeat was read.
    pub notes: Vec<String>,
}

/// The organizer a new series names when none is given: the first
/// configured webinar series' (the Jam's).
pub(super) fn jam_organizer(rows: &[Series]) -> Option<(String, String)> {
    rows.iter()
        .find(|s| s.origin == FROM_CONFIG && s.kind != ECHO && s.recurring)
        .map(|s| (s.organizer_name.clone(), s.organizer_email.clone()))
}

/// Checks `body` against the lists, the Jam's organizer and now; and the
/// slug against the configuration and the database (409).
pub(super) async fn checked(state: &AppState, body: &NewSeriesBody) -> Result<NewSeries, ApiError> {
    let rows = db::run(&state.pool, |conn| {
        model::all_series(conn).map_err(DbError::from)
    })
    .await?;
    let known = Known {
        lists: state.settings.lists.keys().map(String::as_str).collect(),
        organizer: jam_organizer(&rows),
        now: state.clock.now(),
    };
    let new = check(body, &known).map_err(ApiError::fields)?;
    let taken = rows.iter().any(|s| s.slug == new.slug);
    if taken || state.settings.series.contains_key(&new.slug) {
        return Err(slug_taken(&new.slug));
    }
    Ok(new)
}

/// A calendar UID for each of a one-off event's dates, made before the
/// transaction (which may run twice).
pub(super) fn uids(state: &AppState, new: &NewSeries) -> Vec<String> {
    let dates = match &new.schedule {
        Schedule::OneOff { starts } => starts.len(),
        Schedule::Recurring { .. } => 0,
    };
    (0..dates)
        .map(|_| crate::organizer::manage::new_uid(&state.settings.http.public_url))
        .collect()
}

/// Writes `new` in one transaction as `actor`.
async fn write(
    state: &AppState,
    actor: crate::audit::Actor,
    new: NewSeries,
) -> Result<Created, ApiError> {
    let uids = uids(state, &new);
    let host = state.settings.http.public_url.host();
    let (horizon, now) = (state.settings.jobs.horizon_months, state.clock.naive());
    db::write(&state.pool, move |conn| {
        create(conn, &actor, &new, &uids, &host, horizon, now)
    })
    .await
}

fn session_view(state: &AppState, s: &Session) -> NewSeriesSession {
    NewSeriesSession {
        id: s.id,
        starts_at: s.starts_at_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
        ends_at: s.ends_at_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
        when: s.when(),
        url: state
            .settings
            .http
            .public_url
            .join(&format!("/sessions/{}", s.id)),
    }
}

/// Creates a series in the database: a recurring webinar (`rule`,
/// `start_time`: its sessions over the scheduler's horizon, kept going as
/// time passes) or a one-off event (`dates`: one session each, never on
/// the home page as the Jam). Its list is invited only when `list` names
/// one. Config never changes it; its defaults are edited like any series'.
#[utoipa::path(post, path = "/api/v1/organizer/series", tag = "series", security(("bearer" = [])),
    request_body = NewSeriesBody,
    responses((status = 201, description = "Created, with its sessions", body = NewSeriesView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 409, description = "A series has that slug", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn api_create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewSeriesBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let new = checked(&state, &body).await?;
    let notes = new.notes.clone();
    let created = write(&state, user.actor(), new).await?;
    let upcoming = created.sessions.len() as i64;
    Ok(HttpResponse::Created().json(NewSeriesView {
        series: SeriesView::new(&created.series, None, upcoming),
        sessions: created
            .sessions
            .iter()
            .map(|s| session_view(&state, s))
            .collect(),
        notes,
    }))
}
