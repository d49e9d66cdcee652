//! Attendance on the session's organizer page: upload a report, mark
//! someone by hand. Both run the API's checks and store operations.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;

use crate::app::AppState;
use crate::attendance::handlers::{marked, read, MarkBody, MAX_REPORT_BYTES};
use crate::attendance::store;
use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::error::ApiError;
use crate::series::model;

fn session_page(id: i64) -> String {
    format!("/organizer/sessions/{id}")
}

/// The multipart upload's text fields, and the file's bytes (empty when
/// none was chosen); a file over the limit is cut one byte over, so the
/// refusal says so.
async fn read_upload(
    mut payload: Multipart,
) -> Result<(Vec<(String, String)>, Vec<u8>, bool), String> {
    let (mut pairs, mut file, mut too_big) = (Vec::new(), Vec::new(), false);
    while let Some(mut field) = payload.try_next().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|e| e.to_string())? {
            let limit = if name == "file" {
                MAX_REPORT_BYTES
            } else {
                4096
            };
            if bytes.len() + chunk.len() > limit {
                too_big |= name == "file";
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = bytes;
        } else {
            pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok((pairs, file, too_big))
}

/// `POST /organizer/sessions/{id}/attendance` (multipart: `csrf`, `format`,
/// `file`).
pub async fn upload(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let (id, role) = (path.into_inner(), user.user.role());
    let (pairs, file, too_big) = match read_upload(payload).await {
        Ok(read) => read,
        Err(e) => {
            return forms::refused(
                &state,
                ApiError::invalid(format!("The upload could not be read ({e}).")),
                &session_page(id),
            )
        }
    };
    forms::submit(
        &state,
        &user,
        Posted::from_pairs(pairs),
        Need::Read,
        session_page(id),
        move |conn, actor, form, now| {
            if file.is_empty() || too_big {
                return Err(ApiError::Invalid {
                    message: "Choose the report file.".into(),
                    fields: vec![(
                        "file".into(),
                        if too_big {
                            "the file is larger than 64 MB".into()
                        } else {
                            "choose a file".into()
                        },
                    )],
                });
            }
            let (report, sha256) = read(form.get("format").unwrap_or("zoom"), &file)?;
            let (session, _) = model::find_session(conn, id)?
                .ok_or_else(|| ApiError::NotFound(format!("no session {id}")))?;
            store::check_may_record(conn, role, id)?;
            store::import(conn, actor, &session, &report, &sha256, now, &|_| {})?;
            Ok(session_page(id))
        },
    )
    .await
}

/// `POST /organizer/sessions/{id}/attendance/mark` (`email`, `attended`
/// ticked or not, `minutes`, `reason`).
pub async fn mark(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (id, role) = (path.into_inner(), user.user.role());
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Read,
        session_page(id),
        move |conn, actor, form, now| {
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
            let (session, _) = model::find_session(conn, id)?
                .ok_or_else(|| ApiError::NotFound(format!("no session {id}")))?;
            store::check_may_record(conn, role, id)?;
            store::mark(
                conn, actor, &session, &email, attended, minutes, &reason, now,
            )?;
            Ok(session_page(id))
        },
    )
    .await
}
