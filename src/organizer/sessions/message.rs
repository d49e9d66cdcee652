//! A message from the organizers to a session's registrants and/or its
//! waitlist: the API route and the session page's form, both through
//! `registration::message::send` (one outbox row per person, audited).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Need, PageUser};
use crate::db;
use crate::error::ApiError;
use crate::mail::group::GroupMessage;
use crate::registration::message::{self as registrants, Asked, Audience, Sent};
use crate::web::AppState;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// One line, up to 200 characters.
    subject: Option<String>,
    /// Plain text, up to 20 000 characters; blank lines part paragraphs.
    body: Option<String>,
    /// `registered`, `waitlisted` or `both`.
    audience: Option<String>,
    /// Count who it would go to; send nothing.
    #[serde(default)]
    preview: bool,
    /// The same key (with the same words and audience) sends once; without
    /// one, the same words to the same audience send once.
    idempotency_key: Option<String>,
}

/// What a message to a session's people did (or, previewed, would do).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegistrantsMessage {
    pub session_id: i64,
    /// registered, waitlisted or both.
    pub audience: String,
    /// The people it goes (or would go) to: cancelled registrations and
    /// erased people are not among them.
    pub recipients: i64,
    /// E-mails queued by this request: 0 for a preview or a repeat.
    pub queued: usize,
    /// True when this message was sent before: nothing more went.
    pub repeat: bool,
    pub preview: bool,
}

/// The body checked, a message per field at fault.
fn asked(b: MessageBody) -> Result<Asked, ApiError> {
    let mut errors = Vec::new();
    let audience = match b.audience.as_deref().map(str::trim) {
        Some(a) => Audience::parse(a),
        None => None,
    };
    if audience.is_none() {
        errors.push((
            "audience".to_string(),
            "Choose who gets it: registered, waitlisted or both.".to_string(),
        ));
    }
    let parsed =
        GroupMessage::parse_with_key(b.subject.as_deref(), b.body.as_deref(), b.idempotency_key)
            .map_err(|e| errors.extend(e))
            .ok();
    match (audience, parsed, errors.is_empty()) {
        (Some(audience), Some((message, nonce)), true) => Ok(Asked {
            audience,
            message,
            nonce,
            preview: b.preview,
        }),
        _ => Err(ApiError::fields(errors)),
    }
}

/// Writes one e-mail from the organizers to a session's registered people,
/// its waitlist, or both (cancelled registrations get nothing), through the
/// outbox, audited. `preview` counts them and sends nothing.
#[utoipa::path(post, path = "/api/v1/organizer/sessions/{id}/message", tag = "sessions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = MessageBody,
    responses((status = 200, description = "Queued, previewed, or already sent", body = RegistrantsMessage),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 409, description = "The session is cancelled", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn api_message(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let asked = asked(body.into_inner())?;
    let id = path.into_inner();
    let (actor, now) = (user.actor(), state.clock.naive());
    let public = state.settings.http.public_url.clone();
    let preview = asked.preview;
    let audience = asked.audience.as_str().to_string();
    let sent: Sent = db::write(&state.pool, move |conn| {
        registrants::send(conn, &actor, &public, id, &asked, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RegistrantsMessage {
        session_id: id,
        audience,
        recipients: sent.recipients,
        queued: sent.queued,
        repeat: sent.repeat,
        preview,
    }))
}

/// `POST /organizer/sessions/{id}/message`: the session page's form (the
/// API's fields; its `idempotency_key` is drawn when the page is shown, so
/// the form sent twice sends once). Back to the page's list of messages.
pub async fn page_message(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = path.into_inner();
    let back = format!("/organizer/sessions/{id}#messages");
    let public = state.settings.http.public_url.clone();
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Organize,
        back.clone(),
        move |conn, actor, form, now| {
            let mut asked = asked(form.body(&[])?)?;
            asked.preview = false;
            registrants::send(conn, actor, &public, id, &asked, now)?;
            Ok(back.clone())
        },
    )
    .await
}
