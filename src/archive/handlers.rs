//! The materials API and downloads: upload (multipart, streamed to a
//! spool file, checked by content, kept under its SHA-256) or link, list,
//! change, remove; `GET /materials/{id}` for anyone once published (never
//! an ECHO cohort's), `/organizer/materials/{id}` for the signed-in.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::archive::domain::{self, Kind, Link, MAX_TITLE_CHARS};
use crate::archive::store::{
    self, Changes, Material, MaterialView, NewMaterial, Source, StoredFile,
};
use crate::audit::Actor;
use crate::auth::{ApiUser, Caller, Need, PageUser};
use crate::content::{self, Content};
use crate::db::{self, DbConnection, DbError};
use crate::echo::facilitators;
use crate::error::ApiError;
use crate::files::{self, Cache, Described};
use crate::series::model;
use crate::upload::{self, Form, SpoolError};
use crate::web::routes::Routes;
use crate::web::AppState;

/// Reads a multipart materials form (`upload::read_form`) into the spool
/// folder, the file cut off at its kind's limit when `kind` came before it
/// (as the page's form sends it), else at the largest.
pub async fn read_form(payload: Multipart, state: &AppState) -> Result<Form, SpoolError> {
    let settings = &state.settings.archive;
    upload::read_form(payload, &settings.spool_dir, |form| {
        form.get("kind")
            .and_then(|k| k.parse::<Kind>().ok())
            .map_or(settings.recording_max_bytes(), |k| k.max_bytes(settings))
    })
    .await
}

/// 404 unless session `id` exists (and, for a facilitator, is one of
/// their cohorts'); 403 unless `who` may change its materials.
pub fn check_session(conn: &mut DbConnection, who: Caller, id: i64) -> Result<(), ApiError> {
    facilitators::session(conn, who, Need::Record, id).map(drop)
}

fn text_field(form: &Form, name: &str, errors: &mut Vec<(String, String)>) -> Option<String> {
    let value = form.get(name)?;
    if value.chars().count() > MAX_TITLE_CHARS {
        errors.push((name.into(), format!("at most {MAX_TITLE_CHARS} characters")));
    }
    Some(value.to_string())
}

/// `true`, `on` (a ticked box), `yes`, `1`.
fn truthy(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "1"))
}

/// Checks a materials form for session `session_id` and keeps its file:
/// 422 with a message per field at fault, 413 for a file over its kind's
/// limit, 415 for content its kind does not take. The file is kept (under
/// its SHA-256) only once it is known good; the caller writes the row.
pub async fn prepare(
    state: &AppState,
    session_id: i64,
    form: &Form,
) -> Result<NewMaterial, ApiError> {
    let mut errors = Vec::new();
    let kind = match form.get("kind").map(str::parse::<Kind>) {
        Some(Ok(kind)) => Some(kind),
        Some(Err(e)) => {
            errors.push(("kind".to_string(), e));
            None
        }
        None => {
            errors.push(("kind".into(), "choose what this is".into()));
            None
        }
    };
    let title = text_field(form, "title", &mut errors);
    let presenter = text_field(form, "presenter", &mut errors).unwrap_or_default();
    let link = match form.get("url").map(str::parse::<Link>) {
        Some(Ok(link)) => Some(link),
        Some(Err(e)) => {
            errors.push(("url".into(), e));
            None
        }
        None => None,
    };
    let has_file = form.file.is_some() || form.too_large.is_some();
    if has_file && form.get("url").is_some() {
        errors.push(("url".into(), "give a file or a link, not both".into()));
    } else if !has_file && form.get("url").is_none() {
        errors.push(("file".into(), "choose a file, or give a link".into()));
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(ApiError::fields(errors));
    };
    let settings = &state.settings.archive;
    let too_large = || {
        ApiError::TooLarge(format!(
            "Not accepted: {} may be at most {} MB.",
            kind.label(),
            content::megabytes(kind.max_bytes(settings))
        ))
    };
    if form.too_large.is_some() {
        return Err(too_large());
    }
    let new = |source| NewMaterial {
        session_id,
        kind,
        title: title.clone().unwrap_or_else(|| kind.label().to_string()),
        presenter: presenter.clone(),
        published: truthy(form.get("published")),
        source,
    };
    let Some((file, name)) = &form.file else {
        let link = link.expect("a link when no file: checked above");
        return Ok(new(Source::Link(link)));
    };
    if file.len() > kind.max_bytes(settings) {
        return Err(too_large());
    }
    let (path, len) = (file.path().to_path_buf(), file.len());
    let found = tokio::task::spawn_blocking(move || {
        content::identify(&mut std::fs::File::open(path)?, len)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::Internal(anyhow::Error::from(e).context("reading an upload")))?;
    if !kind.accepts(found) {
        return Err(ApiError::UnsupportedMediaType(domain::refusal(kind, found)));
    }
    let (Some(media_type), Some(extension)) = (found.media_type(), found.extension()) else {
        return Err(ApiError::UnsupportedMediaType(domain::refusal(kind, found)));
    };
    state
        .storage
        .put_file(file.sha256(), file.path())
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::from(e).context("keeping an upload")))?;
    Ok(new(Source::File(StoredFile {
        sha256: file.sha256().to_string(),
        size: file.len(),
        media_type,
        filename: content::safe_filename(name, extension, kind.as_str()),
    })))
}

/// A material added, or the one the same file already is.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AddedMaterial {
    pub material: MaterialView,
    /// True when the file was already among the session's materials
    /// (nothing added: 200, not 201).
    pub duplicate: bool,
    /// Says so, on a duplicate only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

/// One material, after a change.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChangedMaterial {
    pub material: MaterialView,
}

/// A session's materials.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MaterialList {
    pub materials: Vec<MaterialView>,
}

/// Adds a material to a session (multipart: `kind` — `slides`, `recording`,
/// `transcript`, `chat` or `document` — then `title`, `presenter`,
/// `published`, and `file` or `url`). The same file again answers the
/// material it already is (`"duplicate": true`, 200).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/materials", tag = "archive", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    request_body(content_type = "multipart/form-data", description = "kind, title, presenter, published, and file or url"),
    responses((status = 201, description = "Added", body = AddedMaterial), (status = 200, description = "Already there: `duplicate`", body = AddedMaterial),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than its kind may be", body = crate::error::ErrorBody),
        (status = 415, description = "Not content its kind takes", body = crate::error::ErrorBody),
        (status = 422, description = "A field at fault", body = crate::error::ErrorBody)))]
pub async fn add(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Record)?;
    let (id, who) = (path.into_inner(), user.caller());
    db::run(&state.pool, move |conn| check_session(conn, who, id)).await?;
    let form = read_form(payload, &state).await?;
    let new = prepare(&state, id, &form).await?;
    let (actor, now) = (user.actor(), state.clock.naive());
    let (material, added) = db::write(&state.pool, move |conn| {
        check_session(conn, who, new.session_id)?;
        store::insert(conn, &actor, &new, now)
    })
    .await?;
    let body = AddedMaterial {
        material: material.view(),
        duplicate: !added,
        message: (!added).then_some("This file is already among the session's materials."),
    };
    if added {
        Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/materials/{}", material.id),
            ))
            .json(body))
    } else {
        Ok(HttpResponse::Ok().json(body))
    }
}

/// A session's materials, published or not.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/materials", tag = "archive", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, description = "The materials", body = MaterialList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such session", body = crate::error::ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::SeeCohort)?;
    let (id, who) = (path.into_inner(), user.caller());
    let rows = db::run(&state.pool, move |conn| {
        facilitators::session(conn, who, Need::SeeCohort, id)?;
        Ok::<_, ApiError>(store::for_session(conn, id, false)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(MaterialList {
        materials: rows.iter().map(Material::view).collect(),
    }))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub presenter: Option<String>,
    pub published: Option<bool>,
}

/// `body` checked against `material`: a kind must still take its file.
pub fn changes(material: &Material, body: &ChangeBody) -> Result<Changes, ApiError> {
    let mut errors = Vec::new();
    let kind = match body.kind.as_deref().map(str::parse::<Kind>) {
        Some(Ok(kind)) => {
            let content = material
                .media_type
                .as_deref()
                .and_then(Content::from_media_type);
            if content.is_some_and(|c| !kind.accepts(c)) {
                errors.push((
                    "kind".to_string(),
                    format!(
                        "this file cannot be {}: they must be {}",
                        kind.label().to_lowercase(),
                        kind.wanted()
                    ),
                ));
            }
            Some(kind)
        }
        Some(Err(e)) => {
            errors.push(("kind".into(), e));
            None
        }
        None => None,
    };
    let mut text = |name: &str, value: &Option<String>, required: bool| {
        let value = value.as_deref().map(str::trim)?;
        if required && value.is_empty() {
            errors.push((name.to_string(), "must not be empty".into()));
        } else if value.chars().count() > MAX_TITLE_CHARS {
            errors.push((
                name.to_string(),
                format!("at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        Some(value.to_string())
    };
    let title = text("title", &body.title, true);
    let presenter = text("presenter", &body.presenter, false);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok(Changes {
        kind,
        title,
        presenter,
        published: body.published,
    })
}

/// Material `id` if `who` may do `need` to its session; the same 404 as
/// for no such material when its cohort is not the facilitator's.
pub fn material_for(
    conn: &mut DbConnection,
    who: Caller,
    need: Need,
    id: i64,
) -> Result<Material, ApiError> {
    let no_material = || ApiError::NotFound(format!("no material {id}"));
    let material = store::find(conn, id)?.ok_or_else(no_material)?;
    facilitators::session(conn, who, need, material.session_id).map_err(|e| match e {
        ApiError::NotFound(_) => no_material(),
        other => other,
    })?;
    Ok(material)
}

/// The material `id` after 404 and role checks, inside a write.
pub fn material_to_change(
    conn: &mut DbConnection,
    who: Caller,
    id: i64,
) -> Result<Material, ApiError> {
    material_for(conn, who, Need::Record, id)
}

/// Changes a material's kind, title, presenter, or whether it is published.
#[utoipa::path(patch, path = "/api/v1/materials/{id}", tag = "archive", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Material id")),
    request_body = ChangeBody,
    responses((status = 200, description = "The material", body = ChangedMaterial),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such material", body = crate::error::ErrorBody),
        (status = 422, description = "A field at fault", body = crate::error::ErrorBody)))]
pub async fn change(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ChangeBody>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Record)?;
    let (id, who, actor, now) = (
        path.into_inner(),
        user.caller(),
        user.actor(),
        state.clock.naive(),
    );
    let body = body.into_inner();
    let material = db::write(&state.pool, move |conn| {
        let before = material_to_change(conn, who, id)?;
        store::update(conn, &actor, &before, &changes(&before, &body)?, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ChangedMaterial {
        material: material.view(),
    }))
}

/// Removes material `id` (its file goes once no material keeps it).
pub async fn remove_material(
    state: &AppState,
    actor: Actor,
    who: Caller,
    id: i64,
) -> Result<Material, ApiError> {
    let now = state.clock.naive();
    let (material, unused) = db::write(&state.pool, move |conn| {
        let material = material_to_change(conn, who, id)?;
        let unused = store::delete(conn, &actor, &material, now)?;
        Ok::<_, ApiError>((material, unused))
    })
    .await?;
    if let (true, Some(sha)) = (unused, &material.sha256) {
        // Kept files are content-addressed: one left behind by a failure
        // here is reused by the same upload later, and harms nothing.
        if let Err(e) = state.storage.delete(sha).await {
            tracing::warn!(error = %e, material = id, "a removed material's file stays in storage");
        }
    }
    Ok(material)
}

/// Removes a material.
#[utoipa::path(delete, path = "/api/v1/materials/{id}", tag = "archive", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Material id")),
    responses((status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such material", body = crate::error::ErrorBody)))]
pub async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Record)?;
    remove_material(&state, user.actor(), user.caller(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A material for `req`: a link is a redirect to it; a file is served
/// with its type, name, `ETag` and ranges (`files`).
pub async fn serve(
    state: &AppState,
    req: &HttpRequest,
    material: &Material,
    cache: Cache,
) -> HttpResponse {
    if let Some(url) = &material.url {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, url.clone()))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .finish();
    }
    let (Some(sha), Some(size), Some(media_type)) =
        (&material.sha256, material.size_bytes, &material.media_type)
    else {
        return state.pages.not_found();
    };
    let etag = files::etag(sha);
    let len = size as u64;
    let answer = files::answer(req, &etag, len);
    let range = match &answer {
        files::Answer::Whole => Some(0..len),
        files::Answer::Part(range) => Some(range.clone()),
        _ => None,
    };
    let body = match range {
        Some(range) => match state.storage.read(sha, range).await {
            Ok(body) => Some(body),
            Err(e) => {
                return state
                    .pages
                    .internal_error(&anyhow::Error::from(e).context("reading a kept material"))
            }
        },
        None => None,
    };
    let described = Described {
        etag: &etag,
        len,
        media_type,
        filename: material.filename.as_deref().unwrap_or("material"),
        inline: domain::shown_inline(media_type),
        cache,
    };
    files::respond(&described, &answer, body)
}

/// `GET /materials/{id}`: a published material of a public session, for
/// anyone; 404 otherwise (an ECHO cohort's materials are its participants').
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
) -> HttpResponse {
    let id = path.into_inner();
    let found = db::run(&state.pool, move |conn| {
        let Some(material) = store::find(conn, id)? else {
            return Ok::<_, DbError>(None);
        };
        let Some((session, series)) = model::find_session(conn, material.session_id)? else {
            return Ok(None);
        };
        let public = material.published && series.kind != model::ECHO && !session.is_cancelled();
        Ok(public.then_some(material))
    })
    .await;
    match found {
        Ok(Some(material)) => serve(&state, &req, &material, Cache::Public).await,
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /organizer/materials/{id}`: any material the signed-in user may
/// see (a facilitator, their cohorts').
pub async fn organizer_download(
    state: web::Data<AppState>,
    user: PageUser,
    req: HttpRequest,
    path: web::Path<i64>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    let (id, who) = (path.into_inner(), user.caller());
    match db::run(&state.pool, move |conn| {
        material_for(conn, who, Need::SeeCohort, id)
    })
    .await
    {
        Ok(material) => serve(&state, &req, &material, Cache::Private).await,
        Err(e) => user.refused(e, &state),
    }
}

pub fn routes(cfg: &mut Routes) {
    cfg.post("/api/v1/sessions/{id}/materials", add)
        .get("/api/v1/sessions/{id}/materials", list)
        .patch("/api/v1/materials/{id}", change)
        .delete("/api/v1/materials/{id}", remove)
        .get("/materials/{id}", download)
        .head("/materials/{id}", download)
        .get("/organizer/materials/{id}", organizer_download);
}
