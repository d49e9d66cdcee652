//! Public listing of upcoming sessions, a session's calendar file, and the
//! read-only sessions API.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::json;

use crate::app::AppState;
use crate::calendar::ics::{self, Method};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::registration::store::{REGISTERED, WAITLISTED};
use crate::series::model::{self, Series, Session};

/// Upcoming sessions with their registered and waitlisted counts.
async fn upcoming_with_counts(
    state: &AppState,
    limit: i64,
) -> Result<Vec<(Session, Series, i64, i64)>, DbError> {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let rows = model::upcoming(conn, now, limit)?;
        let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
        let registered: HashMap<i64, i64> =
            model::counts(conn, &ids, REGISTERED)?.into_iter().collect();
        let waitlisted: HashMap<i64, i64> =
            model::counts(conn, &ids, WAITLISTED)?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|(s, series)| {
                let r = registered.get(&s.id).copied().unwrap_or(0);
                let w = waitlisted.get(&s.id).copied().unwrap_or(0);
                (s, series, r, w)
            })
            .collect())
    })
    .await
}

/// `GET /`: each series with its coming sessions, times in the series' zone.
pub async fn index(state: web::Data<AppState>) -> HttpResponse {
    let rows = match upcoming_with_counts(&state, 200).await {
        Ok(rows) => rows,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let mut groups: Vec<(Series, Vec<serde_json::Value>)> = Vec::new();
    for (s, series, registered, _) in rows {
        let item = json!({
            "id": s.id,
            "title": s.title,
            "when": s.when(),
            "timezone": s.timezone,
            "full": registered >= i64::from(s.capacity),
        });
        match groups.iter_mut().find(|(g, _)| g.id == series.id) {
            Some((_, items)) => items.push(item),
            None => groups.push((series, vec![item])),
        }
    }
    let series: Vec<_> = groups
        .into_iter()
        .map(|(series, sessions)| {
            json!({
                "title": series.title,
                "description": series.description,
                "timezone": series.timezone,
                "next": sessions.first().cloned(),
                "later": sessions.iter().skip(1).cloned().collect::<Vec<_>>(),
            })
        })
        .collect();
    state.pages.ok(
        "index",
        &json!({ "title": "Upcoming sessions", "series": series }),
    )
}

/// `GET /sessions/{id}/calendar.ics`: the session to import (PUBLISH).
pub async fn session_ics(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let Ok(id) = path.parse::<i64>() else {
        return state.pages.not_found();
    };
    let found = db::run(&state.pool, move |conn| {
        model::find_session(conn, id).map_err(DbError::from)
    })
    .await;
    let (session, series) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let page = state
        .settings
        .http
        .public_url
        .join(&format!("/sessions/{}", session.id));
    let description = format!(
        "Join: {}\n\nDetails and registration: {page}\n\n{}",
        session.join_url, session.description
    );
    let method = if session.is_cancelled() {
        Method::Cancel
    } else {
        Method::Publish
    };
    let event = session.calendar_event(&series, description, None, 0);
    let body = ics::render(method, &[event], chrono::Utc::now());
    let date = session
        .starts_at_utc()
        .with_timezone(&session.tz())
        .format("%Y-%m-%d");
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}-{date}.ics\"", series.slug),
        ))
        .body(body)
}

#[derive(Serialize)]
pub struct SessionSummary {
    pub id: i64,
    pub series: String,
    pub title: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// IANA zone the series is held in.
    pub time_zone: String,
    pub capacity: i32,
    pub registered: i64,
    pub waitlisted: i64,
    pub url: String,
}

/// `GET /api/v1/sessions`: upcoming sessions as JSON.
pub async fn api_sessions(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = upcoming_with_counts(&state, 500).await?;
    let public = &state.settings.http.public_url;
    let sessions: Vec<SessionSummary> = rows
        .into_iter()
        .map(|(s, series, registered, waitlisted)| SessionSummary {
            id: s.id,
            series: series.slug,
            title: s.title.clone(),
            starts_at: s.starts_at_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
            ends_at: s.ends_at_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
            time_zone: s.timezone.clone(),
            capacity: s.capacity,
            registered,
            waitlisted,
            url: public.join(&format!("/sessions/{}", s.id)),
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "sessions": sessions })))
}
