//! The participant's side of cases, on their magic-link page: the case
//! form (multipart, with the optional attachment), their case's page with
//! its review, recommendations and follow-up, editing a case sent back for
//! revision, and reading another participant's case once it has been
//! presented. A case the viewer may not read is a 404, like a wrong link.

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::json;

use crate::db::{self, DbError};
use crate::echo::cases::{
    self, Case, CaseForm, Upload, CHALLENGES, REVISION_REQUESTED, SETTINGS, SIZE_BANDS,
};
use crate::echo::cohorts::{self, Cohort};
use crate::echo::participants::{self, Applied, ORGANIZATION_TYPES, PARTICIPANT};
use crate::error::ApiError;
use crate::lineup::levers::LEVERS;
use crate::people::contact::STATES;
use crate::upload::{read_text, SpoolError};
use crate::web::fields::options;
use crate::web::token::looks_like_token;
use crate::web::AppState;

/// Text fields longer than this are cut (the form's own limits are lower).
const MAX_TEXT_FIELD: usize = 64 * 1024;
const MAX_FIELDS: usize = 64;

/// Reads the multipart case form: its text fields and the file, if one was
/// chosen. A file over `max_bytes` is kept one byte over, so the check
/// refuses it by size; the rest of it is read and dropped.
async fn read_form(mut payload: Multipart, max_bytes: usize) -> Result<CaseForm, SpoolError> {
    let read = |e: actix_multipart::MultipartError| SpoolError::Read(e.to_string());
    let mut form = CaseForm::default();
    let mut fields = 0;
    while let Some(mut field) = payload.try_next().await.map_err(read)? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(SpoolError::Read("too many fields".into()));
        }
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let limit = if name == "attachment" {
            max_bytes + 1
        } else {
            MAX_TEXT_FIELD
        };
        let (bytes, cut) = read_text(&mut field, limit).await.map_err(read)?;
        if name == "attachment" {
            if let Some(filename) = filename.filter(|f| !f.trim().is_empty()) {
                if !bytes.is_empty() {
                    form.attachment = Some(Upload { filename, bytes });
                }
            }
            continue;
        }
        let text = crate::web::hygiene::field(&name, &bytes, cut).map_err(SpoolError::Refused)?;
        match name.as_str() {
            "title" => form.title = text,
            "organization_type" => form.organization_type = text,
            "size_band" => form.size_band = text,
            "setting" => form.setting = text,
            "state" => form.state = text,
            "challenge" => form.challenge = text,
            "challenge_text" => form.challenge_text = text,
            "tried" => form.tried = text,
            "question" => form.question = text,
            "levers" if !text.trim().is_empty() => form.levers.push(text),
            "preferred_session_id" => form.preferred_session_id = text,
            "attest" => form.attest = !text.trim().is_empty(),
            _ => {}
        }
    }
    Ok(form)
}

/// The participant behind a magic link, with their cohort.
async fn participant(state: &AppState, token: &str) -> Result<Option<(Applied, Cohort)>, DbError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let token = token.to_string();
    db::run(&state.pool, move |conn| {
        participants::by_token(conn, &token).map_err(DbError::from)
    })
    .await
}

/// Where a case form is shown: whose page, which cohort, the sessions it
/// may prefer, and the case being revised (if it is).
struct Place<'a> {
    token: &'a str,
    cohort: &'a Cohort,
    sessions: &'a [(i64, String)],
    editing: Option<&'a Case>,
}

fn form_page(
    state: &AppState,
    status: StatusCode,
    place: &Place,
    form: &CaseForm,
    errors: &[(String, String)],
) -> HttpResponse {
    let Place {
        token,
        cohort,
        sessions,
        editing,
    } = *place;
    let field_errors: serde_json::Map<String, serde_json::Value> =
        errors.iter().map(|(f, m)| (f.clone(), json!(m))).collect();
    let kinds: Vec<(&str, &str)> = ORGANIZATION_TYPES
        .iter()
        .map(|(c, l, _)| (*c, *l))
        .collect();
    let title = if editing.is_some() {
        "Revise your case"
    } else {
        "Submit a case"
    };
    state.pages.private(state.pages.render(
        status,
        "echo/case_form",
        &json!({
            "title": if errors.is_empty() { title.to_string() } else { format!("Error: {title}") },
            "heading": title,
            "token": token,
            "cohort": cohort.name,
            "action": match editing {
                Some(case) => format!("/echo/p/{token}/cases/{}", case.id),
                None => format!("/echo/p/{token}/cases"),
            },
            "editing": editing.map(|c| json!({ "review_message": c.review_message })),
            "form": form,
            "errors": errors.iter().map(|(f, m)| json!({ "field": f, "message": m })).collect::<Vec<_>>(),
            "error": field_errors,
            "has_errors": !errors.is_empty(),
            "organization_types": options(&kinds, &form.organization_type),
            "size_bands": options(SIZE_BANDS, &form.size_band),
            "settings": options(SETTINGS, &form.setting),
            "states": options(STATES, &form.state),
            "challenges": options(CHALLENGES, &form.challenge),
            "levers": LEVERS.iter().map(|(c, l)| json!({ "value": c, "label": l, "checked": form.levers.iter().any(|x| x == c) })).collect::<Vec<_>>(),
            "sessions": sessions.iter().map(|(id, when)| json!({ "value": id, "label": when, "selected": form.preferred_session_id == id.to_string() })).collect::<Vec<_>>(),
            "max_mb": state.settings.echo.attachment_max_mb,
        }),
    ))
}

/// The cohort's sessions a case may prefer, as (id, when).
async fn choosable(state: &AppState, cohort_id: i64) -> Result<Vec<(i64, String)>, DbError> {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        Ok::<_, DbError>(
            cases::open_sessions(conn, cohort_id, now)?
                .into_iter()
                .map(|(s, _)| (s.id, s.when()))
                .collect(),
        )
    })
    .await
}

fn observers_refused(state: &AppState) -> HttpResponse {
    state.pages.message(
        StatusCode::FORBIDDEN,
        "Cases are for participants",
        "You take part in this cohort as an observer: you join the discussions of the cases participants present.",
    )
}

/// `GET /echo/p/{token}/cases/new`
pub async fn new_case(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    let (who, cohort) = match participant(&state, &token).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    if who.application.role != PARTICIPANT {
        return observers_refused(&state);
    }
    let sessions = match choosable(&state, cohort.id).await {
        Ok(s) => s,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let form = CaseForm {
        organization_type: who.application.organization_type.clone(),
        state: who.state.clone(),
        ..Default::default()
    };
    form_page(
        &state,
        StatusCode::OK,
        &Place {
            token: &token,
            cohort: &cohort,
            sessions: &sessions,
            editing: None,
        },
        &form,
        &[],
    )
}

fn max_bytes(state: &AppState) -> usize {
    state.settings.echo.attachment_max_mb as usize * 1024 * 1024
}

/// Reads a posted case form and checks it against the cohort: the checked
/// case, or the page to answer (the form with every message, 422; or 400
/// for a request that is not a readable form).
async fn checked(
    state: &AppState,
    payload: Multipart,
    token: &str,
    cohort: &Cohort,
    editing: Option<&Case>,
) -> Result<cases::NewCase, HttpResponse> {
    let form = read_form(payload, max_bytes(state))
        .await
        .map_err(|e| match e {
            SpoolError::Refused(refusal) => refusal.page(&state.pages),
            e => state.pages.message(
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                &format!("Please send it again ({e})."),
            ),
        })?;
    let sessions = choosable(state, cohort.id)
        .await
        .map_err(|e| state.pages.internal_error(&e.into()))?;
    let ids: Vec<i64> = sessions.iter().map(|(id, _)| *id).collect();
    cases::parse(&form, &ids, max_bytes(state)).map_err(|errors| {
        let place = Place {
            token,
            cohort,
            sessions: &sessions,
            editing,
        };
        form_page(
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &place,
            &form,
            &errors,
        )
    })
}

fn refused(state: &AppState, e: ApiError, back: &str) -> HttpResponse {
    crate::auth::forms::refused(state, e, back)
}

/// `POST /echo/p/{token}/cases` (multipart): 422 with every problem, or on
/// to the new case's page.
pub async fn create_case(
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: Multipart,
) -> HttpResponse {
    let token = path.into_inner();
    let (who, cohort) = match participant(&state, &token).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    if who.application.role != PARTICIPANT {
        return observers_refused(&state);
    }
    let new = match checked(&state, payload, &token, &cohort, None).await {
        Ok(new) => new,
        Err(page) => return page,
    };
    let (public, now) = (state.settings.http.public_url.clone(), state.clock.naive());
    match db::write(&state.pool, move |conn| {
        cases::submit(conn, &who, &new, &public, now)
    })
    .await
    {
        Ok(case) => crate::auth::forms::see_other(&format!("/echo/p/{token}/cases/{}", case.id)),
        Err(e) => refused(&state, e, &format!("/echo/p/{token}")),
    }
}

/// A case the participant may read, with what its page shows.
async fn readable(
    state: &AppState,
    token: &str,
    id: i64,
) -> Result<Option<(Applied, Cohort, Case)>, DbError> {
    let Some((who, cohort)) = participant(state, token).await? else {
        return Ok(None);
    };
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let Some(case) = cases::find(conn, id)? else {
            return Ok(None);
        };
        if !cases::visible_to(conn, &case, &who, now)? {
            return Ok(None);
        }
        Ok(Some((who, cohort, case)))
    })
    .await
}

/// `GET /echo/p/{token}/cases/{id}`
pub async fn case_page(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> HttpResponse {
    let (token, id) = path.into_inner();
    let (who, cohort, case) = match readable(&state, &token, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let extra = db::run(&state.pool, move |conn| {
        let file = cases::attachment_info(conn, id)?;
        let session = match case.session_id {
            Some(s) => cohorts::sessions_of(conn, case.cohort_id)?
                .into_iter()
                .find(|(x, _)| x.id == s)
                .map(|(x, _)| x.when()),
            None => None,
        };
        let presenter = participants::find(conn, case.application_id)?;
        Ok::<_, DbError>((case, file, session, presenter))
    })
    .await;
    let (case, file, session, presenter) = match extra {
        Ok(found) => found,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let own = case.application_id == who.application.id;
    state.pages.private(state.pages.ok(
        "echo/case",
        &json!({
            "title": case.title,
            "token": token,
            "cohort": cohort.name,
            "case": case.view(),
            "own": own,
            "presenter": presenter.map(|p| format!("{} {}, {}", p.first_name, p.last_name, p.organization)),
            "session": session,
            "attachment": file.map(|f| json!({ "filename": f.filename, "kb": (f.size_bytes + 1023) / 1024 })),
            "can_edit": own && case.status == REVISION_REQUESTED,
            "ask_follow_up": own && case.follow_up_sent_at.is_some(),
        }),
    ))
}

/// `GET /echo/p/{token}/cases/{id}/attachment`: for whoever may read the case.
pub async fn case_attachment(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> HttpResponse {
    let (token, id) = path.into_inner();
    match readable(&state, &token, id).await {
        Ok(Some(_)) => {}
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    }
    match db::run(&state.pool, move |conn| {
        cases::attachment_bytes(conn, id).map_err(DbError::from)
    })
    .await
    {
        Ok(Some((filename, content_type, bytes))) => download(&filename, &content_type, bytes),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// A stored attachment as a download: never shown inline, never sniffed,
/// never cached (`files::disposition` names it).
pub fn download(filename: &str, content_type: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(crate::files::disposition(filename, false))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// The participant's own case, sent back for revision.
async fn editable(
    state: &AppState,
    token: &str,
    id: i64,
) -> Result<Option<(Applied, Cohort, Case)>, DbError> {
    Ok(readable(state, token, id).await?.filter(|(who, _, case)| {
        case.application_id == who.application.id && case.status == REVISION_REQUESTED
    }))
}

/// `GET /echo/p/{token}/cases/{id}/edit`: the form, filled in, while the
/// facilitators ask for a revision.
pub async fn edit_case(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> HttpResponse {
    let (token, id) = path.into_inner();
    let (_, cohort, case) = match editable(&state, &token, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let sessions = match choosable(&state, cohort.id).await {
        Ok(s) => s,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let form = CaseForm {
        title: case.title.clone(),
        organization_type: case.organization_type.clone(),
        size_band: case.size_band.clone(),
        setting: case.setting.clone(),
        state: case.state.clone(),
        challenge: case.challenge.clone(),
        challenge_text: case.challenge_text.clone(),
        tried: case.tried.clone(),
        question: case.question.clone(),
        levers: crate::lineup::levers::from_column(&case.levers)
            .iter()
            .map(|s| s.to_string())
            .collect(),
        preferred_session_id: case
            .preferred_session_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        attest: false,
        attachment: None,
    };
    form_page(
        &state,
        StatusCode::OK,
        &Place {
            token: &token,
            cohort: &cohort,
            sessions: &sessions,
            editing: Some(&case),
        },
        &form,
        &[],
    )
}

/// `POST /echo/p/{token}/cases/{id}` (multipart): the revision.
pub async fn update_case(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    payload: Multipart,
) -> HttpResponse {
    let (token, id) = path.into_inner();
    let (who, cohort, case) = match editable(&state, &token, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let new = match checked(&state, payload, &token, &cohort, Some(&case)).await {
        Ok(new) => new,
        Err(page) => return page,
    };
    let (public, now) = (state.settings.http.public_url.clone(), state.clock.naive());
    let back = format!("/echo/p/{token}/cases/{id}");
    match db::write(&state.pool, move |conn| {
        cases::resubmit(conn, &who, id, &new, &public, now)
    })
    .await
    {
        Ok(_) => crate::auth::forms::see_other(&back),
        Err(e) => refused(&state, e, &back),
    }
}

#[derive(Debug, Deserialize)]
pub struct FollowUpForm {
    #[serde(default)]
    answer: String,
}

/// `POST /echo/p/{token}/cases/{id}/follow-up`: what happened since.
pub async fn follow_up(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<FollowUpForm>,
) -> HttpResponse {
    let (token, id) = path.into_inner();
    let (who, _, _) = match readable(&state, &token, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let now = state.clock.naive();
    let answer = form.into_inner().answer;
    let back = format!("/echo/p/{token}/cases/{id}");
    match db::write(&state.pool, move |conn| {
        cases::answer_follow_up(conn, &who, id, &answer, now)
    })
    .await
    {
        Ok(_) => crate::auth::forms::see_other(&format!("{back}#follow-up")),
        Err(e) => refused(&state, e, &back),
    }
}

/// The participant's case pages, reached by their magic link.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/echo/p/{token}/cases/new", new_case)
        .post("/echo/p/{token}/cases", create_case)
        .get("/echo/p/{token}/cases/{id}", case_page)
        .post("/echo/p/{token}/cases/{id}", update_case)
        .get("/echo/p/{token}/cases/{id}/edit", edit_case)
        .get("/echo/p/{token}/cases/{id}/attachment", case_attachment)
        .post("/echo/p/{token}/cases/{id}/follow-up", follow_up);
}
