//! A series' defaults as organizers edit them (title, description, length,
//! capacity, join link, organizer): config seeds them, and a default an
//! organizer edits belongs to the database from then on — the scheduler's
//! upsert keeps it and new sessions take it — until it is handed back with
//! `reset`. The schedule (kind, zone, start time, rule) always follows
//! config. The one transaction, the API and the series page; the rules
//! are in `rules`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::{self, Actor};
use crate::auth::{ApiUser, Need, PageUser};
use crate::config::SeriesSettings;
use crate::db::schema::{series, sessions};
use crate::db::{self, DbConnection, DbError};
use crate::error::ApiError;
use crate::organizer::manage::{self, ManageError};
use crate::registration::store::Policy;
use crate::series::model::{self, Series, Session, SCHEDULED};
use crate::web::AppState;

mod rules;

use rules::{edited_of, encode, follow, plan};
pub use rules::{Defaults, Field, Patch};

// ---------------------------------------------------------------- the change

#[derive(Debug, thiserror::Error)]
pub enum DefaultsError {
    #[error("no series `{0}`")]
    NoSeries(String),
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
    #[error(transparent)]
    Manage(#[from] ManageError),
}

impl From<DbError> for DefaultsError {
    fn from(e: DbError) -> Self {
        Self::Manage(ManageError::Db(e))
    }
}

impl From<diesel::result::Error> for DefaultsError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Manage(e.into())
    }
}

impl From<DefaultsError> for ApiError {
    fn from(e: DefaultsError) -> Self {
        match e {
            DefaultsError::NoSeries(slug) => ApiError::NotFound(format!("No series `{slug}`.")),
            DefaultsError::Invalid(fields) => ApiError::fields(fields),
            DefaultsError::Manage(e) => e.into(),
        }
    }
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub series: Series,
    /// False when the series already was as asked (nothing written).
    pub changed: bool,
    pub upcoming_sessions: i64,
    pub sessions_updated: usize,
    pub messages_queued: usize,
}

/// What the audit log keeps of a series' defaults.
fn audit_summary(d: &Defaults, edited: &[Field]) -> Value {
    json!({
        "title": d.title,
        "description_chars": d.description.chars().count(),
        "duration_minutes": d.duration_minutes,
        "capacity": d.capacity,
        "join_url": d.join_url,
        "organizer_name": d.organizer_name,
        "organizer_email": d.organizer_email,
        "edited": edited.iter().map(|f| f.name()).collect::<Vec<_>>(),
    })
}

/// Changes series `slug`'s defaults as `patch` asks, in the caller's
/// transaction: locks the row, writes, audits, and with
/// `apply_to_upcoming` changes the upcoming sessions that still have an
/// old default through `manage::revise` (so their SEQUENCE, registrants'
/// calendars, audits and the waitlist follow as for one session's edit).
/// Asking for what already is writes nothing.
pub fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &Policy,
    slug: &str,
    config: Option<&Defaults>,
    patch: &Patch,
    now: NaiveDateTime,
) -> Result<Outcome, DefaultsError> {
    let locked = diesel::update(series::table.filter(series::slug.eq(slug)))
        .set(series::updated_at.eq(series::updated_at))
        .execute(conn)?;
    let row = match model::find_series(conn, slug)? {
        Some(row) if locked == 1 => row,
        _ => return Err(DefaultsError::NoSeries(slug.to_string())),
    };
    let (old, edited) = (Defaults::of(&row), edited_of(&row));
    let plan = plan(&old, &edited, config, patch).map_err(DefaultsError::Invalid)?;
    if plan.defaults == old && plan.edited == edited {
        return Ok(Outcome {
            upcoming_sessions: upcoming(conn, row.id, now)?.len() as i64,
            series: row,
            changed: false,
            sessions_updated: 0,
            messages_queued: 0,
        });
    }
    let new = &plan.defaults;
    diesel::update(series::table.find(row.id))
        .set((
            series::title.eq(&new.title),
            series::description.eq(&new.description),
            series::duration_minutes.eq(new.duration_minutes),
            series::capacity.eq(new.capacity),
            series::join_url.eq(&new.join_url),
            series::organizer_name.eq(&new.organizer_name),
            series::organizer_email.eq(&new.organizer_email),
            series::edited_fields.eq(encode(&plan.edited)),
            series::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "series.update",
        &format!("series:{slug}"),
        Some(audit_summary(&old, &edited)),
        Some(audit_summary(new, &plan.edited)),
        now,
    )?;
    let (mut sessions_updated, mut messages_queued) = (0, 0);
    if patch.apply_to_upcoming {
        for s in upcoming(conn, row.id, now)? {
            if s.starts_at <= now {
                continue;
            }
            let Some((details, length)) = follow(&s, &old, new) else {
                continue;
            };
            let changed = manage::revise(conn, actor, policy, s.id, &details, length, now)?;
            if !changed.unchanged() {
                sessions_updated += 1;
                messages_queued += changed.queued;
            }
        }
    }
    let series =
        model::find_series(conn, slug)?.ok_or_else(|| DefaultsError::NoSeries(slug.to_string()))?;
    Ok(Outcome {
        upcoming_sessions: upcoming(conn, series.id, now)?.len() as i64,
        series,
        changed: true,
        sessions_updated,
        messages_queued,
    })
}

// ---------------------------------------------------------------- queries

/// A series' scheduled sessions that have not ended, soonest first.
fn upcoming(
    conn: &mut DbConnection,
    series_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::series_id.eq(series_id))
        .filter(sessions::status.eq(SCHEDULED))
        .filter(sessions::ends_at.gt(now))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .select(Session::as_select())
        .load(conn)
}

/// How many scheduled sessions that have not ended each series has.
fn upcoming_counts(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = sessions::table
        .filter(sessions::status.eq(SCHEDULED))
        .filter(sessions::ends_at.gt(now))
        .group_by(sessions::series_id)
        .select((sessions::series_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Series `slug` and its upcoming sessions.
async fn load(state: &AppState, slug: String) -> Result<Option<(Series, Vec<Session>)>, DbError> {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let Some(row) = model::find_series(conn, &slug)? else {
            return Ok(None);
        };
        let sessions = upcoming(conn, row.id, now)?;
        Ok(Some((row, sessions)))
    })
    .await
}

// ---------------------------------------------------------------- API

/// A series as organizers see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesView {
    pub slug: String,
    /// webinar or echo.
    pub kind: String,
    /// The defaults new sessions take.
    #[serde(flatten)]
    pub defaults: Defaults,
    /// IANA zone; with `start_time` and `rule` from config, always.
    pub timezone: String,
    /// Local time, `HH:MM`.
    pub start_time: String,
    /// RFC 5545, e.g. `FREQ=MONTHLY;BYDAY=3TU`.
    pub rule: String,
    /// The defaults an organizer has set, which config no longer changes.
    pub edited: Vec<String>,
    /// Config's values for the defaults (what a reset restores); null when
    /// the series is no longer configured.
    pub config: Option<Defaults>,
    /// Scheduled sessions that have not ended.
    pub upcoming_sessions: i64,
    #[serde(flatten)]
    pub setup: crate::organizer::new_series::Setup,
}

impl SeriesView {
    pub(crate) fn new(
        row: &Series,
        config: Option<&SeriesSettings>,
        upcoming_sessions: i64,
    ) -> Self {
        Self {
            slug: row.slug.clone(),
            kind: row.kind.clone(),
            defaults: Defaults::of(row),
            timezone: row.timezone.clone(),
            start_time: row.start_time.clone(),
            rule: row.rule.clone(),
            edited: row.edited().into_iter().map(str::to_string).collect(),
            config: config.map(Defaults::from_config),
            upcoming_sessions,
            setup: crate::organizer::new_series::Setup::of(row),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesList {
    pub series: Vec<SeriesView>,
}

/// A series after a change, and what the change did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SeriesChange {
    pub series: SeriesView,
    /// False when the series already was as asked.
    pub changed: bool,
    /// Upcoming sessions changed to the new defaults (`apply_to_upcoming`).
    pub sessions_updated: usize,
    /// E-mails queued by those changes (updates, promotions).
    pub messages_queued: usize,
}

/// Every series (also one no longer configured), with its defaults, which
/// of them organizers have set, and config's values.
#[utoipa::path(get, path = "/api/v1/organizer/series", tag = "series", security(("bearer" = [])),
    responses((status = 200, description = "Every series", body = SeriesList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody)))]
pub async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let now = state.clock.naive();
    let (rows, counts) = db::run(&state.pool, move |conn| {
        Ok::<_, DbError>((model::all_series(conn)?, upcoming_counts(conn, now)?))
    })
    .await?;
    let series = rows
        .iter()
        .map(|row| {
            let count = counts.get(&row.id).copied().unwrap_or(0);
            SeriesView::new(row, state.settings.series.get(&row.slug), count)
        })
        .collect();
    Ok(HttpResponse::Ok().json(SeriesList { series }))
}

/// One series.
#[utoipa::path(get, path = "/api/v1/organizer/series/{slug}", tag = "series", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The series' slug, e.g. jam")),
    responses((status = 200, description = "The series", body = SeriesView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody)))]
pub async fn one(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let slug = path.into_inner();
    let Some((row, upcoming)) = load(&state, slug.clone()).await? else {
        return Err(DefaultsError::NoSeries(slug).into());
    };
    let config = state.settings.series.get(&row.slug);
    Ok(HttpResponse::Ok().json(SeriesView::new(&row, config, upcoming.len() as i64)))
}

/// New defaults for a series: any of the editable fields, `reset` to hand
/// fields back to config, `apply_to_upcoming` to change upcoming sessions
/// too.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesPatch {
    title: Option<String>,
    /// May be empty.
    description: Option<String>,
    /// Minutes (`90`), or a duration like `"1h30m"`.
    #[schema(value_type = Option<i64>)]
    duration_minutes: Option<Value>,
    /// Places per session, at least 1.
    #[schema(value_type = Option<i64>)]
    capacity: Option<Value>,
    /// http(s) URL.
    join_url: Option<String>,
    organizer_name: Option<String>,
    organizer_email: Option<String>,
    /// Field names whose value goes back to config's (which then changes
    /// them again).
    #[serde(default)]
    reset: Vec<String>,
    /// Also change the scheduled sessions that have not started and still
    /// have the old default (an individually changed value stays).
    #[serde(default)]
    apply_to_upcoming: bool,
}

impl SeriesPatch {
    /// The given value of `f` as text (numbers in decimal).
    fn text(&self, f: Field) -> Option<String> {
        let number = |v: &Option<Value>| {
            v.as_ref().map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        match f {
            Field::Title => self.title.clone(),
            Field::Description => self.description.clone(),
            Field::DurationMinutes => number(&self.duration_minutes),
            Field::Capacity => number(&self.capacity),
            Field::JoinUrl => self.join_url.clone(),
            Field::OrganizerName => self.organizer_name.clone(),
            Field::OrganizerEmail => self.organizer_email.clone(),
        }
    }
}

/// Changes a series' defaults. An edited default is the database's from
/// then on (config no longer changes it) until reset. Sessions generated
/// later take the new defaults; with `apply_to_upcoming`, upcoming sessions
/// that still have the old one change now, and their registrants get the
/// updated invitation.
#[utoipa::path(patch, path = "/api/v1/organizer/series/{slug}", tag = "series", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The series' slug, e.g. jam")), request_body = SeriesPatch,
    responses((status = 200, description = "Changed (or already so)", body = SeriesChange),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<SeriesPatch>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let (slug, body) = (path.into_inner(), body.into_inner());
    let mut errors = Vec::new();
    let mut patch = Patch::read(|f| body.text(f), &body.reset, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    patch.apply_to_upcoming = body.apply_to_upcoming;
    let config = state.settings.series.get(&slug);
    let defaults = config.map(Defaults::from_config);
    let (actor, policy, now) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
    );
    let out = db::write(&state.pool, move |conn| {
        change(conn, &actor, &policy, &slug, defaults.as_ref(), &patch, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SeriesChange {
        series: SeriesView::new(&out.series, config, out.upcoming_sessions),
        changed: out.changed,
        sessions_updated: out.sessions_updated,
        messages_queued: out.messages_queued,
    }))
}

// ---------------------------------------------------------------- page

/// What a form sent back, to show again with its errors.
struct Sent<'a> {
    text: &'a dyn Fn(Field) -> Option<String>,
    reset: &'a [String],
    apply_to_upcoming: bool,
    errors: &'a [(String, String)],
}

/// The series page: schedule, defaults (edited or from config), upcoming
/// sessions, and for organizers the form — filled with the series' values,
/// or with what was sent and a message per bad field.
fn render(
    state: &AppState,
    user: &PageUser,
    row: &Series,
    upcoming: &[Session],
    sent: Option<Sent<'_>>,
) -> HttpResponse {
    let current = Defaults::of(row);
    let edited = edited_of(row);
    let config = state
        .settings
        .series
        .get(&row.slug)
        .map(Defaults::from_config);
    let errors = sent.as_ref().map_or(&[][..], |s| s.errors);
    let error: HashMap<&str, &str> = errors
        .iter()
        .map(|(f, m)| (f.as_str(), m.as_str()))
        .collect();
    let fields: Vec<Value> = Field::ALL
        .into_iter()
        .map(|f| {
            let (label, input) = f.label_and_input();
            let value = sent
                .as_ref()
                .and_then(|s| (s.text)(f))
                .unwrap_or_else(|| f.text(&current));
            json!({
                "name": f.name(),
                "label": label,
                "input": input,
                "multiline": input == "textarea",
                "current": f.text(&current),
                "value": value,
                "edited": edited.contains(&f),
                "config": config.as_ref().map(|c| f.text(c)),
                "reset": sent.as_ref().is_some_and(|s| s.reset.iter().any(|r| r == f.name())),
                "error": error.get(f.name()),
            })
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    state.pages.private(state.pages.render(
        status,
        "organizer/series",
        &json!({
            "title": format!("{}{} — series", if errors.is_empty() { "" } else { "Error: " }, row.title),
            "series": {
                "slug": row.slug, "title": row.title, "kind": row.kind,
                "timezone": row.timezone, "start_time": row.start_time, "rule": row.rule,
                "recurring": row.recurring, "by_organizer": row.by_organizer(),
            },
            "configured": config.is_some(),
            "fields": fields,
            "has_errors": !errors.is_empty(),
            "errors": errors.iter().map(|(f, m)| json!({ "field": f, "message": m })).collect::<Vec<_>>(),
            "error_reset": error.get("reset"),
            "apply_to_upcoming": sent.as_ref().is_none_or(|s| s.apply_to_upcoming),
            "sessions": upcoming.iter().map(|s| json!({
                "id": s.id, "title": s.title, "when": s.when(), "capacity": s.capacity,
            })).collect::<Vec<_>>(),
            "csrf": user.csrf,
            "can_change": user.user.role().allows(Need::Organize),
        }),
    ))
}

/// `GET /organizer/series/{slug}`
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    match load(&state, path.into_inner()).await {
        Ok(Some((row, upcoming))) => render(&state, &user, &row, &upcoming, None),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /organizer/series/{slug}`: every field as shown (only those that
/// differ from the series' value count as changed), `reset` once per field
/// to hand back to config, `apply_to_upcoming` when ticked.
pub async fn page_update(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slug, form) = (path.into_inner(), form.into_inner());
    let get = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let csrf = get("csrf").unwrap_or_default();
    if !user.csrf_ok(&csrf) {
        return crate::auth::forms::csrf_refused(&state);
    }
    if let Some(refused) = user.forbidden(Need::Organize, &state) {
        return refused;
    }
    let (row, upcoming) = match load(&state, slug.clone()).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let reset: Vec<String> = form
        .iter()
        .filter(|(n, _)| n == "reset")
        .map(|(_, v)| v.clone())
        .collect();
    // A field to reset takes config's value: what its box says is moot.
    let text = |f: Field| {
        (!reset.iter().any(|r| r == f.name()))
            .then(|| get(f.name()))
            .flatten()
    };
    let mut errors = Vec::new();
    let mut patch = Patch::read(text, &reset, &mut errors).only_changes(&Defaults::of(&row));
    patch.apply_to_upcoming = get("apply_to_upcoming").is_some();
    if !errors.is_empty() {
        let sent = Sent {
            text: &text,
            reset: &reset,
            apply_to_upcoming: patch.apply_to_upcoming,
            errors: &errors,
        };
        return render(&state, &user, &row, &upcoming, Some(sent));
    }
    let config = state.settings.series.get(&slug).map(Defaults::from_config);
    let policy = Policy::from_settings(&state.settings);
    let back = format!("/organizer/series/{slug}");
    let posted = crate::auth::forms::Posted::from_form(web::Form(form));
    crate::auth::forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        back.clone(),
        move |conn, actor, _, now| {
            change(conn, actor, &policy, &slug, config.as_ref(), &patch, now)?;
            Ok(back.clone())
        },
    )
    .await
}
