//! `GET /api/v1/series/{slug}/feedback` (JSON) and `…/feedback.csv` (a
//! row per evaluation, for Excel), and the same CSV for the signed-in
//! organizer's browser from the reports page.

use actix_web::{web, HttpResponse};
use chrono::{Months, NaiveDateTime};
use serde::Serialize;

use crate::auth::{ApiUser, Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::series::model::{self, Series};
use crate::web::period::{csv_name, RangeQuery};
use crate::web::AppState;

use super::store::{self, Loaded};
use super::{count, Figures, SessionFeedback, TextAnswer};

/// The feedback API and CSVs.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/api/v1/series/{slug}/feedback", api_report)
        .get("/api/v1/series/{slug}/feedback.csv", api_csv)
        .get("/organizer/series/{slug}/feedback.csv", page_csv);
}

/// A series' feedback over a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackReport {
    /// The series' slug.
    pub series: String,
    /// RFC 3339, UTC: the period's start, included.
    pub from: String,
    /// RFC 3339, UTC: the period's end, excluded.
    pub to: String,
    /// The period's sessions that have ended, oldest first.
    pub sessions: Vec<SessionFeedback>,
    /// Over all of them.
    pub totals: Figures,
    /// Free-text answers (what they will take back, topics wanted, what
    /// changed, the series' own text questions), newest session first.
    pub answers: Vec<TextAnswer>,
}

/// The series and what its report over the asked period is made of.
async fn loaded(
    state: &AppState,
    slug: String,
    query: &RangeQuery,
) -> Result<(Series, NaiveDateTime, NaiveDateTime, Loaded), ApiError> {
    let now = state.clock.naive();
    let (from, to) = query.period(now, Months::new(0))?;
    if from >= to {
        return Err(ApiError::fields(vec![(
            "to".into(),
            "the end of the period must be after its start".into(),
        )]));
    }
    let found = db::run(&state.pool, move |conn| {
        let Some(series) = model::find_series(conn, &slug)? else {
            return Ok::<_, DbError>(None);
        };
        let loaded = store::load(conn, series.id, from, to, now)?;
        Ok(Some((series, loaded)))
    })
    .await?;
    let (series, loaded) = found.ok_or_else(|| ApiError::NotFound("No such series.".into()))?;
    Ok((series, from, to, loaded))
}

/// A series' feedback per session and over the period (`YYYY-MM-DD`, UTC;
/// a year up to now by default): responses and the response rate, ratings
/// and usefulness, per lever of change who took an idea back and who acted
/// on it, the later question asked and answered, and the free text.
#[utoipa::path(get, path = "/api/v1/series/{slug}/feedback", tag = "feedback", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Series slug"), RangeQuery),
    responses((status = 200, description = "The feedback", body = FeedbackReport),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad dates", body = crate::error::ErrorBody)))]
pub async fn api_report(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (series, from, to, loaded) = loaded(&state, path.into_inner(), &query).await?;
    let (sessions, totals, answers) = count(&loaded.sessions, &loaded.evaluations);
    Ok(HttpResponse::Ok().json(FeedbackReport {
        series: series.slug,
        from: from.and_utc().to_rfc3339(),
        to: to.and_utc().to_rfc3339(),
        sessions,
        totals,
        answers,
    }))
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A row per evaluation: its session, whether anonymous, each question's
/// answer, then what came of it. No address or name.
pub fn csv(loaded: &Loaded) -> anyhow::Result<Vec<u8>> {
    let mut header = vec!["Date", "Session", "Anonymous"];
    header.extend(loaded.columns.iter().map(|c| c.label.as_str()));
    header.extend([
        "Took an idea back",
        "Asked what came of it",
        "Acted on it",
        "Levers it moved",
        "What changed",
    ]);
    let rows = loaded.evaluations.iter().map(|e| {
        let session = loaded.sessions.iter().find(|s| s.id == e.session_id);
        let mut row = vec![
            session.map_or(String::new(), |s| s.date.clone()),
            session.map_or(String::new(), |s| s.title.clone()),
            yes_no(e.anonymous),
        ];
        row.extend(loaded.columns.iter().map(|c| {
            e.answers
                .iter()
                .find(|a| a.question_id == c.id)
                .map_or(String::new(), |a| a.values().join("; "))
        }));
        row.extend([
            yes_no(e.took_back),
            yes_no(e.asked),
            e.acted_on.map_or(String::new(), yes_no),
            e.since_levers
                .iter()
                .filter_map(|c| crate::lineup::levers::label(c))
                .collect::<Vec<_>>()
                .join("; "),
            e.since_changed.clone(),
        ]);
        row
    });
    crate::web::csv::spreadsheet_csv(&header, rows)
}

/// The CSV download of a loaded report.
fn download(
    series: &Series,
    from: NaiveDateTime,
    to: NaiveDateTime,
    loaded: &Loaded,
) -> Result<HttpResponse, ApiError> {
    let body = csv(loaded).map_err(ApiError::Internal)?;
    let name = csv_name(&format!("{}-feedback", series.slug), from, to);
    Ok(crate::web::csv::csv_download(&name, body))
}

/// The same period's evaluations as a CSV that opens cleanly in Excel, a
/// row per evaluation: session, date, anonymous or not, each question's
/// answer, then what came of it. No e-mail address.
#[utoipa::path(get, path = "/api/v1/series/{slug}/feedback.csv", tag = "feedback", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Series slug"), RangeQuery),
    responses((status = 200, description = "A row per evaluation", content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad dates", body = crate::error::ErrorBody)))]
pub async fn api_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (series, from, to, loaded) = loaded(&state, path.into_inner(), &query).await?;
    download(&series, from, to, &loaded)
}

/// `GET /organizer/series/{slug}/feedback.csv?from=&to=`: the API's CSV,
/// for the signed-in organizer's browser.
pub async fn page_csv(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    let slug = path.into_inner();
    let back = format!("/organizer/series/{slug}/reports");
    match loaded(&state, slug, &query)
        .await
        .and_then(|(series, from, to, loaded)| download(&series, from, to, &loaded))
    {
        Ok(download) => download,
        Err(e) => crate::auth::forms::refused(&state, e, &back),
    }
}
