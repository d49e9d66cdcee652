//! Facilitators' side of the ECHO's cohorts: list, create and edit them,
//! as a JSON API and as organizer pages (a session's topic and faculty are
//! `cohort_sessions`, the applications queue `enrollment::organizer`).
//! Reading needs `Need::SeeCohort`, changing `Need::Facilitate`
//! (facilitators and admins), each narrowed to a facilitator's own cohorts
//! by `echo::facilitators`. Every change is audited in its own transaction.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Caller, Need, PageUser};
use crate::calendar::schedule::Rule;
use crate::config::{parse_local_time, SeriesKind};
use crate::db::schema::cohorts as cohorts_table;
use crate::db::{self, DbConnection, DbError};
use crate::echo::cohorts::{self, Cohort, CohortView, EchoSession, NewCohort};
use crate::echo::facilitators::{self, no_cohort, Facilitator};
use crate::echo::fields::{number, Fields};
use crate::echo::participants;
use crate::error::ApiError;
use crate::series::model;
use crate::web::fields::text_or_number;
use crate::web::AppState;

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date like 2027-01-14"))
}

fn rule(s: &str) -> Result<Rule, String> {
    s.parse::<Rule>().map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- cohorts

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortBody {
    /// The ECHO program (a series of kind `echo`); the only one when absent.
    program: Option<String>,
    /// Lowercase letters, digits and dashes, e.g. `cohort-3`.
    slug: Option<String>,
    name: Option<String>,
    /// `YYYY-MM-DD`, in the program's zone.
    starts_on: Option<String>,
    ends_on: Option<String>,
    /// RFC 5545, e.g. `FREQ=MONTHLY;BYDAY=2TH`; the program's when absent.
    rule: Option<String>,
    /// `15:00`; the program's when absent.
    start_time: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    duration_minutes: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    capacity: Option<String>,
    applications_open_on: Option<String>,
    applications_close_on: Option<String>,
    /// Default 80.
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    completion_percent: Option<String>,
    /// Default 2.
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    case_slots: Option<String>,
}

/// The program a new cohort belongs to, from config (its defaults) and the
/// database (its row).
fn program(
    state: &AppState,
    conn: &mut DbConnection,
    slug: Option<&str>,
) -> Result<(model::Series, crate::config::SeriesSettings), ApiError> {
    let echo: Vec<_> = state
        .settings
        .series
        .iter()
        .filter(|(_, s)| s.kind == SeriesKind::Echo)
        .collect();
    let found = match slug {
        Some(slug) => echo.iter().find(|(s, _)| s.as_str() == slug),
        None if echo.len() == 1 => echo.first(),
        None => None,
    };
    let known = echo
        .iter()
        .map(|(s, _)| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let Some((slug, settings)) = found else {
        return Err(ApiError::fields(vec![(
            "program".into(),
            format!("name the ECHO program (known: {known})"),
        )]));
    };
    let row = model::find_series(conn, slug)?.ok_or_else(|| {
        ApiError::Conflict(
            "not_ready",
            "The program is not set up yet; try again in a minute.".into(),
        )
    })?;
    Ok((row, (*settings).clone()))
}

/// The cohort asked for, defaults from the program, every field checked.
fn new_cohort(
    b: &CohortBody,
    program: &crate::config::SeriesSettings,
) -> Result<NewCohort, ApiError> {
    let mut f = Fields(Vec::new());
    let slug = f.required("slug", b.slug.as_deref(), cohorts::slug);
    let name = f.required("name", b.name.as_deref(), cohorts::name);
    let starts_on = f.required("starts_on", b.starts_on.as_deref(), date);
    let ends_on = f.required("ends_on", b.ends_on.as_deref(), date);
    let open = f.required(
        "applications_open_on",
        b.applications_open_on.as_deref(),
        date,
    );
    let close = f.required(
        "applications_close_on",
        b.applications_close_on.as_deref(),
        date,
    );
    let rule = f.parse("rule", b.rule.as_deref(), rule);
    let start_time = f.parse("start_time", b.start_time.as_deref(), parse_local_time);
    let duration = f.parse("duration_minutes", b.duration_minutes.as_deref(), number);
    let capacity = f.parse("capacity", b.capacity.as_deref(), number);
    let completion = f.parse(
        "completion_percent",
        b.completion_percent.as_deref(),
        number,
    );
    let case_slots = f.parse("case_slots", b.case_slots.as_deref(), number);
    let (Some(slug), Some(name), Some(starts_on), Some(ends_on), Some(open), Some(close), true) =
        (slug, name, starts_on, ends_on, open, close, f.0.is_empty())
    else {
        return Err(ApiError::fields(f.0));
    };
    let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let new = NewCohort {
        slug,
        name,
        starts_on,
        ends_on,
        rule: rule.unwrap_or_else(|| program.rule.clone()),
        timezone: program.timezone,
        start_time: start_time.unwrap_or(program.start_time),
        duration_minutes: duration.unwrap_or(clamp(program.duration_minutes)),
        capacity: capacity.unwrap_or(clamp(program.capacity)),
        join_url: program.join_url.to_string(),
        applications_open_on: open,
        applications_close_on: close,
        completion_percent: completion.unwrap_or(80),
        case_slots: case_slots.unwrap_or(2),
    };
    match cohorts::check(&new) {
        errors if errors.is_empty() => Ok(new),
        errors => Err(ApiError::fields(errors)),
    }
}

/// Creates a cohort with all its sessions (checked, audited); a taken
/// slug is a conflict. A facilitator who creates it runs it.
fn create_cohort(
    state: &AppState,
    conn: &mut DbConnection,
    (actor, who): (&Actor, Caller),
    b: &CohortBody,
    now: chrono::NaiveDateTime,
) -> Result<Cohort, ApiError> {
    let (row, settings) = program(state, conn, b.program.as_deref())?;
    let new = new_cohort(b, &settings)?;
    let host = state.settings.http.public_url.host();
    let cohort = cohorts::create(conn, Some(actor), &row, &new, &host, now)?.ok_or_else(|| {
        ApiError::Conflict(
            "slug_taken",
            format!("There is already a cohort `{}`.", new.slug),
        )
    })?;
    facilitators::assign_creator(conn, actor, who, &cohort, now)?;
    Ok(cohort)
}

/// The cohorts a caller may see.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CohortList {
    pub cohorts: Vec<CohortView>,
}

/// One cohort with its sessions, its applications per status and its
/// facilitators.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CohortDetail {
    #[serde(flatten)]
    pub cohort: CohortView,
    pub sessions: Vec<CohortSession>,
    /// Applications per status (pending, approved, waitlisted, declined);
    /// a status with none is absent.
    pub applications: BTreeMap<String, i64>,
    pub facilitators: Vec<Facilitator>,
}

/// One of a cohort's sessions, with its ECHO details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CohortSession {
    pub id: i64,
    pub title: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// As people read it, in the cohort's zone.
    pub when: String,
    /// scheduled or cancelled.
    pub status: String,
    /// `YYYY-MM-DD`: the date the cohort's rule gave it.
    pub occurrence_date: NaiveDate,
    pub didactic_topic: String,
    pub faculty_name: String,
    pub faculty_email: String,
    pub case_slots: i32,
}

fn cohort_session((s, e): &(model::Session, EchoSession)) -> CohortSession {
    CohortSession {
        id: s.id,
        title: s.title.clone(),
        starts_at: s.starts_at_utc().to_rfc3339(),
        ends_at: s.ends_at_utc().to_rfc3339(),
        when: s.when(),
        status: s.status.clone(),
        occurrence_date: e.occurrence_date,
        didactic_topic: e.didactic_topic.clone(),
        faculty_name: e.faculty_name.clone(),
        faculty_email: e.faculty_email.clone(),
        case_slots: e.case_slots,
    }
}

/// Cohort `slug` as the API shows it to `who`.
async fn cohort_detail(
    state: &AppState,
    who: Caller,
    slug: String,
) -> Result<CohortDetail, ApiError> {
    let (cohort, sessions, counts, staff) = db::run(&state.pool, move |conn| {
        let cohort = facilitators::cohort(conn, who, Need::SeeCohort, &slug)?;
        let sessions = cohorts::sessions_of(conn, cohort.id)?;
        let counts = participants::counts(conn, cohort.id)?;
        let staff = facilitators::of_cohort(conn, cohort.id)?;
        Ok::<_, ApiError>((cohort, sessions, counts, staff))
    })
    .await?;
    Ok(CohortDetail {
        cohort: cohort.view(),
        sessions: sessions.iter().map(cohort_session).collect(),
        applications: counts.into_iter().collect(),
        facilitators: staff.iter().map(Facilitator::from).collect(),
    })
}

/// Every cohort the caller may see (a facilitator, the ones they run),
/// latest start first.
#[utoipa::path(get, path = "/api/v1/echo/cohorts", tag = "echo", security(("bearer" = [])),
    responses((status = 200, description = "Cohorts", body = CohortList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody)))]
pub async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    let who = user.caller();
    let all = db::run(&state.pool, move |conn| {
        facilitators::visible(conn, who).map_err(DbError::from)
    })
    .await?;
    let view = CohortList {
        cohorts: all.iter().map(Cohort::view).collect(),
    };
    Ok(HttpResponse::Ok().json(view))
}

/// Creates a cohort and all its sessions, from its rule over its span.
#[utoipa::path(post, path = "/api/v1/echo/cohorts", tag = "echo", security(("bearer" = [])),
    request_body = CohortBody,
    responses((status = 201, description = "The cohort with its sessions", body = CohortDetail),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 409, description = "The slug is taken", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CohortBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Facilitate)?;
    let (actor, now, b) = (user.actor(), state.clock.naive(), body.into_inner());
    let (app, who) = (state.clone(), user.caller());
    let cohort = db::write(&state.pool, move |conn| {
        create_cohort(&app, conn, (&actor, who), &b, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(cohort_detail(&state, who, cohort.slug).await?))
}

/// One cohort with its sessions and its applications per status.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")),
    responses((status = 200, description = "The cohort", body = CohortDetail),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    Ok(HttpResponse::Ok().json(cohort_detail(&state, user.caller(), path.into_inner()).await?))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortPatch {
    name: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    capacity: Option<String>,
    applications_open_on: Option<String>,
    applications_close_on: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    completion_percent: Option<String>,
}

/// Changes a cohort's name, capacity, application window or completion
/// threshold (its sessions are moved one by one, like any session).
fn update_cohort(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    b: &CohortPatch,
    now: chrono::NaiveDateTime,
) -> Result<Cohort, ApiError> {
    let mut f = Fields(Vec::new());
    let name = f.parse("name", b.name.as_deref(), cohorts::name);
    let capacity = f.parse("capacity", b.capacity.as_deref(), number);
    let open = f.parse(
        "applications_open_on",
        b.applications_open_on.as_deref(),
        date,
    );
    let close = f.parse(
        "applications_close_on",
        b.applications_close_on.as_deref(),
        date,
    );
    let completion = f.parse(
        "completion_percent",
        b.completion_percent.as_deref(),
        number,
    );
    if !f.0.is_empty() {
        return Err(ApiError::fields(f.0));
    }
    let before = cohorts::find(conn, slug)?.ok_or_else(|| no_cohort(slug))?;
    diesel::update(cohorts_table::table.find(before.id))
        .set(cohorts_table::updated_at.eq(cohorts_table::updated_at))
        .execute(conn)?;
    let check = NewCohort {
        slug: before.slug.clone(),
        name: name.unwrap_or_else(|| before.name.clone()),
        starts_on: before.starts_on,
        ends_on: before.ends_on,
        rule: before.rule.parse().unwrap_or(Rule::Weekly {
            weekdays: vec![chrono::Weekday::Mon],
        }),
        timezone: before.tz(),
        start_time: parse_local_time(&before.start_time).unwrap_or_default(),
        duration_minutes: before.duration_minutes,
        capacity: capacity.unwrap_or(before.capacity),
        join_url: before.join_url.clone(),
        applications_open_on: open.unwrap_or(before.applications_open_on),
        applications_close_on: close.unwrap_or(before.applications_close_on),
        completion_percent: completion.unwrap_or(before.completion_percent),
        case_slots: before.case_slots,
    };
    let errors: Vec<_> = cohorts::check(&check)
        .into_iter()
        .filter(|(field, _)| field != "rule")
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    diesel::update(cohorts_table::table.find(before.id))
        .set((
            cohorts_table::name.eq(check.name.trim()),
            cohorts_table::capacity.eq(check.capacity),
            cohorts_table::applications_open_on.eq(check.applications_open_on),
            cohorts_table::applications_close_on.eq(check.applications_close_on),
            cohorts_table::completion_percent.eq(check.completion_percent),
            cohorts_table::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = cohorts::find_by_id(conn, before.id)?.ok_or_else(|| no_cohort(slug))?;
    audit::record(
        conn,
        actor,
        "cohort.update",
        &format!("cohort:{}", after.slug),
        Some(json!(before.view())),
        Some(json!(after.view())),
        now,
    )?;
    Ok(after)
}

/// Changes a cohort's name, capacity, application window or completion
/// threshold.
#[utoipa::path(patch, path = "/api/v1/echo/cohorts/{slug}", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")), request_body = CohortPatch,
    responses((status = 200, description = "The cohort", body = CohortDetail),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<CohortPatch>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Facilitate)?;
    let (actor, now, slug, b) = (
        user.actor(),
        state.clock.naive(),
        path.into_inner(),
        body.into_inner(),
    );
    let who = user.caller();
    let cohort = db::write(&state.pool, move |conn| {
        facilitators::cohort(conn, who, Need::Facilitate, &slug)?;
        update_cohort(conn, &actor, &slug, &b, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(cohort_detail(&state, who, cohort.slug).await?))
}

// ---------------------------------------------------------------- sessions

// ---------------------------------------------------------------- pages

/// `GET /organizer/echo`: the cohorts, and a form to create one.
pub async fn cohorts_page(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    let who = user.caller();
    let loaded = db::run(&state.pool, move |conn| {
        let all = facilitators::visible(conn, who)?;
        let mut rows = Vec::new();
        for c in all {
            let counts = participants::counts(conn, c.id)?;
            rows.push((c, counts));
        }
        Ok::<_, DbError>(rows)
    })
    .await;
    match loaded {
        Ok(rows) => state.pages.private(state.pages.ok(
            "organizer/cohorts",
            &json!({
                "title": "Workforce ECHO cohorts",
                "csrf": user.csrf,
                "can_change": user.user.role().allows(Need::Facilitate),
                "programs": state.settings.series.iter().filter(|(_, s)| s.kind == SeriesKind::Echo)
                    .map(|(slug, s)| json!({ "value": slug, "label": s.title })).collect::<Vec<_>>(),
                "cohorts": rows.iter().map(|(c, counts)| {
                    let mut v = json!(c.view());
                    v["pending"] = json!(counts.iter().find(|(s, _)| s == participants::PENDING).map_or(0, |c| c.1));
                    v["approved"] = json!(counts.iter().find(|(s, _)| s == participants::APPROVED).map_or(0, |c| c.1));
                    v
                }).collect::<Vec<_>>(),
            }),
        )),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

type PostedForm = web::Form<Vec<(String, String)>>;

/// `POST /organizer/echo/cohorts`: the API's fields; on to the cohort.
pub async fn page_create(
    state: web::Data<AppState>,
    user: PageUser,
    form: PostedForm,
) -> HttpResponse {
    let (app, who) = (state.clone(), user.caller());
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Facilitate,
        "/organizer/echo".into(),
        move |conn, actor, form, now| {
            let cohort = create_cohort(&app, conn, (actor, who), &form.body(&[])?, now)?;
            Ok(format!("/organizer/echo/{}", cohort.slug))
        },
    )
    .await
}

/// The cohorts' API and pages.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/api/v1/echo/cohorts", list)
        .post("/api/v1/echo/cohorts", create)
        .get("/api/v1/echo/cohorts/{slug}", get)
        .patch("/api/v1/echo/cohorts/{slug}", update)
        .get("/organizer/echo", cohorts_page)
        .post("/organizer/echo/cohorts", page_create);
}
