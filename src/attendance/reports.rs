//! The organizers' reports page of a series: over a period, registrants
//! and attendees per session against the baseline, and attendees by sector
//! and by state, each as a chart drawn on the server with its numbers in a
//! table under it; and the same period's measures as a CSV download. The
//! numbers are the metrics API's (`handlers::trend`): staff (host, co-hosts,
//! panelists) are not attendees, and are shown apart in the table.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::attendance::charts::{self, BaselineMark, Described, SessionBars};
use crate::attendance::handlers::{trend, trend_csv, RangeQuery, Trend};
use crate::attendance::measures::{summed, Point};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::evaluation::report::{self as evaluation, Figures, SessionFeedback, TextAnswer};
use crate::series::questions::{store as questions, Kind, Tally};
use crate::web::AppState;

/// The series' trend over the asked period, which must not end before it
/// starts.
async fn period_trend(
    state: &AppState,
    slug: String,
    query: &RangeQuery,
) -> Result<Trend, ApiError> {
    // The coming sessions too, as far ahead as they are made.
    let ahead = chrono::Months::new(state.settings.jobs.horizon_months);
    let found = trend(state, slug, query, ahead).await?;
    if found.1 >= found.2 {
        return Err(ApiError::fields(vec![(
            "to".into(),
            "the end of the period must be after its start".into(),
        )]));
    }
    Ok(found)
}

/// The query string asking for the same period (only what was given, so a
/// default period stays "up to now").
fn same_period(query: &RangeQuery) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [("from", &query.from), ("to", &query.to)] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            q.append_pair(name, v.trim());
        }
    }
    match q.finish() {
        s if s.is_empty() => s,
        s => format!("?{s}"),
    }
}

/// A series' feedback as `evaluation::for_series` counts it.
type Feedback = (Vec<SessionFeedback>, Figures, Vec<TextAnswer>);

fn day(t: &chrono::NaiveDateTime) -> String {
    t.format("%b %-d, %Y").to_string()
}

/// A breakdown's chart and table rows, or none when nobody attended.
fn breakdown(id: &str, what: &str, rows: &[(String, i64)], series: &str) -> anyhow::Result<Value> {
    let title = format!("Attendees of the {series} sessions by {what}");
    let description = format!(
        "Horizontal bars, largest first: {}. The table below has the numbers.",
        rows.iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let svg = charts::breakdown(
        rows,
        &Described {
            id,
            title: &title,
            description: &description,
        },
    )?;
    Ok(json!({
        "svg": svg,
        "rows": rows.iter().map(|(name, n)| json!({ "name": name, "count": n })).collect::<Vec<_>>(),
    }))
}

fn sessions_chart(points: &[Point], baseline: Option<u32>, series: &str) -> anyhow::Result<Value> {
    let bars: Vec<SessionBars> = points.iter().map(SessionBars::from).collect();
    let baseline_said = match charts::baseline_mark(baseline, charts::highest_bar(&bars)) {
        BaselineMark::None => String::new(),
        BaselineMark::OnScale(b) => {
            format!("a horizontal line at the baseline of {b} registrants; ")
        }
        BaselineMark::Above(b) => format!(
            "the baseline of {b} registrants is far above every bar, so the scale follows the bars and a line along the top edge marks it; "
        ),
    };
    let title = format!("Registrants and attendees per {series} session");
    let description = format!(
        "Pairs of bars, registrants then attendees, for {} session(s) from {} to {}; {}a line through the running average of registrants. The table below has the numbers.",
        points.len(),
        points.first().map_or(String::new(), |p| charts::date_label(&p.date)),
        points.last().map_or(String::new(), |p| charts::date_label(&p.date)),
        baseline_said
    );
    let svg = charts::sessions(
        &bars,
        baseline,
        &Described {
            id: "sessions-chart",
            title: &title,
            description: &description,
        },
    )?;
    Ok(json!({
        "svg": svg,
        "rows": points.iter().map(|p| json!({
            "date": charts::date_label(&p.date),
            "title": p.title,
            "registrants": p.measures.registrants,
            "attendees": p.measures.attendees,
            "staff": p.measures.staff,
            "running_average": p.running_average.to_string(),
        })).collect::<Vec<_>>(),
    }))
}

/// The series' registration questions counted over the period's
/// registrations: each choice (and any no longer offered) with how many
/// picked it; a text question, how many answered.
fn answers(tallies: &[Tally]) -> Vec<Value> {
    tallies
        .iter()
        .map(|t| {
            json!({
                "label": t.question.label,
                "archived": t.question.is_archived(),
                "text": t.question.kind() == Kind::Text,
                "answered": t.answered,
                "rows": t.counts.iter().map(|(name, n)| json!({ "name": name, "count": n })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// A share as people read it: `0.25` → `25%`; a dash for none.
fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".into(), |r| format!("{}%", (r * 100.0).round()))
}

/// An average to two decimals; a dash for none.
fn average(x: Option<f64>) -> String {
    x.map_or("—".into(), |x| x.to_string())
}

/// How many of the latest free-text answers the page shows (the CSV and
/// the API have them all).
const LATEST_ANSWERS: usize = 10;

/// The feedback section: per session, per lever over the period, and the
/// latest free-text answers.
fn feedback(slug: &str, period_query: &str, found: &Feedback) -> Value {
    let (sessions, totals, answers) = found;
    json!({
        "csv_url": format!("/organizer/series/{slug}/feedback.csv{period_query}"),
        "api_url": format!("/api/v1/series/{slug}/feedback{period_query}"),
        "responses": totals.responses,
        "rows": sessions.iter().map(|s| json!({
            "date": charts::date_label(&s.date),
            "title": s.title,
            "responses": s.figures.responses,
            "registrants": s.figures.registrants,
            "rate": percent(s.figures.response_rate),
            "rating": average(s.figures.rating.average),
            "usefulness": average(s.figures.usefulness.average),
            "took_back": s.figures.took_back,
            "acted_on": s.figures.acted_on,
            "asked": s.figures.since_asked,
            "answered": s.figures.since_answered,
        })).collect::<Vec<_>>(),
        "total": {
            "rate": percent(totals.response_rate),
            "rating": average(totals.rating.average),
            "usefulness": average(totals.usefulness.average),
            "took_back": totals.took_back,
            "acted_on": totals.acted_on,
            "asked": totals.since_asked,
            "answered": totals.since_answered,
        },
        "levers": totals.levers,
        "answers": answers.iter().take(LATEST_ANSWERS).map(|a| json!({
            "date": charts::date_label(&a.date),
            "session": a.session,
            "question": a.question,
            "text": a.text,
        })).collect::<Vec<_>>(),
    })
}

fn render(
    state: &AppState,
    query: &RangeQuery,
    found: &Trend,
    tallies: &[Tally],
    feedback_found: &Feedback,
) -> anyhow::Result<HttpResponse> {
    let (series, from, to, baseline, points) = found;
    let period = format!(
        "{} to {}",
        day(from),
        if query.to.is_some() {
            format!("{} (not included)", day(to))
        } else {
            format!(
                "{} (not included): the past year and the coming sessions",
                day(to)
            )
        }
    );
    let by_sector = summed(points.iter().flat_map(|p| p.measures.by_sector.clone()));
    let by_state = summed(points.iter().flat_map(|p| p.measures.by_state.clone()));
    let period_query = same_period(query);
    Ok(state.pages.private(state.pages.ok(
        "organizer/reports",
        &json!({
            "title": format!("Reports — {}", series.title),
            "series": { "slug": series.slug, "title": series.title },
            "period": period,
            "from": query.from.as_deref().unwrap_or_default(),
            "to": query.to.as_deref().unwrap_or_default(),
            "has_errors": false,
            "csv_url": format!("/organizer/series/{}/reports.csv{period_query}", series.slug),
            "api_csv_url": format!("/api/v1/series/{}/metrics.csv{period_query}", series.slug),
            "baseline": baseline,
            "count": points.len(),
            "reached": points.last().map_or(0, |p| p.people_reached),
            "sessions": (!points.is_empty())
                .then(|| sessions_chart(points, *baseline, &series.title))
                .transpose()?,
            "sectors": breakdown("sector-chart", "sector", &by_sector, &series.title)?,
            "states": breakdown("state-chart", "state", &by_state, &series.title)?,
            "questions": answers(tallies),
            "feedback": feedback(&series.slug, &period_query, feedback_found),
        }),
    )))
}

/// The page again with the form and what is wrong with the period (400).
fn bad_period(
    state: &AppState,
    slug: &str,
    query: &RangeQuery,
    fields: &[(String, String)],
) -> HttpResponse {
    state.pages.private(state.pages.render(
        StatusCode::BAD_REQUEST,
        "organizer/reports",
        &json!({
            "title": "Error: reports — the period is not valid",
            "series": { "slug": slug, "title": slug },
            "period": "",
            "from": query.from.as_deref().unwrap_or_default(),
            "to": query.to.as_deref().unwrap_or_default(),
            "has_errors": true,
            "errors": fields.iter().map(|(f, m)| json!({ "field": f, "message": format!("{}: {m}", if f == "from" { "From" } else { "To" }) })).collect::<Vec<_>>(),
        }),
    ))
}

/// What a refused request gets as a page: 404 for an unknown series, 400
/// for a bad period, the apology otherwise.
fn refused(state: &AppState, e: ApiError) -> HttpResponse {
    match e {
        ApiError::NotFound(_) => state.pages.not_found(),
        ApiError::Invalid { message, fields } => state.pages.message(
            StatusCode::BAD_REQUEST,
            "The period is not valid",
            &fields
                .iter()
                .map(|(f, m)| format!("`{f}`: {m}."))
                .reduce(|a, b| format!("{a} {b}"))
                .unwrap_or(message),
        ),
        ApiError::Internal(cause) => state.pages.internal_error(&cause),
        other => state.pages.internal_error(&other.into()),
    }
}

/// `GET /organizer/series/{slug}/reports?from=YYYY-MM-DD&to=YYYY-MM-DD`
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    let slug = path.into_inner();
    match period_trend(&state, slug.clone(), &query).await {
        Ok(found) => {
            let (series_id, from, to) = (found.0.id, found.1, found.2);
            let now = state.clock.naive();
            let tallies = db::run(&state.pool, move |conn| {
                let tallies = questions::tallies(conn, series_id, from, to)?;
                let feedback = evaluation::for_series(conn, series_id, from, to, now)?;
                Ok::<_, DbError>((tallies, feedback))
            })
            .await;
            match tallies {
                Ok((tallies, feedback)) => render(&state, &query, &found, &tallies, &feedback)
                    .unwrap_or_else(|e| state.pages.internal_error(&e)),
                Err(e) => state.pages.internal_error(&e.into()),
            }
        }
        Err(ApiError::Invalid { fields, .. }) if !fields.is_empty() => {
            bad_period(&state, &slug, &query, &fields)
        }
        Err(e) => refused(&state, e),
    }
}

/// `GET /organizer/series/{slug}/reports.csv?from=&to=`: the metrics API's
/// CSV, for the signed-in organizer's browser.
pub async fn csv(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    query: web::Query<RangeQuery>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    match period_trend(&state, path.into_inner(), &query)
        .await
        .and_then(|found| trend_csv(&found))
    {
        Ok(download) => download,
        Err(e) => refused(&state, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_link_asks_for_the_same_period() {
        let q = |from: Option<&str>, to: Option<&str>| RangeQuery {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
        };
        assert_eq!(same_period(&q(None, None)), "", "the default period");
        assert_eq!(
            same_period(&q(Some("2026-01-01"), Some(" 2026-07-01 "))),
            "?from=2026-01-01&to=2026-07-01"
        );
        assert_eq!(
            same_period(&q(Some(""), Some("2026-07-01"))),
            "?to=2026-07-01"
        );
    }
}
