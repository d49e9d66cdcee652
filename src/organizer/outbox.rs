//! The outbox for organizers: counts by status, failed messages with their
//! reason, and "retry" — as a page (`/organizer/outbox`) and in the API.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;

use crate::audit;
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::mail::outbox::{self, OutboxRow};
use crate::web::AppState;

const SHOWN: i64 = 200;

/// Messages per status, and the failed ones with their reason.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxOverview {
    /// Messages per status: pending, sent, failed, skipped.
    pub counts: BTreeMap<String, i64>,
    pub failed: Vec<FailedMessage>,
}

/// A message that could not be sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FailedMessage {
    pub id: i64,
    pub template: String,
    pub recipient: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<&OutboxRow> for FailedMessage {
    fn from(r: &OutboxRow) -> Self {
        Self {
            id: r.id,
            template: r.template.clone(),
            recipient: r.recipient.clone(),
            attempts: r.attempts,
            last_error: r.last_error.clone(),
            created_at: r.created_at.and_utc().to_rfc3339(),
        }
    }
}

/// A failed message put back in the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetriedMessage {
    pub id: i64,
    /// Always `pending`.
    pub status: &'static str,
}

async fn overview(state: &AppState) -> Result<(Vec<(String, i64)>, Vec<OutboxRow>), DbError> {
    db::run(&state.pool, |conn| {
        Ok::<_, DbError>((outbox::status_counts(conn)?, outbox::failed(conn, SHOWN)?))
    })
    .await
}

/// Retries message `id`, audited; `None` when it is not a failed message.
/// Puts failed message `id` back in the queue (audited).
fn retry(
    conn: &mut crate::db::DbConnection,
    actor: &audit::Actor,
    id: i64,
    now: chrono::NaiveDateTime,
) -> Result<OutboxRow, ApiError> {
    let row = outbox::retry(conn, id, now)?.ok_or_else(|| {
        ApiError::NotFound("No failed message with this id whose content is still kept.".into())
    })?;
    audit::record(
        conn,
        actor,
        "outbox.retry",
        &format!("outbox:{id}"),
        Some(json!({ "status": "failed", "last_error": row.last_error })),
        Some(json!({ "status": "pending" })),
        now,
    )?;
    Ok(row)
}

/// Messages per status, and the failed ones with their reason.
#[utoipa::path(get, path = "/api/v1/organizer/outbox", tag = "mail", security(("bearer" = [])),
    responses((status = 200, description = "Overview", body = OutboxOverview),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody)))]
pub async fn api_overview(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (counts, failed) = overview(&state).await?;
    Ok(HttpResponse::Ok().json(OutboxOverview {
        counts: counts.into_iter().collect(),
        failed: failed.iter().map(FailedMessage::from).collect(),
    }))
}

/// Puts a failed message back in the queue with fresh attempts.
#[utoipa::path(post, path = "/api/v1/organizer/outbox/{id}/retry", tag = "mail", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Outbox message id")),
    responses((status = 200, description = "Queued again", body = RetriedMessage),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No failed message with this id", body = crate::error::ErrorBody)))]
pub async fn api_retry(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let (actor, id, now) = (user.actor(), path.into_inner(), state.clock.naive());
    let row = db::write(&state.pool, move |conn| retry(conn, &actor, id, now)).await?;
    Ok(HttpResponse::Ok().json(RetriedMessage {
        id: row.id,
        status: outbox::PENDING,
    }))
}

/// `GET /organizer/outbox`
pub async fn page(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    match overview(&state).await {
        Ok((counts, failed)) => state.pages.private(state.pages.ok(
            "organizer/outbox",
            &json!({
                "title": "Outbox",
                "csrf": user.csrf,
                "can_retry": user.user.role().allows(Need::Organize),
                "counts": counts.iter().map(|(s, n)| json!({ "status": s, "count": n })).collect::<Vec<_>>(),
                "failed": failed.iter().map(FailedMessage::from).collect::<Vec<_>>(),
            }),
        )),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /organizer/outbox/{id}/retry` (the page's button)
pub async fn page_retry(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = path.into_inner();
    let back = "/organizer/outbox".to_string();
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        back.clone(),
        move |conn, actor, _, now| {
            retry(conn, actor, id, now)?;
            Ok(back.clone())
        },
    )
    .await
}
