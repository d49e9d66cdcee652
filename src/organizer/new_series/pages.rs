//! `/organizer/series`: every series, and the form that creates one (the
//! API's check and transaction, a message per bad field on the form).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::series::model::{self, Series, ECHO, SCHEDULED};
use crate::web::AppState;

use super::handlers::{checked, uids};
use super::{create, NewSeriesBody, MOST_DATES};

/// Date boxes the form shows (the API takes up to `MOST_DATES`).
const DATE_BOXES: usize = 6;

/// Every series with its count of upcoming sessions.
async fn rows(state: &AppState) -> Result<Vec<(Series, i64)>, DbError> {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        use crate::db::schema::sessions;
        use diesel::prelude::*;
        let counts: HashMap<i64, i64> = sessions::table
            .filter(sessions::status.eq(SCHEDULED))
            .filter(sessions::ends_at.gt(now))
            .group_by(sessions::series_id)
            .select((sessions::series_id, diesel::dsl::count_star()))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect();
        Ok(model::all_series(conn)?
            .into_iter()
            .map(|s| {
                let n = counts.get(&s.id).copied().unwrap_or(0);
                (s, n)
            })
            .collect())
    })
    .await
}

/// How a series meets, in words.
fn how(s: &Series) -> String {
    match (s.kind == ECHO, s.recurring) {
        (true, _) => format!("ECHO program, cohorts on {}", s.rule),
        (false, true) => format!("{} at {} ({})", s.rule, s.start_time, s.timezone),
        (false, false) => format!("one-off event ({})", s.timezone),
    }
}

/// A form sent back: what it said, a message per field, the status.
type Sent<'a> = (&'a NewSeriesBody, &'a [(String, String)], StatusCode);

/// The page: the series, and the form (empty, or as sent with its errors).
fn render(
    state: &AppState,
    user: &PageUser,
    rows: &[(Series, i64)],
    sent: Option<Sent<'_>>,
) -> HttpResponse {
    let empty = NewSeriesBody {
        timezone: Some("America/New_York".into()),
        kind: Some("one_off".into()),
        duration_minutes: Some("60".into()),
        invitations: Some(vec!["21d, 2d".into()]),
        reminders: Some(vec!["7d, 1d, 1h".into()]),
        ..NewSeriesBody::default()
    };
    let (body, errors, status) = sent.unwrap_or((&empty, &[], StatusCode::OK));
    let error: HashMap<&str, &str> = errors
        .iter()
        .map(|(f, m)| (f.as_str(), m.as_str()))
        .collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let field = |name: &str, v: &Option<String>| json!({ "name": name, "value": text(v), "error": error.get(name) });
    let dates: Vec<Value> = (0..DATE_BOXES.max(body.dates.len()))
        .map(|i| {
            let name = format!("dates[{i}]");
            json!({
                "id": name, "n": i + 1,
                "value": body.dates.get(i).cloned().unwrap_or_default(),
                "error": error.get(name.as_str()),
            })
        })
        .collect();
    let kind = body.kind.as_deref().unwrap_or("one_off");
    let list = body.list.as_deref().unwrap_or("");
    let mut lists = vec![json!({ "value": "", "label": "None", "selected": list.is_empty() })];
    lists.extend(
        state
            .settings
            .lists
            .iter()
            .map(|(slug, l)| json!({ "value": slug, "label": l.name, "selected": slug == list })),
    );
    let joined = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(", "));
    let has_errors = !errors.is_empty();
    state.pages.private(state.pages.render(
        status,
        "organizer/series_list",
        &json!({
            "title": if has_errors { "Error: new series — series" } else { "Series" },
            "series": rows.iter().map(|(s, n)| json!({
                "slug": s.slug, "title": s.title, "how": how(s), "upcoming": n,
                "by_organizer": s.by_organizer(), "list": s.list_slug,
            })).collect::<Vec<_>>(),
            "can_change": user.user.role().allows(Need::Organize),
            "csrf": user.csrf,
            "has_errors": has_errors,
            "errors": errors.iter().map(|(f, m)| json!({ "field": f, "message": m })).collect::<Vec<_>>(),
            "recurring": kind == "recurring",
            "error_kind": error.get("kind"),
            "error_dates": error.get("dates"),
            "most_dates": MOST_DATES,
            "dates": dates,
            "lists": lists,
            "error_list": error.get("list"),
            "f": {
                "slug": field("slug", &body.slug),
                "title": field("title", &body.title),
                "description": field("description", &body.description),
                "timezone": field("timezone", &body.timezone),
                "rule": field("rule", &body.rule),
                "start_time": field("start_time", &body.start_time),
                "duration_minutes": field("duration_minutes", &body.duration_minutes),
                "capacity": field("capacity", &body.capacity),
                "join_url": field("join_url", &body.join_url),
                "organizer_name": field("organizer_name", &body.organizer_name),
                "organizer_email": field("organizer_email", &body.organizer_email),
                "baseline": field("baseline", &body.baseline),
                "invitations": field("invitations", &joined(&body.invitations)),
                "reminders": field("reminders", &joined(&body.reminders)),
            },
        }),
    ))
}

/// `GET /organizer/series`
pub async fn page(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    match rows(&state).await {
        Ok(rows) => render(&state, &user, &rows, None),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// The form's fields as the API's body: blank boxes are not given, the
/// date boxes keep their places (so `dates[2]` names the third box).
fn body_of(form: &[(String, String)]) -> NewSeriesBody {
    let get = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.trim().is_empty())
    };
    let offsets = |name: &str| Some(vec![get(name).unwrap_or_default()]);
    NewSeriesBody {
        slug: get("slug"),
        title: get("title"),
        description: get("description"),
        timezone: get("timezone"),
        kind: get("kind"),
        rule: get("rule"),
        start_time: get("start_time"),
        dates: form
            .iter()
            .filter(|(n, _)| n == "dates")
            .map(|(_, v)| v.clone())
            .collect(),
        duration_minutes: get("duration_minutes"),
        capacity: get("capacity"),
        join_url: get("join_url"),
        organizer_name: get("organizer_name"),
        organizer_email: get("organizer_email"),
        baseline: get("baseline"),
        list: get("list"),
        invitations: offsets("invitations"),
        reminders: offsets("reminders"),
    }
}

/// `POST /organizer/series`: creates the series, then its page.
pub async fn page_create(
    state: web::Data<AppState>,
    user: PageUser,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let body = body_of(&form);
    let posted = Posted::from_form(form);
    if let Some(refused) = forms::refusal(&state, &user, &posted, Need::Organize) {
        return refused;
    }
    let new = match checked(&state, &body).await {
        Ok(new) => new,
        Err(e) => {
            let (errors, status) = match e {
                ApiError::Invalid { fields, .. } => (fields, StatusCode::UNPROCESSABLE_ENTITY),
                ApiError::Conflict(_, message) => {
                    (vec![("slug".into(), message)], StatusCode::CONFLICT)
                }
                other => return state.pages.internal_error(&anyhow::Error::new(other)),
            };
            return match rows(&state).await {
                Ok(rows) => render(&state, &user, &rows, Some((&body, &errors, status))),
                Err(e) => state.pages.internal_error(&e.into()),
            };
        }
    };
    let uids = uids(&state, &new);
    let host = state.settings.http.public_url.host();
    let horizon = state.settings.jobs.horizon_months;
    let done = format!("/organizer/series/{}", new.slug);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        "/organizer/series".into(),
        move |conn, actor, _, now| {
            create(conn, actor, &new, &uids, &host, horizon, now)?;
            Ok(done.clone())
        },
    )
    .await
}
