//! Attendance on the session's organizer page: upload a report, mark
//! someone by hand. Both run the API's checks and store operations.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;

use crate::app::AppState;
use crate::attendance::handlers::{expected, import_file, marked, MarkBody};
use crate::attendance::store;
use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::error::ApiError;
use crate::series::model;
use crate::upload::{self, SpoolError, Spooled};

fn session_page(id: i64) -> String {
    format!("/organizer/sessions/{id}")
}

/// The multipart upload's text fields, and the file spooled to disk:
/// `Ok(None)` when none was chosen, `Err` when it is refused (too large).
type Upload = (Vec<(String, String)>, Result<Option<Spooled>, ApiError>);

async fn read_upload(mut payload: Multipart, limit: u64) -> Result<Upload, SpoolError> {
    let read = |e: actix_multipart::MultipartError| SpoolError::Read(e.to_string());
    let (mut pairs, mut file) = (Vec::new(), Ok(None));
    while let Some(mut field) = payload.try_next().await.map_err(read)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            file = match upload::spool(&mut field, limit).await {
                Ok(spooled) => Ok(Some(spooled).filter(|s| !s.is_empty())),
                Err(e @ SpoolError::TooLarge { .. }) => {
                    upload::discard(&mut field).await?;
                    Err(e.into())
                }
                Err(e) => return Err(e),
            };
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(read)? {
            if bytes.len() + chunk.len() <= 4096 {
                bytes.extend_from_slice(&chunk);
            }
        }
        pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok((pairs, file))
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
    let limit = state.settings.attendance.report_max_bytes();
    let (pairs, file) = match read_upload(payload, limit).await {
        Ok(read) => read,
        Err(e) => return forms::refused(&state, e.into(), &session_page(id)),
    };
    let spooled = match &file {
        Ok(Some(f)) => Ok((f.path().to_path_buf(), f.sha256().to_string())),
        Ok(None) => Err(None),
        Err(e) => Err(Some(e.to_string())),
    };
    let response = forms::submit(
        &state,
        &user,
        Posted::from_pairs(pairs),
        Need::Read,
        session_page(id),
        move |conn, actor, form, now| {
            let (path, sha256) = match &spooled {
                Ok(spooled) => spooled,
                Err(None) => {
                    return Err(ApiError::fields(vec![(
                        "file".into(),
                        "choose a file".into(),
                    )]))
                }
                Err(Some(too_large)) => return Err(ApiError::TooLarge(too_large.clone())),
            };
            let want = expected(form.get("format").unwrap_or("zoom"))?;
            import_file(conn, actor, role, id, want, path, sha256, now)?;
            Ok(session_page(id))
        },
    )
    .await;
    drop(file);
    response
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
            let (session, _) = model::session_or_404(conn, id)?;
            store::check_may_record(conn, role, id)?;
            store::mark(
                conn, actor, &session, &email, attended, minutes, &reason, now,
            )?;
            Ok(session_page(id))
        },
    )
    .await
}
