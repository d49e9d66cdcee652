//! Public listing of upcoming sessions, a session's calendar file, each
//! series' subscribable calendar feed, and the read-only sessions API.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Months, SecondsFormat};
use serde::Serialize;
use serde_json::{json, Value};

use crate::calendar::ics::{self, FeedEvent};
use crate::config::PublicUrl;
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::registration::{REGISTERED, WAITLISTED};
use crate::series::model::{self, Series, Session};
use crate::web::{page_cache, AppState};

/// Upcoming sessions with their registered and waitlisted counts.
async fn upcoming_with_counts(
    state: &AppState,
    limit: i64,
) -> Result<Vec<(Session, Series, i64, i64)>, DbError> {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let rows = model::upcoming_public(conn, now, limit)?;
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

/// Upcoming sessions grouped by series, in the order they come, each as
/// the pages list it.
async fn upcoming_by_series(state: &AppState) -> Result<Vec<(Series, Vec<Value>)>, DbError> {
    let rows = upcoming_with_counts(state, 200).await?;
    let mut groups: Vec<(Series, Vec<Value>)> = Vec::new();
    for (s, series, registered, _) in rows {
        let item = json!({
            "id": s.id,
            "title": s.title,
            "when": s.when(),
            "timezone": s.timezone,
            "other_zones": s.other_zones(),
            "starts_at": s.starts_machine(),
            "minutes": (s.ends_at - s.starts_at).num_minutes(),
            "full": registered >= i64::from(s.capacity),
        });
        match groups.iter_mut().find(|(g, _)| g.id == series.id) {
            Some((_, items)) => items.push(item),
            None => groups.push((series, vec![item])),
        }
    }
    Ok(groups)
}

/// A series with its coming sessions, as the home page and its own page
/// show it.
fn card(state: &AppState, series: &Series, sessions: Vec<Value>) -> Value {
    json!({
        "slug": series.slug,
        "title": series.title,
        "description": series.description,
        "timezone": series.timezone,
        "zone": crate::calendar::display::zone_name(
            series.timezone.parse().unwrap_or(chrono_tz::Tz::UTC),
            state.clock.now(),
        ),
        "feed": crate::calendar::links::feed_links(&state.settings.http.public_url, &series.slug),
        "next": sessions.first().cloned(),
        "later": sessions.iter().skip(1).cloned().collect::<Vec<_>>(),
        "sessions": sessions,
    })
}

/// `GET /`: each series with its coming sessions, times in the series' zone.
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    state
        .page_cache
        .serve(&state, &req, index_page(&state))
        .await
}

async fn index_page(state: &AppState) -> HttpResponse {
    let mut groups = match upcoming_by_series(state).await {
        Ok(groups) => groups,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    // The series' own cards first (configured ones, the Jam, ahead of
    // organizers' recurring webinars), then one-off events apart: never
    // the card of the next Jam.
    groups.sort_by_key(|(series, _)| series.by_organizer());
    let (recurring, others): (Vec<_>, Vec<_>) =
        groups.into_iter().partition(|(series, _)| series.recurring);
    let cards = |groups: Vec<(Series, Vec<Value>)>| -> Vec<Value> {
        groups
            .into_iter()
            .map(|(series, sessions)| card(state, &series, sessions))
            .collect()
    };
    state.pages.ok(
        "index",
        &json!({ "title": "Upcoming sessions", "series": cards(recurring), "others": cards(others), "times": true }),
    )
}

/// `GET /series/{slug}`: a series' own page (a one-off event's above all):
/// what it is, its coming sessions to register for, its feed, and where
/// its past sessions are. An ECHO program has its own pages under /echo.
pub async fn series_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let slug = path.into_inner();
    let wanted = slug.clone();
    let found = db::run(&state.pool, move |conn| {
        model::find_series(conn, &wanted).map_err(DbError::from)
    })
    .await;
    let series = match found {
        Ok(Some(series)) if series.kind != model::ECHO => series,
        Ok(_) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let sessions = match upcoming_by_series(&state).await {
        Ok(groups) => groups
            .into_iter()
            .find(|(s, _)| s.id == series.id)
            .map(|(_, sessions)| sessions)
            .unwrap_or_default(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    state.pages.ok(
        "series_page",
        &json!({
            "title": series.title,
            "series": card(&state, &series, sessions),
            "times": true,
        }),
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
        // A cohort's sessions and join links reach its participants only,
        // by their own page and feed.
        Ok(Some((_, series))) if series.kind == model::ECHO => return state.pages.not_found(),
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let description = public_description(&state.settings.http.public_url, &session);
    let event = session.calendar_event(&series, description, None, 0);
    let body = ics::render_download(&event, session.is_cancelled(), chrono::Utc::now());
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

/// A session's text in calendar files anyone may fetch: how to join, and
/// where to register.
fn public_description(public: &PublicUrl, session: &Session) -> String {
    let page = public.join(&format!("/sessions/{}", session.id));
    format!(
        "Join: {}\n\nDetails and registration: {page}\n\n{}",
        session.join_url, session.description
    )
}

/// The confirmed lineup as a paragraph for an event description, or
/// nothing when there is none.
fn presenters_text(lineup: Option<&[crate::lineup::Slot]>) -> String {
    let Some(lineup) = lineup.filter(|l| !l.is_empty()) else {
        return String::new();
    };
    let mut text = String::from("\n\nPresenters:");
    for p in lineup {
        text.push_str(&format!("\n- {} ({})", p.name, p.role));
        if !p.talk_title.is_empty() {
            text.push_str(&format!(": {}", p.talk_title));
        }
    }
    text
}

/// Series slugs are lowercase letters, digits and dashes (the config checks
/// it); anything else is no feed of ours.
fn is_slug(s: &str) -> bool {
    crate::web::fields::is_slug(s, 100)
}

/// `GET /calendar/{slug}.ics`: every session of the series from three
/// months back to a year ahead, for calendar programs that subscribe and
/// poll. Cancelled sessions stay in, marked, so subscribers see them go.
/// An ECHO program has none: each participant has their cohort's.
pub async fn feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let slug = path.into_inner();
    if !is_slug(&slug) {
        return state.pages.not_found();
    }
    let now = state.clock.now();
    let from = now.checked_sub_months(Months::new(3)).unwrap_or(now);
    let to = now.checked_add_months(Months::new(12)).unwrap_or(now);
    let found = db::run(&state.pool, move |conn| {
        let Some(series) = model::find_series(conn, &slug)?.filter(|s| s.kind != model::ECHO)
        else {
            return Ok(None);
        };
        let sessions =
            model::sessions_starting_between(conn, series.id, from.naive_utc(), to.naive_utc())?;
        let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
        let lineups = crate::lineup::confirmed_for_sessions(conn, &ids)?;
        Ok::<_, DbError>(Some((series, sessions, lineups)))
    })
    .await;
    let (series, sessions, lineups) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let public = &state.settings.http.public_url;
    let events: Vec<FeedEvent> = sessions
        .iter()
        .map(|s| FeedEvent {
            event: s.calendar_event(
                &series,
                public_description(public, s)
                    + &presenters_text(lineups.get(&s.id).map(Vec::as_slice)),
                None,
                0,
            ),
            cancelled: s.is_cancelled(),
            changed_at: s.updated_at.and_utc(),
        })
        .collect();
    let zone = series.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let body = ics::render_feed(&series.title, zone, from..to, &events);
    polled_calendar(&req, body)
}

/// A calendar that programs poll: cacheable for a quarter of an hour,
/// with a strong ETag over the body, and a 304 for a client that has it.
pub(crate) fn polled_calendar(req: &HttpRequest, body: String) -> HttpResponse {
    // The body changes only with the sessions (or as one leaves or enters
    // the window), so a hash of it says whether there is anything new.
    let etag = page_cache::strong_etag(body.as_bytes());
    let unchanged = page_cache::unchanged(req, &etag);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(header::ETag(etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=900"));
    if unchanged {
        response.finish()
    } else {
        response
            .content_type("text/calendar; charset=utf-8")
            .body(body)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionSummary>,
}

/// Upcoming sessions of every series, soonest first, with registration
/// counts. Public.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "public",
    responses((status = 200, description = "Upcoming sessions", body = SessionList)))]
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
    Ok(HttpResponse::Ok().json(SessionList { sessions }))
}
