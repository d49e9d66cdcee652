//! `GET/POST /interest` (public), and the proposals queue for organizers:
//! `GET /api/v1/organizer/proposals`, `POST …/{id}/decline`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{Datelike, Months};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{ApiUser, Need};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::interest::domain::{self, InterestForm};
use crate::interest::store::{self, DecideError};
use crate::lineup::levers::LEVERS;
use crate::lists::ListPolicy;
use crate::people::contact::{FieldErrors, SECTORS, STATES};
use crate::web::AppState;

impl From<DecideError> for ApiError {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::NotFound(_) => ApiError::NotFound(e.to_string()),
            DecideError::Decided(..) => ApiError::Conflict("already_decided", e.to_string()),
            DecideError::Db(e) => e.into(),
        }
    }
}

/// The next twelve months as ("YYYY-MM", "February 2027").
fn months(state: &AppState) -> Vec<(String, String)> {
    let today = state
        .clock
        .now()
        .date_naive()
        .with_day(1)
        .unwrap_or_default();
    (1..=12)
        .filter_map(|n| today.checked_add_months(Months::new(n)))
        .map(|d| (d.format("%Y-%m").to_string(), d.format("%B %Y").to_string()))
        .collect()
}

fn form_page(
    state: &AppState,
    status: StatusCode,
    form: &InterestForm,
    errors: &FieldErrors,
) -> HttpResponse {
    let choose = |list: &[(&str, &str)], picked: &[String]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|(v, l)| json!({ "value": v, "label": l, "checked": picked.iter().any(|p| p == v) }))
            .collect()
    };
    let one = |list: &[(&str, &str)], picked: &str| choose(list, &[picked.to_string()]);
    let months: Vec<serde_json::Value> = months(state)
        .into_iter()
        .map(|(v, l)| json!({ "value": v, "label": l, "checked": form.months.contains(&v) }))
        .collect();
    let error: serde_json::Map<String, serde_json::Value> = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), json!(e.message)))
        .collect();
    let wants = |w: &str| form.wants.iter().any(|x| x == w);
    state.pages.render(
        status,
        "interest",
        &json!({
            "title": if errors.is_empty() { "Get involved" } else { "Error: Get involved" },
            "form": {
                "first_name": form.person.first_name, "last_name": form.person.last_name,
                "email": form.person.email, "organization": form.person.organization,
                "job_title": form.person.job_title, "topic": form.topic, "abstract": form.abstract_text,
            },
            "want_list": wants("list"), "want_present": wants("present"), "want_group": wants("working_group"),
            "sectors": one(SECTORS, &form.person.sector),
            "states": one(STATES, &form.person.state),
            "levers": choose(&LEVERS, &form.levers),
            "groups": one(&LEVERS, &form.working_group),
            "months": months,
            "errors": errors.0,
            "error": error,
            "has_errors": !errors.is_empty(),
        }),
    )
}

/// `GET /interest`
pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    form_page(
        &state,
        StatusCode::OK,
        &InterestForm::default(),
        &FieldErrors::default(),
    )
}

/// `GET /interest/sent`: where the form lands (303), so a reload sends
/// nothing twice; the same words for everyone.
pub async fn sent(state: web::Data<AppState>) -> HttpResponse {
    state.pages.ok(
        "interest_sent",
        &json!({ "title": "Thank you: your note is sent" }),
    )
}

/// `POST /interest`, then 303 to `/interest/sent`.
pub async fn submit(
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let caught = crate::web::limits::caught_in(&pairs);
    let form = InterestForm::from_pairs(pairs);
    let sent = || crate::auth::forms::see_other("/interest/sent");
    if caught {
        crate::web::limits::discarded("interest");
        return sent();
    }
    let offered: Vec<String> = months(&state).into_iter().map(|(v, _)| v).collect();
    let interest = match domain::parse(&form, &offered) {
        Ok(i) => i,
        Err(errors) => return form_page(&state, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors),
    };
    let policy = ListPolicy::from_settings(&state.settings);
    let now = state.clock.naive();
    let email = interest.person.email.masked();
    let result = db::write(&state.pool, move |conn| {
        let list = crate::series::model::jam_list(conn)?;
        store::submit(conn, &interest, list.as_deref(), &policy, now).map_err(DbError::from)
    })
    .await;
    match result {
        Ok(_) => {
            tracing::info!(from = %email, "interest form received");
            sent()
        }
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// pending, accepted or declined; all when absent.
    status: Option<String>,
}

/// The organizer's queue of proposals.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProposalQueue {
    pub proposals: Vec<store::ProposalItem>,
}

/// Proposals to present from the interest form, oldest first.
#[utoipa::path(get, path = "/api/v1/organizer/proposals", tag = "lineups", security(("bearer" = [])),
    params(QueueQuery),
    responses((status = 200, description = "The queue", body = ProposalQueue),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 422, description = "Unknown status", body = crate::error::ErrorBody)))]
pub async fn queue(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let status = query.status.clone();
    if let Some(s) = &status {
        if ![store::PENDING, store::ACCEPTED, store::DECLINED].contains(&s.as_str()) {
            return Err(ApiError::Invalid {
                message: "Unknown status.".into(),
                fields: vec![("status".into(), "pending, accepted or declined".into())],
            });
        }
    }
    let rows = db::run(&state.pool, move |conn| {
        store::list(conn, status.as_deref()).map_err(DbError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProposalQueue {
        proposals: rows.iter().map(store::Queued::item).collect(),
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// Sent to the proposer as written.
    message: Option<String>,
}

/// The message to a declined proposer: required, up to 2000 characters.
pub(crate) fn decline_message(given: Option<&str>) -> Result<String, ApiError> {
    let message = given.map(str::trim).unwrap_or("").to_string();
    if message.is_empty() || message.chars().count() > 2000 {
        return Err(ApiError::Invalid {
            message: "Write the proposer a message (up to 2000 characters).".into(),
            fields: vec![("message".into(), "required, at most 2000 characters".into())],
        });
    }
    Ok(message)
}

/// A proposal after it was declined.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DeclinedProposal {
    pub id: i64,
    /// Always `declined`.
    pub status: &'static str,
}

/// Declines a proposal; the proposer is told, in the message's words.
#[utoipa::path(post, path = "/api/v1/organizer/proposals/{id}/decline", tag = "lineups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Proposal id")), request_body = DeclineBody,
    responses((status = 200, description = "Declined", body = DeclinedProposal),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such proposal", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided", body = crate::error::ErrorBody),
        (status = 422, description = "No message", body = crate::error::ErrorBody)))]
pub async fn decline(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<DeclineBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let message = decline_message(body.message.as_deref())?;
    let (id, actor, now) = (path.into_inner(), user.actor(), state.clock.naive());
    db::write(&state.pool, move |conn| {
        store::decline(conn, &actor, id, &message, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(DeclinedProposal {
        id,
        status: store::DECLINED,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The session whose lineup the proposer joins.
    session_id: i64,
    /// Send the invitation to present now (default true); otherwise the
    /// slot waits as a draft.
    #[serde(default = "yes")]
    invite: bool,
}

fn yes() -> bool {
    true
}

/// Accepts a proposal into a session's lineup: a presenter slot with the
/// proposal's topic, abstract and levers, invited at once unless
/// `invite` is false.
#[utoipa::path(post, path = "/api/v1/organizer/proposals/{id}/accept", tag = "lineups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Proposal id")), request_body = AcceptBody,
    responses((status = 201, description = "The new lineup slot", body = crate::lineup::LineupSlot),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such proposal or session", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided, or the session is closed", body = crate::error::ErrorBody)))]
pub async fn accept(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<AcceptBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let AcceptBody { session_id, invite } = body.into_inner();
    let link = invite.then(|| state.settings.link_key().issue());
    let (id, actor, now) = (path.into_inner(), user.actor(), state.clock.naive());
    let policy = crate::lineup::Policy::from_settings(&state.settings);
    let slot = db::write(&state.pool, move |conn| {
        accept_into(conn, &actor, id, session_id, link.as_ref(), &policy, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(slot.view()))
}

/// Accepts proposal `id` into session `session_id`'s lineup: a presenter
/// slot with its topic, abstract and levers, invited when `link` is given.
pub(crate) fn accept_into(
    conn: &mut crate::db::DbConnection,
    actor: &crate::audit::Actor,
    id: i64,
    session_id: i64,
    link: Option<&crate::web::links::Issued>,
    policy: &crate::lineup::Policy,
    now: chrono::NaiveDateTime,
) -> Result<crate::lineup::Slot, ApiError> {
    if !crate::series::model::lock_session(conn, session_id)? {
        return Err(ApiError::NotFound(format!("no session {session_id}")));
    }
    let queued = store::mark_accepted(conn, actor, id, session_id, now)?;
    let p = &queued.proposal;
    let new = crate::lineup::NewSlot {
        name: queued.name.clone(),
        email: queued.email.clone(),
        role: "presenter",
        talk_title: p.topic.clone(),
        talk_abstract: p.abstract_.clone(),
        levers: crate::lineup::levers::from_column(&p.levers),
        ..Default::default()
    };
    Ok(crate::lineup::add_slot(
        conn, actor, session_id, &new, link, policy, now,
    )?)
}
