//! Facilitators' side of enrollment: a cohort's applications queue and
//! its decisions, as a JSON API and as organizer pages, and the cohort's
//! page those decisions are made from (its sessions, applications, cases
//! and completion list). Reading needs `Need::SeeCohort`, deciding
//! `Need::Facilitate`, each narrowed to a facilitator's own cohorts by
//! `echo::facilitators`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Caller, Need, PageUser, Role};
use crate::db::{self, DbConnection, DbError};
use crate::echo::cases;
use crate::echo::cohorts;
use crate::echo::completion::{self, Completion, Meeting};
use crate::echo::enrollment::applications::{self, Decision};
use crate::echo::facilitators;
use crate::echo::fields::{at_most, Fields};
use crate::echo::participants::{self, ApplicationView, Applied};
use crate::error::ApiError;
use crate::web::links::LinkKey;
use crate::web::AppState;

type PostedForm = web::Form<Vec<(String, String)>>;

// ---------------------------------------------------------------- applications

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationsQuery {
    /// pending, approved, waitlisted or declined; all when absent.
    status: Option<String>,
}

fn status_filter(status: Option<String>) -> Result<Option<String>, ApiError> {
    use participants::{APPROVED, DECLINED, PENDING, WAITLISTED};
    match status {
        Some(s) if ![PENDING, APPROVED, WAITLISTED, DECLINED].contains(&s.as_str()) => {
            Err(ApiError::fields(vec![(
                "status".into(),
                "pending, approved, waitlisted or declined".into(),
            )]))
        }
        other => Ok(other),
    }
}

/// A cohort's applications, oldest first.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}/applications", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug"), ApplicationsQuery),
    responses((status = 200, description = "Applications", body = ApplicationList),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown status", body = crate::error::ErrorBody)))]
pub async fn applications_list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<ApplicationsQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    let (slug, who) = (path.into_inner(), user.caller());
    let rows = db::run(&state.pool, move |conn| {
        let cohort = facilitators::cohort(conn, who, Need::SeeCohort, &slug)?;
        let status = status_filter(query.into_inner().status)?;
        Ok::<_, ApiError>(participants::list(conn, cohort.id, status.as_deref())?)
    })
    .await?;
    let view = ApplicationList {
        applications: rows.iter().map(Applied::view).collect(),
    };
    Ok(HttpResponse::Ok().json(view))
}

/// A cohort's applications.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationList {
    pub applications: Vec<ApplicationView>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// approved, waitlisted or declined.
    #[schema(required = true, value_type = String)]
    decision: Option<String>,
    /// Sent to the applicant with the decision.
    message: Option<String>,
}

/// Whether `who` may decide application `id`; the same 404 as for none
/// when its cohort is not a facilitator's.
fn check_application(conn: &mut DbConnection, who: Caller, id: i64) -> Result<(), ApiError> {
    let no_application = || ApiError::NotFound(format!("no application {id}"));
    let found = participants::find(conn, id)?.ok_or_else(no_application)?;
    facilitators::check(
        conn,
        who,
        Need::Facilitate,
        found.application.cohort_id,
        no_application,
    )
}

fn ruling(b: &DecisionBody, links: &LinkKey) -> Result<applications::Ruling, ApiError> {
    let mut f = Fields(Vec::new());
    let d = f.required("decision", b.decision.as_deref(), |s| s.parse::<Decision>());
    let message = f.parse("message", b.message.as_deref(), at_most(2000));
    match (d, f.0.is_empty()) {
        (Some(decision), true) => Ok(applications::Ruling {
            decision,
            message,
            link: links.issue(),
        }),
        _ => Err(ApiError::fields(f.0)),
    }
}

/// Decides a pending or waitlisted application; the applicant is e-mailed
/// (approval brings the cohort's calendar and their page's link).
#[utoipa::path(post, path = "/api/v1/echo/applications/{id}/decision", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")), request_body = DecisionBody,
    responses((status = 200, description = "The application after the decision", body = ApplicationView),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such application", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided, or the cohort is full", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn decide(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Facilitate)?;
    let links = state.settings.link_key().clone();
    let (actor, now, id) = (user.actor(), state.clock.naive(), path.into_inner());
    let (public, who, body) = (
        state.settings.http.public_url.clone(),
        user.caller(),
        body.into_inner(),
    );
    let after = db::write(&state.pool, move |conn| {
        check_application(conn, who, id)?;
        applications::decide(conn, &actor, id, &ruling(&body, &links)?, &public, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(after.view()))
}

/// `GET /organizer/echo/{slug}`: a cohort's sessions (topic and faculty
/// forms, the cases scheduled into each), its applications (decision
/// forms), its cases and its completion list.
pub async fn cohort_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    let (slug, who) = (path.into_inner(), user.caller());
    let now = state.clock.naive();
    let loaded = db::run(&state.pool, move |conn| {
        let cohort = facilitators::cohort(conn, who, Need::SeeCohort, &slug)?;
        let sessions = cohorts::sessions_of(conn, cohort.id)?;
        let apps = participants::list(conn, cohort.id, None)?;
        let readings = cases::readings(conn, cohort.id, None)?;
        let visits = completion::visits(conn, cohort.id, None)?;
        let staff = facilitators::of_cohort(conn, cohort.id)?;
        let accounts = crate::auth::store::list(conn)?;
        Ok::<_, ApiError>((cohort, sessions, apps, readings, visits, (staff, accounts)))
    })
    .await;
    let (cohort, sessions, apps, readings, visits, (staff, accounts)) = match loaded {
        Ok(found) => found,
        Err(e) => return user.refused(e, &state),
    };
    // Whom an organizer may assign: active facilitators not assigned yet.
    let choices: Vec<_> = accounts
        .iter()
        .filter(|u| u.role() == Role::Facilitator && !u.is_disabled())
        .filter(|u| staff.iter().all(|s| s.id != u.id))
        .map(|u| json!({ "value": u.email, "label": format!("{} ({})", u.name, u.email) }))
        .collect();
    let open = |a: &participants::Applied| {
        [participants::PENDING, participants::WAITLISTED].contains(&a.application.status.as_str())
    };
    let approved = apps
        .iter()
        .filter(|a| a.application.status == participants::APPROVED)
        .cloned()
        .collect();
    let completion = Completion::new(
        cohort.clone(),
        &Meeting::of(&sessions, now),
        approved,
        &visits,
    )
    .to_list();
    state.pages.private(state.pages.ok(
        "organizer/cohort",
        &json!({
            "title": format!("{} — facilitators", cohort.name),
            "csrf": user.csrf,
            "can_change": user.user.role().allows(Need::Facilitate),
            "can_assign": user.user.role().allows(Need::Assign),
            "facilitators": staff.iter().map(facilitators::Facilitator::from).collect::<Vec<_>>(),
            "facilitator_choices": choices,
            "cohort": cohort.view(),
            "sessions": sessions.iter().enumerate().map(|(i, (s, e))| json!({
                "n": i + 1, "id": s.id, "when": s.when(), "cancelled": s.is_cancelled(),
                "topic": e.didactic_topic, "faculty_name": e.faculty_name,
                "faculty_email": e.faculty_email, "case_slots": e.case_slots,
                // What faculty prepare for: the cases scheduled into it.
                "cases": readings.iter().filter(|c| c.case.status == cases::ACCEPTED && c.case.session_id == Some(s.id))
                    .map(|c| json!({ "id": c.case.id, "title": c.case.title })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "cases": readings.iter().map(cases::Reading::view).collect::<Vec<_>>(),
            "open_applications": apps.iter().filter(|a| open(a)).map(Applied::view).collect::<Vec<_>>(),
            "decided": apps.iter().filter(|a| !open(a)).map(Applied::view).collect::<Vec<_>>(),
            "completion_groups": [
                { "heading": "Participants", "rows": completion.participants, "counts": completion.participant_counts },
                { "heading": "Observers", "rows": completion.observers, "counts": completion.observer_counts },
            ],
            "completion": completion,
        }),
    ))
}

/// The cohort page an application's forms go back to, or the page to
/// answer instead (no such application).
pub(crate) async fn application_page(state: &AppState, id: i64) -> Result<String, HttpResponse> {
    match db::run(&state.pool, move |conn| {
        let Some(a) = participants::find(conn, id)? else {
            return Ok::<_, DbError>(None);
        };
        cohorts::find_by_id(conn, a.application.cohort_id).map_err(DbError::from)
    })
    .await
    {
        Ok(Some(cohort)) => Ok(format!("/organizer/echo/{}", cohort.slug)),
        Ok(None) => Err(state.pages.not_found()),
        Err(e) => Err(state.pages.internal_error(&e.into())),
    }
}

/// `POST /organizer/echo/applications/{id}`: `decision`, `message`.
pub async fn page_decide(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: PostedForm,
) -> HttpResponse {
    let id = path.into_inner();
    let back = match application_page(&state, id).await {
        Ok(back) => back,
        Err(page) => return page,
    };
    let (public, who) = (state.settings.http.public_url.clone(), user.caller());
    let links = state.settings.link_key().clone();
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Facilitate,
        back.clone(),
        move |conn, actor, form, now| {
            check_application(conn, who, id)?;
            let ruling = ruling(&form.body(&[])?, &links)?;
            applications::decide(conn, actor, id, &ruling, &public, now)?;
            Ok(back.clone())
        },
    )
    .await
}

/// The applications queue (API and pages) and the cohort's page.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get(
        "/api/v1/echo/cohorts/{slug}/applications",
        applications_list,
    )
    .post("/api/v1/echo/applications/{id}/decision", decide)
    .post("/organizer/echo/applications/{id}", page_decide)
    .get("/organizer/echo/{slug}", cohort_page);
}
