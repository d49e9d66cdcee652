//! The outbox for organizers: counts by status, failed messages with their
//! reason, and "retry" — as a page (`/organizer/outbox`) and in the API.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::audit;
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::mail::outbox::{self, OutboxRow};
use crate::web::AppState;

const SHOWN: i64 = 200;

fn row_json(r: &OutboxRow) -> serde_json::Value {
    json!({
        "id": r.id,
        "template": r.template,
        "recipient": r.recipient,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "created_at": r.created_at.and_utc().to_rfc3339(),
    })
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
    responses((status = 200, description = "Overview", body = crate::api_docs::OutboxOverview),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody)))]
pub async fn api_overview(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (counts, failed) = overview(&state).await?;
    let counts: serde_json::Map<String, serde_json::Value> =
        counts.into_iter().map(|(s, n)| (s, json!(n))).collect();
    Ok(HttpResponse::Ok().json(json!({
        "counts": counts,
        "failed": failed.iter().map(row_json).collect::<Vec<_>>(),
    })))
}

/// Puts a failed message back in the queue with fresh attempts.
#[utoipa::path(post, path = "/api/v1/organizer/outbox/{id}/retry", tag = "mail", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Outbox message id")),
    responses((status = 200, description = "Queued again"),
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
    Ok(HttpResponse::Ok().json(json!({ "id": row.id, "status": "pending" })))
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
                "failed": failed.iter().map(row_json).collect::<Vec<_>>(),
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
