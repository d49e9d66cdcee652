//! Facilitators' side of ECHO cases: a cohort's cases, one case with its
//! presenter and attachment, the review (accept into a session's case slot,
//! ask for a revision, decline) and the hub's recommendations, as a JSON
//! API and as organizer pages. Reading needs `Need::SeeCohort`, changing
//! `Need::Facilitate`, a facilitator's only on their cohorts' cases
//! (`echo::facilitators`). The rules, e-mails and audit entries are
//! `cases::review` and `cases::recommend`; this module reads the request
//! and shows the result.

use std::collections::HashMap;

use crate::echo::cases::pages::download;
use crate::web::routes::Routes;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::Actor;
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Caller, Need, PageUser};
use crate::config::PublicUrl;
use crate::db::schema::{case_attachments, cases as cases_table, sessions};
use crate::db::{self, DbConnection};
use crate::echo::cases::views::{CaseList, CaseReading, Reading};
use crate::echo::cases::{
    self, AttachmentInfo, Case, Review, ACCEPTED, DECLINED, REVISION_REQUESTED, SUBMITTED,
};
use crate::echo::cohorts;
use crate::echo::facilitators;
use crate::echo::fields::{at_most, Fields};
use crate::echo::participants::{self, Applied};
use crate::error::ApiError;
use crate::series::model::Session;
use crate::web::fields::text_or_number;
use crate::web::AppState;

/// The case review routes (API and pages).
pub fn routes(cfg: &mut Routes) {
    cfg.get("/api/v1/echo/cohorts/{slug}/cases", list)
        .get("/api/v1/echo/cases/{id}", get)
        .get("/api/v1/echo/cases/{id}/attachment", attachment)
        .post("/api/v1/echo/cases/{id}/review", review)
        .put("/api/v1/echo/cases/{id}/recommendations", recommendations)
        .get("/organizer/echo/cases/{id}", case_page)
        .get("/organizer/echo/cases/{id}/attachment", page_attachment)
        .post("/organizer/echo/cases/{id}/review", page_review)
        .post(
            "/organizer/echo/cases/{id}/recommendations",
            page_recommendations,
        );
}

// ---------------------------------------------------------------- reading

fn session(conn: &mut DbConnection, id: Option<i64>) -> QueryResult<Option<Session>> {
    let Some(id) = id else { return Ok(None) };
    sessions::table
        .find(id)
        .select(Session::as_select())
        .first(conn)
        .optional()
}

/// Case `id` as facilitators read it.
fn one(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Reading>> {
    let Some(case) = cases::find(conn, id)? else {
        return Ok(None);
    };
    Ok(Some(Reading {
        presenter: participants::find(conn, case.application_id)?,
        attachment: cases::attachment_info(conn, case.id)?,
        session: session(conn, case.session_id)?,
        preferred: session(conn, case.preferred_session_id)?,
        case,
    }))
}

/// A cohort's cases, oldest first, optionally of one status: four queries
/// however many cases.
pub(crate) fn of_cohort(
    conn: &mut DbConnection,
    cohort_id: i64,
    status: Option<&str>,
) -> QueryResult<Vec<Reading>> {
    let found = cases::of_cohort(conn, cohort_id, status)?;
    let people: HashMap<i64, Applied> = participants::list(conn, cohort_id, None)?
        .into_iter()
        .map(|a| (a.application.id, a))
        .collect();
    let sessions: HashMap<i64, Session> = cohorts::sessions_of(conn, cohort_id)?
        .into_iter()
        .map(|(s, _)| (s.id, s))
        .collect();
    let mut files: HashMap<i64, AttachmentInfo> = case_attachments::table
        .inner_join(cases_table::table)
        .filter(cases_table::cohort_id.eq(cohort_id))
        .select(AttachmentInfo::as_select())
        .load(conn)?
        .into_iter()
        .map(|f| (f.case_id, f))
        .collect();
    let at = |id: Option<i64>| id.and_then(|id| sessions.get(&id)).cloned();
    Ok(found
        .into_iter()
        .map(|case| Reading {
            presenter: people.get(&case.application_id).cloned(),
            attachment: files.remove(&case.id),
            session: at(case.session_id),
            preferred: at(case.preferred_session_id),
            case,
        })
        .collect())
}

fn no_case(id: i64) -> ApiError {
    ApiError::NotFound(format!("no case {id}"))
}

/// Case `id` if `who` may do `need` to it; the same 404 as for no case
/// when its cohort is not a facilitator's.
fn case_for(conn: &mut DbConnection, who: Caller, need: Need, id: i64) -> Result<Case, ApiError> {
    let found = cases::find(conn, id)?.ok_or_else(|| no_case(id))?;
    facilitators::check(conn, who, need, found.cohort_id, || no_case(id))?;
    Ok(found)
}

async fn case_reading(state: &AppState, who: Caller, id: i64) -> Result<CaseReading, ApiError> {
    let found = db::run(&state.pool, move |conn| {
        case_for(conn, who, Need::SeeCohort, id)?;
        Ok::<_, ApiError>(one(conn, id)?)
    })
    .await?;
    Ok(found.ok_or_else(|| no_case(id))?.view())
}

// ---------------------------------------------------------------- API

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// submitted, accepted, revision_requested or declined; all when absent.
    status: Option<String>,
}

const STATUSES: [&str; 4] = [SUBMITTED, ACCEPTED, REVISION_REQUESTED, DECLINED];

fn status_filter(status: Option<String>) -> Result<Option<String>, ApiError> {
    match status {
        Some(s) if !STATUSES.contains(&s.as_str()) => Err(ApiError::fields(vec![(
            "status".into(),
            STATUSES.join(", "),
        )])),
        other => Ok(other),
    }
}

/// A cohort's cases, oldest first, each with its presenter, attachment and
/// session.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}/cases", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug"), CasesQuery),
    responses((status = 200, description = "The cases", body = CaseList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown status", body = crate::error::ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<CasesQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    let (slug, who) = (path.into_inner(), user.caller());
    let rows = db::run(&state.pool, move |conn| {
        let cohort = facilitators::cohort(conn, who, Need::SeeCohort, &slug)?;
        let status = status_filter(query.into_inner().status)?;
        Ok::<_, ApiError>(of_cohort(conn, cohort.id, status.as_deref())?)
    })
    .await?;
    let view = CaseList {
        cases: rows.iter().map(Reading::view).collect(),
    };
    Ok(HttpResponse::Ok().json(view))
}

/// One case with its presenter, attachment and session.
#[utoipa::path(get, path = "/api/v1/echo/cases/{id}", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, description = "The case", body = CaseReading),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody)))]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    Ok(HttpResponse::Ok().json(case_reading(&state, user.caller(), path.into_inner()).await?))
}

/// Case `id`'s attachment, if `who` may see the case: 404 for no case
/// (or not the facilitator's), or for a case with no attachment.
async fn attachment_of(
    state: &AppState,
    who: Caller,
    id: i64,
) -> Result<(String, String, Vec<u8>), ApiError> {
    db::run(&state.pool, move |conn| {
        case_for(conn, who, Need::SeeCohort, id)?;
        cases::attachment_bytes(conn, id)?
            .ok_or_else(|| ApiError::NotFound(format!("case {id} has no attachment")))
    })
    .await
}

/// The case's attachment (PDF or Word), as a download.
#[utoipa::path(get, path = "/api/v1/echo/cases/{id}/attachment", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, description = "The file, `Content-Disposition: attachment`"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such case, or it has no attachment", body = crate::error::ErrorBody)))]
pub async fn attachment(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    let (filename, content_type, bytes) =
        attachment_of(&state, user.caller(), path.into_inner()).await?;
    Ok(download(&filename, &content_type, bytes))
}

/// Runs a facilitator's change to case `id` (one transaction, once the
/// case is found to be theirs) and answers with the case as it is after.
async fn api_change<F>(
    state: &AppState,
    user: &ApiUser,
    id: i64,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut DbConnection, &Actor, &PublicUrl, NaiveDateTime) -> Result<Case, ApiError>
        + Send
        + 'static,
{
    user.require(Need::Facilitate)?;
    let (actor, now, who) = (user.actor(), state.clock.naive(), user.caller());
    let public = state.settings.http.public_url.clone();
    db::write(&state.pool, move |conn| {
        case_for(conn, who, Need::Facilitate, id)?;
        change(conn, &actor, &public, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(case_reading(state, who, id).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// accept, revise or decline.
    #[schema(required = true, value_type = String)]
    decision: Option<String>,
    /// With accept: one of the cohort's sessions ahead, with a free case
    /// slot.
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i64>)]
    session_id: Option<String>,
    /// Sent to the presenter; required to revise or decline. At most 2000
    /// characters.
    message: Option<String>,
}

/// The review asked for, every field checked.
fn decision(b: &ReviewBody) -> Result<Review, ApiError> {
    let mut f = Fields(Vec::new());
    let decision = f.required("decision", b.decision.as_deref(), |s| match s {
        "accept" | "revise" | "decline" => Ok(s.to_string()),
        other => Err(format!(
            "`{other}` is not a decision: accept, revise or decline"
        )),
    });
    let message = f
        .parse("message", b.message.as_deref(), at_most(2000))
        .filter(|m| !m.is_empty());
    let review = match decision.as_deref() {
        Some("accept") => f
            .required("session_id", b.session_id.as_deref(), |s| {
                s.parse::<i64>()
                    .map_err(|_| format!("`{s}` is not a session id"))
            })
            .map(|session_id| Review::Accept {
                session_id,
                message: message.clone(),
            }),
        Some(_) if message.is_none() && !f.0.iter().any(|(name, _)| name == "message") => {
            f.0.push((
                "message".into(),
                "required to ask for a revision or to decline: the presenter reads it".into(),
            ));
            None
        }
        Some("revise") => message.map(|message| Review::Revise { message }),
        Some(_) => message.map(|message| Review::Decline { message }),
        None => None,
    };
    match (review, f.0.is_empty()) {
        (Some(review), true) => Ok(review),
        _ => Err(ApiError::fields(f.0)),
    }
}

/// Reviews a submitted case: `accept` schedules it into a session's case
/// slot (the presenter gets the session's calendar invitation), `revise`
/// sends it back with the message, `decline` closes it with the message.
#[utoipa::path(post, path = "/api/v1/echo/cases/{id}/review", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Case id")), request_body = ReviewBody,
    responses((status = 200, description = "The case after the review", body = CaseReading),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Not submitted, or the session has begun or has no free case slot", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields, or a session not the cohort's", body = crate::error::ErrorBody)))]
pub async fn review(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (path.into_inner(), body.into_inner());
    api_change(&state, &user, id, move |conn, actor, public, now| {
        cases::review(conn, actor, id, &decision(&body)?, public, now)
    })
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationsBody {
    /// Markdown (CommonMark: paragraphs, headings, lists, emphasis, links,
    /// quotes, code; HTML is dropped). At most 20 000 characters.
    #[schema(required = true, value_type = String)]
    recommendations: Option<String>,
}

/// How long after the recommendations the presenter is asked what came of
/// them.
fn follow_up(state: &AppState) -> Duration {
    Duration::weeks(i64::from(state.settings.echo.follow_up_weeks))
}

/// Writes (or corrects) the hub's recommendations for an accepted case
/// whose session is over; the presenter gets them by e-mail, and the
/// follow-up is set `echo.follow_up_weeks` ahead (the first time).
#[utoipa::path(put, path = "/api/v1/echo/cases/{id}/recommendations", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Case id")), request_body = RecommendationsBody,
    responses((status = 200, description = "The case, with `recommendations_html`", body = CaseReading),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such case", body = crate::error::ErrorBody),
        (status = 409, description = "Not accepted, or its session is not over", body = crate::error::ErrorBody),
        (status = 422, description = "Empty or too long", body = crate::error::ErrorBody)))]
pub async fn recommendations(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<RecommendationsBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, after) = (path.into_inner(), follow_up(&state));
    let markdown = body.into_inner().recommendations.unwrap_or_default();
    api_change(&state, &user, id, move |conn, actor, public, now| {
        cases::recommend(conn, actor, id, &markdown, after, public, now)
    })
    .await
}

// ---------------------------------------------------------------- pages

/// The cohort's sessions a case may be scheduled into, each with its free
/// case slots, for the review form's select.
fn session_choices(
    conn: &mut DbConnection,
    case: &Case,
    now: NaiveDateTime,
) -> QueryResult<Vec<Value>> {
    let taken = cases::of_cohort(conn, case.cohort_id, Some(ACCEPTED))?;
    Ok(cases::open_sessions(conn, case.cohort_id, now)?
        .into_iter()
        .map(|(s, e)| {
            let used = taken.iter().filter(|c| c.session_id == Some(s.id)).count();
            let free = usize::try_from(e.case_slots)
                .unwrap_or(0)
                .saturating_sub(used);
            json!({
                "id": s.id,
                "when": s.when(),
                "topic": e.didactic_topic,
                "free": free,
                "slots": e.case_slots,
                "full": free == 0,
                "preferred": case.preferred_session_id == Some(s.id),
            })
        })
        .collect())
}

/// `GET /organizer/echo/cases/{id}`: the whole case; for facilitators the
/// review form while it is submitted, and the recommendations form once
/// its session is over.
pub async fn case_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    let (id, now, who) = (path.into_inner(), state.clock.naive(), user.caller());
    let loaded = db::run(&state.pool, move |conn| {
        case_for(conn, who, Need::SeeCohort, id)?;
        let Some(reading) = one(conn, id)? else {
            return Ok::<_, ApiError>(None);
        };
        let cohort = cohorts::find_by_id(conn, reading.case.cohort_id)?;
        let choices = match reading.case.status.as_str() {
            SUBMITTED => session_choices(conn, &reading.case, now)?,
            _ => Vec::new(),
        };
        Ok(cohort.map(|cohort| (reading, cohort, choices)))
    })
    .await;
    let (reading, cohort, choices) = match loaded {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return user.refused(e, &state),
    };
    let can_change = user.user.role().allows(Need::Facilitate);
    let presented = reading.case.status == ACCEPTED
        && reading.session.as_ref().is_some_and(|s| s.ends_at <= now);
    state.pages.private(state.pages.ok(
        "organizer/case",
        &json!({
            "title": format!("Case: {}", reading.case.title),
            "csrf": user.csrf,
            "can_change": can_change,
            "cohort": { "slug": cohort.slug, "name": cohort.name },
            "case": reading.view(),
            "review_form": can_change && reading.case.status == SUBMITTED,
            "sessions": choices,
            "recommend_form": can_change && presented,
            "recommend_later": can_change && reading.case.status == ACCEPTED && !presented,
        }),
    ))
}

/// `GET /organizer/echo/cases/{id}/attachment`: the API's download, for a
/// signed-in page.
pub async fn page_attachment(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    match attachment_of(&state, user.caller(), path.into_inner()).await {
        Ok((filename, content_type, bytes)) => download(&filename, &content_type, bytes),
        Err(e) => user.refused(e, &state),
    }
}

type PostedForm = web::Form<Vec<(String, String)>>;

/// Runs a facilitator's change to case `id` from a posted form (as the API
/// runs it), then back to the case's page.
async fn page_change<F>(
    state: &AppState,
    user: &PageUser,
    id: i64,
    form: PostedForm,
    change: F,
) -> HttpResponse
where
    F: Fn(&mut DbConnection, &Actor, &Posted, &PublicUrl, NaiveDateTime) -> Result<Case, ApiError>
        + Send
        + Sync
        + 'static,
{
    let back = format!("/organizer/echo/cases/{id}");
    let (public, who) = (state.settings.http.public_url.clone(), user.caller());
    forms::submit(
        state,
        user,
        Posted::from_form(form),
        Need::Facilitate,
        back.clone(),
        move |conn, actor, form, now| {
            case_for(conn, who, Need::Facilitate, id)?;
            change(conn, actor, form, &public, now)?;
            Ok(back.clone())
        },
    )
    .await
}

/// `POST /organizer/echo/cases/{id}/review`: `decision`, `session_id`,
/// `message`, as the API takes them; back to the case.
pub async fn page_review(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: PostedForm,
) -> HttpResponse {
    let id = path.into_inner();
    page_change(
        &state,
        &user,
        id,
        form,
        move |conn, actor, form, public, now| {
            let review = decision(&form.body(&[])?)?;
            cases::review(conn, actor, id, &review, public, now)
        },
    )
    .await
}

/// `POST /organizer/echo/cases/{id}/recommendations`: `recommendations`
/// (Markdown); back to the case.
pub async fn page_recommendations(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: PostedForm,
) -> HttpResponse {
    let (id, after) = (path.into_inner(), follow_up(&state));
    page_change(
        &state,
        &user,
        id,
        form,
        move |conn, actor, form, public, now| {
            let body: RecommendationsBody = form.body(&[])?;
            let markdown = body.recommendations.unwrap_or_default();
            cases::recommend(conn, actor, id, &markdown, after, public, now)
        },
    )
    .await
}

#[cfg(test)]
mod tests;
