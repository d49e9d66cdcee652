//! The attendance API: import a report for a session (the file as the
//! request body), and list a session's attendance.

use std::path::Path;

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;

use crate::attendance::import::Asked;
use crate::attendance::parse::{DateOrder, Format};
use crate::attendance::store;
use crate::audit::Actor;
use crate::auth::{ApiUser, Need};
use crate::db::{self, DbConnection, DbError};
use crate::echo::facilitators;
use crate::error::ApiError;
use crate::series::model;
use crate::upload;
use crate::web::AppState;

/// The report format an import path names (404 for one it does not).
pub fn expected(format: &str) -> Result<Option<Format>, ApiError> {
    Asked::format(format).map_err(ApiError::NotFound)
}

/// The date order asked for, if any (422 on `date_order` otherwise).
pub fn date_order(value: Option<&str>) -> Result<Option<DateOrder>, ApiError> {
    Asked::date_order(value).map_err(|m| ApiError::fields(vec![("date_order".into(), m)]))
}

/// Imports the report spooled at `path` into `session` (whose attendance
/// the caller may record: `echo::facilitators::session`), as asked:
/// `import::import` reading the file from disk, so that a write run twice
/// reads it again.
pub fn import_file(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &model::Session,
    asked: Asked,
    path: &Path,
    sha256: &str,
    now: NaiveDateTime,
) -> Result<crate::attendance::import::Imported, ApiError> {
    crate::attendance::import::import(
        conn,
        actor,
        session,
        asked,
        || std::fs::File::open(path),
        sha256,
        now,
    )
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: check the file and say what it would give; write nothing.
    pub dry_run: Option<bool>,
    /// How to read numeric dates when no date in the file settles it (no
    /// day past 12): `month-first` (the default) or `day-first`.
    pub date_order: Option<String>,
}

/// Imports an attendance report sent as the request body, streamed to a
/// temporary file (up to `attendance.report_max_mb`): `auto` tells the
/// kind from the content (a Zoom webinar attendee, registration or meeting
/// participant report, a Teams attendance report in UTF-8 or UTF-16, a
/// Google Meet attendance report, or any CSV with an e-mail column); the
/// others also check the file is of that family. Hosts and panelists are
/// kept as staff, apart from attendees. The whole file or nothing; a file
/// with no people is refused; `dry_run` writes nothing.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/attendance/{format}", tag = "attendance", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id"), ("format" = String, Path, description = "auto, zoom, teams, meet or csv"), ImportQuery),
    request_body(content = String, description = "The report file as downloaded", content_type = "text/csv"),
    responses((status = 200, description = "Imported (or already the current import: `unchanged`; or only checked: `dry_run`)", body = crate::attendance::import::Imported),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session or format", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than `attendance.report_max_mb`", body = crate::error::ErrorBody),
        (status = 422, description = "The file cannot be read, is of another kind or has no people: the line and the problem", body = crate::error::ErrorBody)))]
pub async fn import(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(i64, String)>,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Record)?;
    let (id, format) = path.into_inner();
    let asked = Asked {
        format: expected(&format)?,
        date_order: date_order(query.date_order.as_deref())?,
        dry_run: query.dry_run.unwrap_or(false),
    };
    let file = upload::spool(body, state.settings.attendance.report_max_bytes()).await?;
    let (path, sha256) = (file.path().to_path_buf(), file.sha256().to_string());
    let (actor, who, now) = (user.actor(), user.caller(), state.clock.naive());
    let done = db::write(&state.pool, move |conn| {
        let (session, _) = facilitators::session(conn, who, Need::Record, id)?;
        import_file(conn, &actor, &session, asked, &path, &sha256, now)
    })
    .await?;
    drop(file);
    Ok(HttpResponse::Ok().json(done))
}

/// A session's attendance, one row per person.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AttendanceList {
    pub attendance: Vec<store::Row>,
}

/// A session's attendance, one row per person.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/attendance", tag = "attendance", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The attendance", body = AttendanceList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    let (id, who) = (path.into_inner(), user.caller());
    let rows = db::run(&state.pool, move |conn| {
        facilitators::session(conn, who, Need::SeeCohort, id)?;
        Ok::<_, ApiError>(store::for_session(conn, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AttendanceList { attendance: rows }))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    #[schema(required = true, value_type = String)]
    email: Option<String>,
    /// Default true: a check-in.
    attended: Option<bool>,
    /// Minutes attended, when known.
    minutes: Option<i64>,
    /// Why it is marked by hand (required), kept with the row.
    #[schema(required = true, value_type = String)]
    reason: Option<String>,
}

impl MarkBody {
    /// The page form's fields as the API's body.
    pub fn from_form(
        email: Option<&str>,
        attended: bool,
        minutes: Option<i64>,
        reason: Option<&str>,
    ) -> Self {
        Self {
            email: email.map(str::to_string),
            attended: Some(attended),
            minutes,
            reason: reason.map(str::to_string),
        }
    }
}

/// The hand-marked attendance asked for, checked.
pub fn marked(
    b: &MarkBody,
) -> Result<
    (
        crate::mail::address::EmailAddress,
        bool,
        Option<i32>,
        String,
    ),
    ApiError,
> {
    let mut fields = Vec::new();
    let email = crate::mail::address::EmailAddress::parse(b.email.as_deref().unwrap_or_default())
        .map_err(|m| fields.push(("email".to_string(), m.to_string())))
        .ok();
    let minutes = match b.minutes {
        Some(m @ 0..=1440) => Some(m as i32),
        Some(_) => {
            fields.push(("minutes".into(), "from 0 to 1440".into()));
            None
        }
        None => None,
    };
    let reason = b
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        fields.push((
            "reason".into(),
            "say why (up to 500 characters): it is kept with the record".into(),
        ));
    }
    match email {
        Some(email) if fields.is_empty() => {
            Ok((email, b.attended.unwrap_or(true), minutes, reason))
        }
        _ => Err(ApiError::fields(fields)),
    }
}

/// One person's attendance as marked by hand.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// The address as read (trimmed).
    pub email: String,
    pub attended: bool,
}

/// Marks one person's attendance by hand (a check-in, or a correction),
/// with a required reason; later imports leave the row alone.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/attendance/mark", tag = "attendance", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = MarkBody,
    responses((status = 200, description = "Marked", body = Marked),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn mark(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<MarkBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Record)?;
    let (actor, now, id) = (user.actor(), state.clock.naive(), path.into_inner());
    let (who, body) = (user.caller(), body.into_inner());
    let (shown, attended) = db::write(&state.pool, move |conn| {
        let (session, _) = facilitators::session(conn, who, Need::Record, id)?;
        let (email, attended, minutes, reason) = marked(&body)?;
        store::mark(
            conn, &actor, &session, &email, attended, minutes, &reason, now,
        )?;
        Ok::<_, ApiError>((email.as_str().to_string(), attended))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Marked {
        email: shown,
        attended,
    }))
}

/// A session's measures, with the session they are of.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionMetrics {
    pub session: MeasuredSession,
    pub measures: crate::attendance::measures::Measures,
}

/// The session measured.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MeasuredSession {
    pub id: i64,
    /// The series' slug.
    pub series: String,
    pub title: String,
    /// As people read it, in the series' zone.
    pub when: String,
}

/// A session's measures: registrants against the series' baseline,
/// attendees (registered here or not), the attendance rate, first-time and
/// returning attendees, average minutes, sectors and states.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/metrics", tag = "attendance", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The measures", body = SessionMetrics),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody)))]
pub async fn metrics(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (session, series, measures) = session_measures(&state, &user, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SessionMetrics {
        session: MeasuredSession {
            id: session.id,
            series: series.slug,
            when: session.when(),
            title: session.title,
        },
        measures,
    }))
}

/// The same as a CSV, a row per measure, then a row per sector and state.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/metrics.csv", tag = "attendance", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The measures, a row each", content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody)))]
pub async fn metrics_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (session, series, measures) = session_measures(&state, &user, path.into_inner()).await?;
    let date = session
        .starts_at_utc()
        .with_timezone(&session.tz())
        .date_naive();
    let body = crate::attendance::exports::session_csv(&session.title, date, &measures)
        .map_err(ApiError::Internal)?;
    let name = format!("{}-{date}-session-{}.csv", series.slug, session.id);
    Ok(crate::web::csv::csv_download(&name, body))
}

/// A session, its series and its measures (with the series' baseline).
async fn session_measures(
    state: &AppState,
    user: &ApiUser,
    id: i64,
) -> Result<
    (
        model::Session,
        model::Series,
        crate::attendance::measures::Measures,
    ),
    ApiError,
> {
    user.require(Need::SeeCohort)?;
    let who = user.caller();
    db::run(&state.pool, move |conn| {
        let (session, series) = facilitators::session(conn, who, Need::SeeCohort, id)?;
        let baseline = series.usual_registrants();
        let measures = crate::attendance::measures::for_session(conn, &session, baseline)?;
        Ok((session, series, measures))
    })
    .await
}

pub use crate::web::period::RangeQuery;

/// A series' trend over a period.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SeriesMetrics {
    /// The series' slug.
    pub series: String,
    /// The series' usual number of registrants, when configured.
    pub baseline: Option<u32>,
    /// RFC 3339, UTC: the period's start, included.
    pub from: String,
    /// RFC 3339, UTC: the period's end, excluded.
    pub to: String,
    /// Different people who attended a session of the period (staff left
    /// out): the last session's `people_reached`, 0 with no sessions.
    pub people_reached: i64,
    /// Oldest first.
    pub sessions: Vec<crate::attendance::measures::Point>,
}

/// A series' sessions in a period with their measures, oldest first, each
/// with the running average of registrants against the baseline.
#[utoipa::path(get, path = "/api/v1/series/{slug}/metrics", tag = "attendance", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Series slug"), RangeQuery),
    responses((status = 200, description = "The trend", body = SeriesMetrics),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad dates", body = crate::error::ErrorBody)))]
pub async fn series_metrics(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (series, from, to, baseline, points) =
        trend(&state, path.into_inner(), &query, chrono::Months::new(0)).await?;
    Ok(HttpResponse::Ok().json(SeriesMetrics {
        series: series.slug,
        baseline,
        from: from.and_utc().to_rfc3339(),
        to: to.and_utc().to_rfc3339(),
        people_reached: points.last().map_or(0, |p| p.people_reached),
        sessions: points,
    }))
}

/// The same as a CSV that opens cleanly in Excel.
#[utoipa::path(get, path = "/api/v1/series/{slug}/metrics.csv", tag = "attendance", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Series slug"), RangeQuery),
    responses((status = 200, description = "The trend, a row per session", content_type = "text/csv"),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad dates", body = crate::error::ErrorBody)))]
pub async fn series_metrics_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    trend_csv(&trend(&state, path.into_inner(), &query, chrono::Months::new(0)).await?)
}

/// A trend as a CSV download named after its series and period.
pub(crate) fn trend_csv(trend: &Trend) -> Result<HttpResponse, ApiError> {
    let (series, from, to, _, points) = trend;
    let body = crate::attendance::exports::csv(points).map_err(ApiError::Internal)?;
    let name = crate::web::period::csv_name(&series.slug, *from, *to);
    Ok(crate::web::csv::csv_download(&name, body))
}

pub(crate) type Trend = (
    model::Series,
    chrono::NaiveDateTime,
    chrono::NaiveDateTime,
    Option<u32>,
    Vec<crate::attendance::measures::Point>,
);

/// A series' trend over the asked period: by default the year up to now,
/// and `ahead` after it (the reports page shows the coming sessions too).
pub(crate) async fn trend(
    state: &AppState,
    slug: String,
    query: &RangeQuery,
    ahead: chrono::Months,
) -> Result<Trend, ApiError> {
    let (from, to) = query.period(state.clock.naive(), ahead)?;
    let found = db::run(&state.pool, move |conn| {
        let Some(series) = model::find_series(conn, &slug)? else {
            return Ok::<_, DbError>(None);
        };
        let baseline = series.usual_registrants();
        let points = crate::attendance::measures::for_series(conn, series.id, from, to, baseline)?;
        Ok(Some((series, points)))
    })
    .await?;
    let (series, points) = found.ok_or_else(|| ApiError::NotFound("No such series.".into()))?;
    let baseline = series.usual_registrants();
    Ok((series, from, to, baseline, points))
}
