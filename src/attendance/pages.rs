//! Attendance on the session's organizer page: upload a report, mark
//! someone by hand. Both run the API's checks and store operations.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde_json::json;

use crate::attendance::handlers::{date_order, expected, import_file, marked, MarkBody};
use crate::attendance::import::{Asked, Imported};
use crate::attendance::store;
use crate::audit::Actor;
use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbConnection};
use crate::echo::facilitators;
use crate::error::ApiError;
use crate::upload;
use crate::web::AppState;

fn session_page(id: i64) -> String {
    format!("/organizer/sessions/{id}")
}

/// `POST /organizer/sessions/{id}/attendance` (multipart: `csrf`, `format`
/// — `auto` by default —, `date_order`, `file`, and `check` to only see
/// what the file would give: a page of its numbers, nothing written).
pub async fn upload(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let (id, who) = (path.into_inner(), user.caller());
    let limit = state.settings.attendance.report_max_bytes();
    let mut form = match upload::read_form(payload, &std::env::temp_dir(), |_| limit).await {
        Ok(form) => form,
        Err(e) => return forms::refused(&state, e.into(), &session_page(id)),
    };
    let file = form.file.take();
    let spooled = file
        .as_ref()
        .map(|(f, _)| (f.path().to_path_buf(), f.sha256().to_string()));
    let too_large = form.too_large.take().map(|e| ApiError::from(e).to_string());
    let posted = Posted::from_pairs(form.fields);
    let check = posted.get("check").is_some();
    let import = move |conn: &mut DbConnection, actor: &Actor, form: &Posted, now| {
        let (session, _) = facilitators::session(conn, who, Need::Record, id)?;
        if let Some(message) = &too_large {
            return Err(ApiError::TooLarge(message.clone()));
        }
        let Some((path, sha256)) = &spooled else {
            return Err(ApiError::fields(vec![(
                "file".into(),
                "choose a file".into(),
            )]));
        };
        let asked = Asked {
            format: expected(form.get("format").unwrap_or("auto"))?,
            date_order: date_order(form.get("date_order"))?,
            dry_run: check,
        };
        import_file(conn, actor, &session, asked, path, sha256, now)
    };
    let response = if check {
        checked(&state, &user, posted, id, import).await
    } else {
        forms::submit(
            &state,
            &user,
            posted,
            Need::Record,
            session_page(id),
            move |conn, actor, form, now| import(conn, actor, form, now).map(|_| session_page(id)),
        )
        .await
    };
    drop(file);
    response
}

/// The check step: what the file would give, on a page; nothing written.
async fn checked<F>(
    state: &AppState,
    user: &PageUser,
    posted: Posted,
    id: i64,
    import: F,
) -> HttpResponse
where
    F: Fn(&mut DbConnection, &Actor, &Posted, NaiveDateTime) -> Result<Imported, ApiError>
        + Send
        + Sync
        + 'static,
{
    if let Some(refused) = forms::refusal(state, user, &posted, Need::Record) {
        return refused;
    }
    let (actor, now) = (user.actor(), state.clock.naive());
    match db::write(&state.pool, move |conn| import(conn, &actor, &posted, now)).await {
        Ok(done) => state.pages.render(
            StatusCode::OK,
            "organizer/attendance_check",
            &json!({
                "title": "What this report would give",
                "check": done,
                "back": session_page(id),
            }),
        ),
        Err(e) => forms::refused(state, e, &session_page(id)),
    }
}

/// `POST /organizer/sessions/{id}/attendance/mark` (`email`, `attended`
/// ticked or not, `minutes`, `reason`).
pub async fn mark(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (id, who) = (path.into_inner(), user.caller());
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Record,
        session_page(id),
        move |conn, actor, form, now| {
            let (session, _) = facilitators::session(conn, who, Need::Record, id)?;
            let minutes = match form.get("minutes") {
                Some(m) => Some(m.parse::<i64>().map_err(|_| {
                    ApiError::fields(vec![(
                        "minutes".into(),
                        format!("`{m}` is not a number of minutes"),
                    )])
                })?),
                None => None,
            };
            let body = MarkBody::from_form(
                form.get("email"),
                form.ticked("attended"),
                minutes,
                form.get("reason"),
            );
            let (email, attended, minutes, reason) = marked(&body)?;
            store::mark(
                conn, actor, &session, &email, attended, minutes, &reason, now,
            )?;
            Ok(session_page(id))
        },
    )
    .await
}
