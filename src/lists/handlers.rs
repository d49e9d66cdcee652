//! The mailing-list pages: subscribe, confirm (double opt-in) and
//! unsubscribe. Every GET only shows a page; the change is a POST, because
//! mail link scanners follow GETs. `POST /u/{token}` is also RFC 8058's
//! one-click unsubscribe: no cookie, no login, answered 200.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::{self, DbError};
use crate::lists::domain::{self, SubscribeForm};
use crate::lists::store::{self, ListPolicy};
use crate::mail::address::mask;
use crate::people::contact::{FieldErrors, SECTORS, STATES};
use crate::web::fields::options;
use crate::web::token::looks_like_token;
use crate::web::AppState;

fn policy(state: &AppState) -> ListPolicy {
    ListPolicy::from_settings(&state.settings)
}

fn form_page(
    state: &AppState,
    status: StatusCode,
    form: &SubscribeForm,
    errors: &FieldErrors,
) -> HttpResponse {
    let lists: Vec<serde_json::Value> = state
        .settings
        .lists
        .iter()
        .map(|(slug, l)| {
            json!({
                "slug": slug,
                "name": l.name,
                "description": l.description,
                "checked": form.lists.contains(slug),
            })
        })
        .collect();
    let error: serde_json::Map<String, serde_json::Value> = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), json!(e.message)))
        .collect();
    state.pages.render(
        status,
        "subscribe",
        &json!({
            "title": if errors.is_empty() { "Subscribe".to_string() } else { "Error: Subscribe".to_string() },
            "form": {
                "first_name": form.first_name,
                "last_name": form.last_name,
                "email": form.email,
                "organization": form.organization,
            },
            "lists": lists,
            "sectors": options(SECTORS, &form.sector),
            "states": options(STATES, &form.state),
            "errors": errors.0,
            "error": error,
            "has_errors": !errors.is_empty(),
        }),
    )
}

/// `GET /subscribe` (`?list=jam` ticks that list).
pub async fn subscribe_page(
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    let mut form = SubscribeForm::from_pairs(query.into_inner());
    form.lists.retain(|l| state.settings.lists.contains_key(l));
    if form.lists.is_empty() && state.settings.lists.len() == 1 {
        form.lists = state.settings.lists.keys().cloned().collect();
    }
    form_page(&state, StatusCode::OK, &form, &FieldErrors::default())
}

/// `GET /subscribe/sent`: where a subscription request lands (303), so a
/// reload asks nothing twice. It names no address: it says the same for
/// everyone.
pub async fn subscribe_sent(state: web::Data<AppState>) -> HttpResponse {
    state.pages.ok(
        "subscribe_sent",
        &json!({ "title": "Check your inbox to confirm your subscription" }),
    )
}

/// `POST /subscribe`: asks for confirmation by e-mail, then 303 to
/// `/subscribe/sent`, the same whether or not the address was already
/// subscribed.
pub async fn subscribe(
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let pairs = form.into_inner();
    let caught = crate::web::limits::caught_in(&pairs);
    let form = SubscribeForm::from_pairs(pairs);
    let sent = || crate::auth::forms::see_other("/subscribe/sent");
    if caught {
        crate::web::limits::discarded("subscribe");
        return sent();
    }
    let subscriber = match domain::parse(&form, &state.settings.lists) {
        Ok(s) => s,
        Err(errors) => return form_page(&state, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors),
    };
    let policy = policy(&state);
    let now = state.clock.naive();
    let email = subscriber.email.masked();
    let result = db::write(&state.pool, move |conn| {
        let person = store::upsert_subscriber(conn, &subscriber, now)?;
        store::ask_to_confirm(conn, person, &subscriber.lists, &policy, now).map_err(DbError::from)
    })
    .await;
    match result {
        Ok(asked) => {
            tracing::info!(to = %email, ?asked, "subscription requested");
            sent()
        }
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

fn link_expired(state: &AppState) -> HttpResponse {
    state.pages.message(
        StatusCode::NOT_FOUND,
        "This link has expired",
        "This confirmation link was already used or has expired. To subscribe, fill in the form at /subscribe again.",
    )
}

/// `GET /subscribe/confirm/{token}`: a page with a button; changes nothing.
pub async fn confirm_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return link_expired(&state);
    }
    let policy = policy(&state);
    let now = state.clock.naive();
    let t = token.clone();
    match db::run(&state.pool, move |conn| {
        store::pending_for_token(conn, &t, &policy, now).map_err(DbError::from)
    })
    .await
    {
        Ok(lists) if lists.is_empty() => link_expired(&state),
        Ok(lists) => state.pages.private(state.pages.ok(
            "subscribe_confirm",
            &json!({ "title": "Confirm your subscription", "lists": lists, "token": token, "done": false }),
        )),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /subscribe/confirm/{token}`: confirms, once.
pub async fn confirm(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return link_expired(&state);
    }
    let policy = policy(&state);
    let now = state.clock.naive();
    let t = token.clone();
    match db::write(&state.pool, move |conn| {
        store::confirm(conn, &t, &policy, now).map_err(DbError::from)
    })
    .await
    {
        Ok(lists) if lists.is_empty() => link_expired(&state),
        Ok(lists) => state.pages.private(state.pages.ok(
            "subscribe_confirm",
            &json!({ "title": "You're subscribed", "lists": lists, "token": token, "done": true }),
        )),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// The unsubscribe page's data; `token` is the one in the link followed.
fn unsubscribe_context(
    found: &store::Found,
    token: &str,
    state: &AppState,
    done: bool,
) -> serde_json::Value {
    let slug = &found.subscription.list_slug;
    json!({
        "title": if done { "You're unsubscribed" } else { "Unsubscribe" },
        "list": policy(state).list_name(slug),
        "list_slug": slug,
        "email": mask(&found.email),
        "token": token,
        "done": done,
        "already": !done && found.subscription.status == store::UNSUBSCRIBED,
    })
}

/// `GET /u/{token}`: says what the button would do; changes nothing.
pub async fn unsubscribe_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    let t = token.clone();
    match db::run(&state.pool, move |conn| {
        store::find_by_token(conn, &t).map_err(DbError::from)
    })
    .await
    {
        Ok(Some(found)) => state.pages.private(state.pages.ok(
            "unsubscribe",
            &unsubscribe_context(&found, &token, &state, false),
        )),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /u/{token}`: the page's button, or a mail program's one-click
/// request (body `List-Unsubscribe=One-Click`). Unsubscribes at once,
/// whatever the body; repeating it is harmless.
pub async fn unsubscribe(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    let now = state.clock.naive();
    let t = token.clone();
    match db::write(&state.pool, move |conn| {
        store::unsubscribe(conn, &t, now).map_err(DbError::from)
    })
    .await
    {
        Ok(Some(found)) => {
            tracing::info!(list = %found.subscription.list_slug, to = %mask(&found.email), "unsubscribed");
            state.pages.private(state.pages.ok(
                "unsubscribe",
                &unsubscribe_context(&found, &token, &state, true),
            ))
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}
