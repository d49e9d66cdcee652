//! The lineup's organizer page forms, on the session's organizer page: add
//! someone (and invite them), send or resend an invitation, move a slot up
//! or down, withdraw it, and tag the session with levers of change. Each
//! runs the API's own checks and store operation.

use actix_web::{web, HttpResponse};

use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbError};
use crate::lineup::handlers::{new_slot, session_lever_codes, AddBody};
use crate::lineup::store::{self, Policy, SlotChanges};
use crate::web::AppState;

fn session_page(id: i64) -> String {
    format!("/organizer/sessions/{id}")
}

/// `POST /organizer/sessions/{id}/lineup`: the API's slot fields, levers as
/// ticked boxes, `invite` ticked to send the invitation at once.
pub async fn add(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = path.into_inner();
    let link = state.settings.link_key().issue();
    let policy = Policy::from_settings(&state.settings);
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        session_page(id),
        move |conn, actor, form, now| {
            let text = |name: &str| form.get(name).map(str::to_string);
            let minutes = form.get("minutes").map(|m| {
                m.parse::<i64>()
                    .map_err(|_| format!("`{m}` is not a number of minutes"))
            });
            let checked = new_slot(AddBody {
                name: text("name"),
                email: text("email"),
                role: text("role"),
                talk_title: text("talk_title"),
                talk_abstract: text("abstract"),
                minutes: minutes.clone().and_then(Result::ok),
                bio: text("bio"),
                levers: Some(form.all("levers")),
                position: None,
                invite: form.ticked("invite"),
            });
            let (new, invite) = match minutes {
                Some(Err(message)) => {
                    return Err(forms::also_invalid(checked.err(), "minutes", message))
                }
                _ => checked?,
            };
            let link = invite.then_some(&link);
            store::add(conn, actor, id, &new, link, &policy, now)?;
            Ok(session_page(id))
        },
    )
    .await
}

/// `POST /organizer/lineup/{slot}/{action}`: `invite` (send, or send again
/// with a fresh link), `up`, `down` or `withdraw`.
pub async fn slot_action(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(i64, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slot_id, action) = path.into_inner();
    if !["invite", "up", "down", "withdraw"].contains(&action.as_str()) {
        return state.pages.not_found();
    }
    let slot = match db::run(&state.pool, move |conn| {
        store::find(conn, slot_id).map_err(DbError::from)
    })
    .await
    {
        Ok(Some(slot)) => slot,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let back = session_page(slot.session_id);
    let link = state.settings.link_key().issue();
    let policy = Policy::from_settings(&state.settings);
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        back.clone(),
        move |conn, actor, _, now| {
            let position = i64::from(slot.position);
            let changes = match action.as_str() {
                "invite" => {
                    store::invite(conn, actor, slot_id, &link, &policy, now)?;
                    return Ok(back.clone());
                }
                "up" => SlotChanges {
                    position: Some((position - 1).max(1)),
                    ..Default::default()
                },
                "down" => SlotChanges {
                    position: Some(position + 1),
                    ..Default::default()
                },
                _ => SlotChanges {
                    withdraw: true,
                    ..Default::default()
                },
            };
            store::update(conn, actor, slot_id, &changes, &policy, now)?;
            Ok(back.clone())
        },
    )
    .await
}

/// `POST /organizer/sessions/{id}/levers`: the ticked levers replace the
/// session's (none ticked clears them).
pub async fn levers(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = path.into_inner();
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Organize,
        session_page(id),
        move |conn, actor, form, now| {
            let codes = session_lever_codes(Some(form.all("levers")))?;
            store::set_session_levers(conn, actor, id, &codes, now)?;
            Ok(session_page(id))
        },
    )
    .await
}
