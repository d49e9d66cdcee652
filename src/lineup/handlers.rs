//! The lineup's HTTP side: the organizer JSON API (read with any role,
//! change with `Need::Organize`, every change audited) and the presenter's
//! accept/decline pages — GET only shows a button (link scanners follow
//! GETs), POST answers.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{ApiUser, Need};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::lineup::domain::{self, Answer, CONFIRMED, DECLINED, INVITED, WITHDRAWN};
use crate::lineup::levers::{self, LeverTag};
use crate::lineup::slot::LineupSlot;
use crate::lineup::store::{self, LineupError, NewSlot, Policy, SlotChanges, Standing};
use crate::mail::address::EmailAddress;
use crate::series::model;
use crate::web::token::looks_like_token;
use crate::web::AppState;

impl From<LineupError> for ApiError {
    fn from(e: LineupError) -> Self {
        let message = e.to_string();
        match e {
            LineupError::NoSession(_) | LineupError::NoSlot(_) => ApiError::NotFound(message),
            LineupError::SessionClosed => ApiError::Conflict("session_closed", message),
            LineupError::State(_) => ApiError::Conflict("already_answered", message),
            LineupError::Db(e) => e.into(),
        }
    }
}

/// Runs `check` on a present value, collecting its message under `name`.
fn check<T, U>(
    errors: &mut Vec<(String, String)>,
    name: &str,
    value: Option<T>,
    check: impl FnOnce(T) -> Result<U, String>,
) -> Option<U> {
    match check(value?) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push((name.to_string(), e));
            None
        }
    }
}

fn email(s: String) -> Result<String, String> {
    EmailAddress::parse(&s)
        .map(|e| e.as_str().to_string())
        .map_err(str::to_string)
}

fn lever_codes(codes: Vec<String>) -> Result<Vec<&'static str>, String> {
    levers::parse(&codes)
}

/// A session's lineup, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Lineup {
    pub session_id: i64,
    /// The session's levers of change.
    pub levers: Vec<LeverTag>,
    pub slots: Vec<LineupSlot>,
}

/// A session's levers of change after replacing them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionLevers {
    pub session_id: i64,
    pub levers: Vec<LeverTag>,
}

async fn lineup_json(state: &AppState, session_id: i64) -> Result<Lineup, ApiError> {
    let found = db::run(&state.pool, move |conn| {
        if model::find_session(conn, session_id)?.is_none() {
            return Ok(None);
        }
        let slots = store::for_session(conn, session_id)?;
        let levers = store::session_levers(conn, session_id)?;
        Ok::<_, DbError>(Some((slots, levers)))
    })
    .await?;
    let Some((slots, codes)) = found else {
        return Err(ApiError::NotFound(format!("no session {session_id}")));
    };
    Ok(Lineup {
        session_id,
        levers: levers::tags(&codes),
        slots: slots.iter().map(store::Slot::view).collect(),
    })
}

/// A session's lineup, in order, with the session's levers of change.
#[utoipa::path(get, path = "/api/v1/organizer/sessions/{id}/lineup", tag = "lineups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The lineup", body = Lineup),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody)))]
pub async fn get_lineup(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    Ok(HttpResponse::Ok().json(lineup_json(&state, path.into_inner()).await?))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// Up to 200 characters.
    #[schema(required = true, value_type = String)]
    pub(crate) name: Option<String>,
    /// Where the invitation goes.
    #[schema(required = true, value_type = String)]
    pub(crate) email: Option<String>,
    /// presenter (default), moderator or panelist.
    pub(crate) role: Option<String>,
    /// Up to 300 characters.
    pub(crate) talk_title: Option<String>,
    /// Up to 5000 characters.
    #[serde(rename = "abstract")]
    pub(crate) talk_abstract: Option<String>,
    /// Speaking time, 1 to 600.
    pub(crate) minutes: Option<i64>,
    /// Up to 5000 characters.
    pub(crate) bio: Option<String>,
    /// Lever codes.
    pub(crate) levers: Option<Vec<String>>,
    /// 1-based place in the lineup; at the end when absent.
    pub(crate) position: Option<i64>,
    /// Send the invitation to present now (default false: a draft).
    #[serde(default)]
    pub(crate) invite: bool,
}

/// The slot to add, each field checked, and whether to invite at once.
pub(crate) fn new_slot(b: AddBody) -> Result<(NewSlot, bool), ApiError> {
    let mut e = Vec::new();
    let name = check(&mut e, "name", Some(b.name.unwrap_or_default()), |s| {
        domain::required_text(&s, 200)
    });
    let address = check(&mut e, "email", Some(b.email.unwrap_or_default()), email);
    let role = check(&mut e, "role", Some(b.role), |r| match r {
        Some(r) => domain::parse_role(&r),
        None => Ok("presenter"),
    });
    let talk_title = check(&mut e, "talk_title", b.talk_title, |s| {
        domain::optional_line(&s, 300)
    });
    let talk_abstract = check(&mut e, "abstract", b.talk_abstract, |s| {
        domain::optional_text(&s, 5000)
    });
    let bio = check(&mut e, "bio", b.bio, |s| domain::optional_text(&s, 5000));
    let minutes = check(&mut e, "minutes", b.minutes, domain::parse_minutes);
    let codes = check(&mut e, "levers", b.levers, lever_codes);
    let (Some(name), Some(address), Some(role), true) = (name, address, role, e.is_empty()) else {
        return Err(ApiError::fields(e));
    };
    let new = NewSlot {
        name,
        email: address,
        role,
        talk_title: talk_title.unwrap_or_default(),
        talk_abstract: talk_abstract.unwrap_or_default(),
        minutes,
        bio: bio.unwrap_or_default(),
        levers: codes.unwrap_or_default(),
        position: b.position,
    };
    Ok((new, b.invite))
}

/// Adds a slot to a session's lineup; with `"invite": true` also sends the
/// invitation to present.
#[utoipa::path(post, path = "/api/v1/organizer/sessions/{id}/lineup", tag = "lineups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = AddBody,
    responses((status = 201, description = "The new slot", body = LineupSlot),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 409, description = "The session is cancelled or over", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn add_slot(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<AddBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let (new, invite) = new_slot(body.into_inner())?;
    let link = invite.then(|| state.settings.link_key().issue());
    let (actor, policy, now) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
    );
    let id = path.into_inner();
    let slot = db::write(&state.pool, move |conn| {
        store::add(conn, &actor, id, &new, link.as_ref(), &policy, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(slot.view()))
}

/// Only the fields given change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    /// Up to 200 characters; not empty.
    name: Option<String>,
    email: Option<String>,
    /// presenter, moderator or panelist.
    role: Option<String>,
    /// Up to 300 characters.
    talk_title: Option<String>,
    /// Up to 5000 characters.
    #[serde(rename = "abstract")]
    talk_abstract: Option<String>,
    /// Speaking time, 1 to 600; `null` clears it.
    #[serde(default, with = "serde_with_double_option")]
    #[schema(value_type = Option<i64>)]
    minutes: Option<Option<i64>>,
    /// Up to 5000 characters.
    bio: Option<String>,
    /// Lever codes; replaces the slot's levers.
    levers: Option<Vec<String>>,
    /// Moves the slot to this 1-based place.
    position: Option<i64>,
    /// Only `withdrawn`: the other statuses follow from invitations and
    /// answers.
    status: Option<String>,
}

/// `Option<Option<T>>` from JSON: absent = `None`, `null` = `Some(None)`.
mod serde_with_double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Edits a slot, moves it (`position`), or withdraws it
/// (`"status": "withdrawn"`).
#[utoipa::path(patch, path = "/api/v1/organizer/lineup/{slot_id}", tag = "lineups", security(("bearer" = [])),
    params(("slot_id" = i64, Path, description = "Lineup slot id")), request_body = PatchBody,
    responses((status = 200, description = "The slot after the change", body = LineupSlot),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such slot", body = crate::error::ErrorBody),
        (status = 409, description = "The session is closed, or the slot cannot change so", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn update_slot(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let b = body.into_inner();
    let mut e = Vec::new();
    let changes = SlotChanges {
        name: check(&mut e, "name", b.name, |s| domain::required_text(&s, 200)),
        email: check(&mut e, "email", b.email, email),
        role: check(&mut e, "role", b.role, |r| domain::parse_role(&r)),
        talk_title: check(&mut e, "talk_title", b.talk_title, |s| {
            domain::optional_line(&s, 300)
        }),
        talk_abstract: check(&mut e, "abstract", b.talk_abstract, |s| {
            domain::optional_text(&s, 5000)
        }),
        minutes: check(&mut e, "minutes", b.minutes, |m| {
            m.map(domain::parse_minutes).transpose()
        }),
        bio: check(&mut e, "bio", b.bio, |s| domain::optional_text(&s, 5000)),
        levers: check(&mut e, "levers", b.levers, lever_codes),
        position: b.position,
        withdraw: check(&mut e, "status", b.status, |s| {
            if s == WITHDRAWN {
                Ok(true)
            } else {
                Err("can only be set to `withdrawn`; invite to change the rest".into())
            }
        })
        .unwrap_or(false),
    };
    if !e.is_empty() {
        return Err(ApiError::fields(e));
    }
    let (actor, now, id) = (user.actor(), state.clock.naive(), path.into_inner());
    let policy = Policy::from_settings(&state.settings);
    let slot = db::write(&state.pool, move |conn| {
        store::update(conn, &actor, id, &changes, &policy, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(slot.view()))
}

/// Sends the invitation to present, or sends it again with a fresh link
/// (the old one stops working).
#[utoipa::path(post, path = "/api/v1/organizer/lineup/{slot_id}/invite", tag = "lineups", security(("bearer" = [])),
    params(("slot_id" = i64, Path, description = "Lineup slot id")),
    responses((status = 200, description = "Invited", body = LineupSlot),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such slot", body = crate::error::ErrorBody),
        (status = 409, description = "The session is closed, or the slot has already been answered", body = crate::error::ErrorBody)))]
pub async fn invite_slot(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let (actor, policy, now, id) = (
        user.actor(),
        Policy::from_settings(&state.settings),
        state.clock.naive(),
        path.into_inner(),
    );
    let link = state.settings.link_key().issue();
    let slot = db::write(&state.pool, move |conn| {
        store::invite(conn, &actor, id, &link, &policy, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(slot.view()))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeversBody {
    /// Lever codes (`[]` clears them).
    #[schema(required = true, value_type = Vec<String>)]
    levers: Option<Vec<String>>,
}

/// A session's lever codes: required (`[]` clears), each one known.
pub(crate) fn session_lever_codes(
    given: Option<Vec<String>>,
) -> Result<Vec<&'static str>, ApiError> {
    let mut e = Vec::new();
    if given.is_none() {
        e.push(("levers".to_string(), "`levers` is required".to_string()));
    }
    let codes = check(&mut e, "levers", given, lever_codes);
    match (codes, e.is_empty()) {
        (Some(codes), true) => Ok(codes),
        _ => Err(ApiError::fields(e)),
    }
}

/// Replaces a session's levers of change.
#[utoipa::path(put, path = "/api/v1/organizer/sessions/{id}/levers", tag = "lineups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = LeversBody,
    responses((status = 200, description = "The session's levers now", body = SessionLevers),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 422, description = "No or unknown lever codes", body = crate::error::ErrorBody)))]
pub async fn put_levers(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<LeversBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let codes = session_lever_codes(body.into_inner().levers)?;
    let (actor, now, id) = (user.actor(), state.clock.naive(), path.into_inner());
    let codes = db::write(&state.pool, move |conn| {
        store::set_session_levers(conn, &actor, id, &codes, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SessionLevers {
        session_id: id,
        levers: levers::tags(&codes),
    }))
}

// ------------------------------------------------------------ presenter pages

/// The answer page; `token` is the one in the link followed.
fn page(
    state: &AppState,
    status: StatusCode,
    s: &Standing,
    token: &str,
    answer: Answer,
) -> HttpResponse {
    let slot = &s.slot;
    let open = slot.status == INVITED
        && !s.session.is_cancelled()
        && s.session.ends_at > state.clock.naive();
    let ctx = json!({
        "title": format!("Presenting at {}", s.series.title),
        "name": slot.name,
        "role": slot.role,
        "talk_title": slot.talk_title,
        "session": {
            "id": s.session.id,
            "title": s.session.title,
            "when": s.session.when(),
            "timezone": s.session.timezone,
            "other_zones": s.session.other_zones(),
            "starts_at": s.session.starts_machine(),
            "cancelled": s.session.is_cancelled(),
        },
        "series_title": s.series.title,
        "times": true,
        "token": token,
        "open": open,
        "accept": answer == Answer::Accept,
        "confirmed": slot.status == CONFIRMED,
        "declined": slot.status == DECLINED,
        "withdrawn": slot.status == WITHDRAWN,
    });
    state
        .pages
        .private(state.pages.render(status, "present", &ctx))
}

fn path_parts(path: &(String, String)) -> Option<(String, Answer)> {
    let (token, answer) = path;
    let answer = Answer::parse(answer)?;
    looks_like_token(token).then(|| (token.clone(), answer))
}

/// `GET /present/{token}/{accept|decline}`: asks to confirm; changes
/// nothing.
pub async fn answer_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let Some((token, answer)) = path_parts(&path) else {
        return state.pages.not_found();
    };
    let now = state.clock.naive();
    let t = token.clone();
    let found = db::run(&state.pool, move |conn| {
        store::standing(conn, &t, now).map_err(DbError::from)
    })
    .await;
    match found {
        Ok(Some(s)) => page(&state, StatusCode::OK, &s, &token, answer),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /present/{token}/{accept|decline}`: answers; a second answer shows
/// where things stand and sends nothing.
pub async fn answer(state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let Some((token, answer)) = path_parts(&path) else {
        return state.pages.not_found();
    };
    let (policy, now) = (Policy::from_settings(&state.settings), state.clock.naive());
    let t = token.clone();
    let result = db::write(&state.pool, move |conn| {
        store::answer(conn, &t, answer, &policy, now)
    })
    .await;
    match result {
        Ok(Some(s)) => {
            tracing::info!(slot = s.slot.id, status = %s.slot.status, "presenter answered");
            page(&state, StatusCode::OK, &s, &token, answer)
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&anyhow::Error::from(e)),
    }
}
