//! The proposals queue as an organizer page: proposals waiting for a
//! decision (accept into an upcoming session's lineup, or decline with a
//! message to the proposer), then those already decided.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::interest::handlers::{accept_into, decline_message};
use crate::interest::store::{self, PENDING};
use crate::web::AppState;

const BACK: &str = "/organizer/proposals";

/// `GET /organizer/proposals`
pub async fn page(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    let now = state.clock.naive();
    let loaded = db::run(&state.pool, move |conn| {
        let queue = store::list(conn, None)?;
        let sessions = crate::series::model::upcoming(conn, now, 24)?;
        Ok::<_, DbError>((queue, sessions))
    })
    .await;
    let (queue, sessions) = match loaded {
        Ok(found) => found,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let sessions: Vec<_> = sessions
        .iter()
        .map(|(s, series)| json!({ "id": s.id, "label": format!("{} — {}", s.title, s.when()), "series": series.title }))
        .collect();
    let (pending, decided): (Vec<_>, Vec<_>) = queue
        .iter()
        .map(store::Queued::to_json)
        .partition(|p| p["status"] == PENDING);
    state.pages.private(state.pages.ok(
        "organizer/proposals",
        &json!({
            "title": "Proposals to present",
            "csrf": user.csrf,
            "can_change": user.user.role().allows(Need::Organize),
            "pending": pending,
            "decided": decided,
            "sessions": sessions,
        }),
    ))
}

/// `POST /organizer/proposals/{id}/accept` (`session_id`; `invite` ticked
/// sends the invitation to present at once) or `…/decline` (`message`).
pub async fn decide(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(i64, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    if action != "accept" && action != "decline" {
        return state.pages.not_found();
    }
    let link = state.settings.link_key().issue();
    let policy = crate::lineup::Policy::from_settings(&state.settings);
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        BACK.into(),
        move |conn, actor, form, now| {
            if action == "decline" {
                let message = decline_message(form.get("message"))?;
                store::decline(conn, actor, id, &message, now)?;
                return Ok(BACK.into());
            }
            let Some(session_id) = form.get("session_id").and_then(|s| s.parse::<i64>().ok())
            else {
                return Err(ApiError::Invalid {
                    message: "Choose the session whose lineup they join.".into(),
                    fields: vec![("session_id".into(), "choose a session".into())],
                });
            };
            let link = form.ticked("invite").then_some(&link);
            accept_into(conn, actor, id, session_id, link, &policy, now)?;
            Ok(format!("/organizer/sessions/{session_id}"))
        },
    )
    .await
}
