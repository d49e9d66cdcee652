//! Working groups for organizers — the API, the pages and the CSV — and the
//! public leave link their mail carries (`/wg/{token}`, one-click too).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Need, PageUser};
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::interest::groups::{self, Asked, Leave, MailSettings, Member};
use crate::lineup::levers;
use crate::mail::address::mask;
use crate::mail::group::GroupMessage;
use crate::web::token::looks_like_token;
use crate::web::AppState;

/// A lever's working group, counted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingGroupCount {
    /// The lever's code.
    pub lever: String,
    pub label: String,
    pub members: i64,
    /// Of them, marked contacted.
    pub contacted: i64,
}

/// Every lever's working group, in the levers' order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingGroups {
    pub groups: Vec<WorkingGroupCount>,
}

/// One lever's working group: who signed up, in that order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingGroup {
    pub lever: String,
    pub label: String,
    pub members: Vec<Member>,
}

/// What a message to a working group did (or, previewed, would do).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingGroupMessage {
    pub lever: String,
    pub recipients: i64,
    /// E-mails queued by this request: 0 for a preview or a repeat.
    pub queued: usize,
    /// True when this message was sent before: nothing more went.
    pub repeat: bool,
    pub preview: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMessageBody {
    /// One line, up to 200 characters.
    subject: Option<String>,
    /// Plain text, up to 20 000 characters; blank lines part paragraphs.
    body: Option<String>,
    /// Count who it would go to; send nothing.
    #[serde(default)]
    preview: bool,
    /// The same key with the same words sends once; without one, the same
    /// words to the same group do.
    idempotency_key: Option<String>,
}

fn asked(b: GroupMessageBody) -> Result<Asked, ApiError> {
    let (message, nonce) =
        GroupMessage::parse_with_key(b.subject.as_deref(), b.body.as_deref(), b.idempotency_key)
            .map_err(ApiError::fields)?;
    Ok(Asked {
        message,
        nonce,
        preview: b.preview,
    })
}

fn mail_settings(state: &AppState) -> MailSettings {
    MailSettings {
        public: state.settings.http.public_url.clone(),
        postal_address: state.settings.mail.postal_address.clone(),
        key: state.settings.link_key().clone(),
    }
}

fn group_counts(rows: Vec<(String, i64, i64)>) -> Vec<WorkingGroupCount> {
    rows.into_iter()
        .map(|(lever, members, contacted)| WorkingGroupCount {
            label: levers::label(&lever).unwrap_or_default().to_string(),
            lever,
            members,
            contacted,
        })
        .collect()
}

/// How many signed up to each lever's working group, and how many of them
/// were contacted.
#[utoipa::path(get, path = "/api/v1/working-groups", tag = "lineups", security(("bearer" = [])),
    responses((status = 200, description = "Every lever's group", body = WorkingGroups),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody)))]
pub async fn api_list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let rows = db::run(&state.pool, |conn| {
        groups::counts(conn).map_err(DbError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WorkingGroups {
        groups: group_counts(rows),
    }))
}

/// One lever's working group: who signed up, and whether each was contacted.
#[utoipa::path(get, path = "/api/v1/working-groups/{lever}", tag = "lineups", security(("bearer" = [])),
    params(("lever" = String, Path, description = "A lever's code, e.g. `payment`")),
    responses((status = 200, description = "The group", body = WorkingGroup),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such lever", body = crate::error::ErrorBody)))]
pub async fn api_group(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (lever, members) = lever_members(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(WorkingGroup {
        lever: lever.to_string(),
        label: levers::label(lever).unwrap_or_default().to_string(),
        members,
    }))
}

/// Marks a sign-up contacted (audited); marking it again keeps the first time.
#[utoipa::path(post, path = "/api/v1/working-groups/members/{id}/contacted", tag = "lineups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The sign-up's id")),
    responses((status = 200, description = "Marked", body = Member),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such sign-up", body = crate::error::ErrorBody)))]
pub async fn api_contacted(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let (id, actor, now) = (path.into_inner(), user.actor(), state.clock.naive());
    let member = db::write(&state.pool, move |conn| {
        groups::mark_contacted(conn, &actor, id, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(member))
}

/// Writes one e-mail to a lever's working group through the outbox, as
/// list mail whose one-click unsubscribe takes the person out of the
/// group; audited. `preview` counts them and sends nothing.
#[utoipa::path(post, path = "/api/v1/working-groups/{lever}/message", tag = "lineups", security(("bearer" = [])),
    params(("lever" = String, Path, description = "A lever's code")), request_body = GroupMessageBody,
    responses((status = 200, description = "Queued, previewed, or already sent", body = WorkingGroupMessage),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such lever", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn api_message(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<GroupMessageBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let lever = groups::lever(&path.into_inner())?;
    let asked = asked(body.into_inner())?;
    let preview = asked.preview;
    let (actor, now, settings) = (user.actor(), state.clock.naive(), mail_settings(&state));
    let sent = db::write(&state.pool, move |conn| {
        groups::send(conn, &actor, &settings, lever, &asked, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WorkingGroupMessage {
        lever: lever.to_string(),
        recipients: sent.recipients,
        queued: sent.queued,
        repeat: sent.repeat,
        preview,
    }))
}

/// One lever's working group as a CSV file for spreadsheets (the page's
/// download): UTF-8 with a byte-order mark, CRLF line ends, formula-like
/// cells quoted with `'`, times in UTC.
#[utoipa::path(get, path = "/api/v1/working-groups/{lever}/members.csv", tag = "lineups", security(("bearer" = [])),
    params(("lever" = String, Path, description = "A lever's code, e.g. `payment`")),
    responses((status = 200, description = "The CSV file (`text/csv`), as an attachment `working-group-{lever}.csv`", body = String, content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such lever", body = crate::error::ErrorBody)))]
pub async fn api_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let (lever, members) = lever_members(&state, path.into_inner()).await?;
    members_csv(lever, &members).map_err(ApiError::Internal)
}

/// The lever `code` names and its group, or a 404 naming the levers.
async fn lever_members(
    state: &AppState,
    code: String,
) -> Result<(&'static str, Vec<Member>), ApiError> {
    let lever = groups::lever(&code)?;
    let members = db::run(&state.pool, move |conn| {
        groups::members(conn, lever).map_err(DbError::from)
    })
    .await?;
    Ok((lever, members))
}

/// The one CSV of a lever's group, for the API and the page.
fn members_csv(lever: &str, members: &[Member]) -> anyhow::Result<HttpResponse> {
    let header = [
        "First name",
        "Last name",
        "E-mail",
        "Organization",
        "Joined (UTC)",
        "Contacted (UTC)",
    ];
    let rows = members.iter().map(|m| {
        vec![
            m.first_name.clone(),
            m.last_name.clone(),
            m.email.clone(),
            m.organization.clone(),
            utc(m.joined_at),
            m.contacted_at.map(utc).unwrap_or_default(),
        ]
    });
    let body = crate::web::csv::spreadsheet_csv(&header, rows)?;
    Ok(crate::web::csv::csv_download(
        &format!("working-group-{lever}.csv"),
        body,
    ))
}

// ------------------------------------------------------------ pages

fn utc(t: chrono::NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `GET /organizer/working-groups`: each lever's count, linked to its page.
pub async fn page(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    match db::run(&state.pool, |conn| {
        groups::counts(conn).map_err(DbError::from)
    })
    .await
    {
        Ok(rows) => state.pages.private(state.pages.ok(
            "organizer/working_groups",
            &json!({ "title": "Working groups", "groups": group_counts(rows) }),
        )),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /organizer/working-groups/{lever}`: the people, contacted or not,
/// a button per person to mark them, the CSV, and the message form.
pub async fn group_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    let Ok(lever) = groups::lever(&path.into_inner()) else {
        return state.pages.not_found();
    };
    let loaded = db::run(&state.pool, move |conn| {
        let members = groups::members(conn, lever)?;
        let sent = crate::mail::group::history(conn, None, Some(lever), 20)?;
        Ok::<_, DbError>((members, sent))
    })
    .await;
    let (members, sent) = match loaded {
        Ok(found) => found,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let label = levers::label(lever).unwrap_or_default();
    let contacted = members.iter().filter(|m| m.contacted_at.is_some()).count();
    state.pages.private(state.pages.ok(
        "organizer/working_group",
        &json!({
            "title": format!("{label} working group"),
            "lever": lever,
            "label": label,
            "csrf": user.csrf,
            "can_change": user.user.role().allows(Need::Organize),
            "count": members.len(),
            "contacted": contacted,
            "key": crate::web::token::new_token(),
            "members": members.iter().map(|m| json!({
                "id": m.id,
                "name": format!("{} {}", m.first_name, m.last_name),
                "email": m.email,
                "organization": m.organization,
                "joined": utc(m.joined_at),
                "contacted": m.contacted_at.map(utc),
            })).collect::<Vec<_>>(),
            "sent": sent.iter().map(|m| json!({
                "subject": m.subject, "recipients": m.recipients, "at": utc(m.created_at),
            })).collect::<Vec<_>>(),
        }),
    ))
}

/// `GET /organizer/working-groups/{lever}/members.csv`: the group for a
/// spreadsheet, formula-safe.
pub async fn group_csv(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    match lever_members(&state, path.into_inner()).await {
        Ok((lever, members)) => {
            members_csv(lever, &members).unwrap_or_else(|e| state.pages.internal_error(&e))
        }
        Err(ApiError::NotFound(_)) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /organizer/working-groups/members/{id}/contacted`: back to the
/// member's group.
pub async fn page_contacted(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = path.into_inner();
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Organize,
        "/organizer/working-groups".into(),
        move |conn, actor, _, now| {
            let member = groups::mark_contacted(conn, actor, id, now)?;
            Ok(format!("/organizer/working-groups/{}", member.lever))
        },
    )
    .await
}

/// `POST /organizer/working-groups/{lever}/message`: the group page's form
/// (the API's fields; its key drawn when the page was shown).
pub async fn page_message(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let code = path.into_inner();
    let back = format!("/organizer/working-groups/{code}");
    let settings = mail_settings(&state);
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Organize,
        back.clone(),
        move |conn, actor, form, now| {
            let mut asked = asked(form.body(&[])?)?;
            asked.preview = false;
            groups::send(conn, actor, &settings, &code, &asked, now)?;
            Ok(back.clone())
        },
    )
    .await
}

// ------------------------------------------------------------ leave link

/// `GET /wg/{token}`: says what the button would do; changes nothing. A
/// link already used says the group was left.
pub async fn leave_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    let t = token.clone();
    let found = db::run(&state.pool, move |conn| {
        groups::look_up(conn, &t).map_err(DbError::from)
    })
    .await;
    leave_answer(&state, found, Some(&token))
}

/// `POST /wg/{token}`: the page's button, or a mail program's one-click
/// request (RFC 8058): leaves the group at once, whatever the body. Used
/// again, it says the group was left, as the first time.
pub async fn leave(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    let now = state.clock.naive();
    let left = db::write(&state.pool, move |conn| {
        groups::leave(conn, &token, now).map_err(DbError::from)
    })
    .await;
    leave_answer(&state, left, None)
}

/// The leave page: a button posting `button` (the link's token) while its
/// person is in the group; else that the group was left, naming the
/// address only to whoever has just left.
fn leave_answer(
    state: &AppState,
    found: Result<Leave, DbError>,
    button: Option<&str>,
) -> HttpResponse {
    let (group, email, button) = match found {
        Ok(Leave::Member(lever, email)) => (lever, mask(&email), button),
        Ok(Leave::Spent(lever)) => (lever, String::new(), None),
        Ok(Leave::Unknown) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let done = button.is_none();
    let title = if done {
        "You've left the working group"
    } else {
        "Leave the working group"
    };
    state.pages.private(state.pages.ok(
        "working_group_leave",
        &json!({
            "title": title,
            "group": levers::label(&group).unwrap_or_default(),
            "email": email,
            "token": button.unwrap_or_default(),
            "done": done,
        }),
    ))
}
