//! The organizers' side of the lists: import subscribers whose consent
//! was given elsewhere (a CSV file) and export the confirmed ones, over
//! the API and on the lists page. Organizers and admins; audited.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::Actor;
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Need, PageUser};
use crate::db::schema::subscriptions;
use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::lists::export;
use crate::lists::import::{self, Asked, Imported};
use crate::upload;
use crate::web::AppState;

const PAGE: &str = "/organizer/lists";

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Required: where these subscribers' consent comes from (kept on each
    /// subscription), e.g. `signed up at the 2025 conference`.
    pub consent: Option<String>,
    /// `true`: any bad row refuses the whole file, and nothing is written.
    pub strict: Option<bool>,
}

/// Imports subscribers from a CSV sent as the body (up to
/// `limits.list_import_max_mb`): a header row naming the columns (email;
/// first and last name, or name; optional organization, sector, state),
/// comma-, semicolon- or tab-separated, UTF-8 with or without a BOM. Each
/// address becomes a confirmed subscriber with the consent given; people
/// are created or have only their blank details filled; already
/// subscribed ones are left alone and unsubscribed ones are never
/// re-subscribed. No mail is sent. Bad rows are listed by line (or, with
/// `strict`, refuse the file whole). The same file again changes nothing.
#[utoipa::path(post, path = "/api/v1/lists/{slug}/import", tag = "lists", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The list's slug"), ImportQuery),
    request_body(content = String, description = "The subscribers as CSV", content_type = "text/csv"),
    responses((status = 200, description = "Imported: what was added, left alone and refused", body = Imported),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such list", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than `limits.list_import_max_mb`", body = crate::error::ErrorBody),
        (status = 422, description = "No consent given, a file with no e-mail column, or (strict) bad rows", body = crate::error::ErrorBody)))]
pub async fn import_api(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let asked = Asked::new(
        &state.settings.lists,
        &path.into_inner(),
        query.consent.as_deref(),
        query.strict.unwrap_or(false),
    )?;
    let file = upload::spool(body, state.settings.limits.list_import_max_bytes()).await?;
    let done = run(&state, user.actor(), asked, &file).await?;
    drop(file);
    Ok(HttpResponse::Ok().json(done))
}

/// Imports the spooled `file` as asked.
async fn run(
    state: &AppState,
    actor: Actor,
    asked: Asked,
    file: &upload::Spooled,
) -> Result<Imported, ApiError> {
    let path = file.path().to_path_buf();
    import::import(
        &state.pool,
        state.settings.link_key().clone(),
        actor,
        asked,
        move || std::fs::File::open(&path),
        state.clock.naive(),
    )
    .await
}

/// The list's confirmed subscribers as CSV, audited.
async fn export_csv(
    state: &AppState,
    actor: Actor,
    slug: String,
) -> Result<HttpResponse, ApiError> {
    if !state.settings.lists.contains_key(&slug) {
        return Err(ApiError::NotFound(format!("no list `{slug}`")));
    }
    let (list, now) = (slug.clone(), state.clock.naive());
    let rows = db::write(&state.pool, move |conn| {
        export::audited(conn, &actor, &list, now).map_err(DbError::from)
    })
    .await?;
    let body = export::csv(&rows).map_err(ApiError::Internal)?;
    let date = now.date();
    Ok(crate::web::csv::csv_download(
        &format!("{slug}-subscribers-{date}.csv"),
        body,
    ))
}

/// The list's confirmed subscribers as a CSV that opens in a spreadsheet
/// and imports again: email, first_name, last_name, organization, sector,
/// state, confirmed_at, consent_source, consent_at (imported ones).
#[utoipa::path(get, path = "/api/v1/lists/{slug}/export", tag = "lists", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The list's slug")),
    responses((status = 200, description = "The confirmed subscribers, a row each", content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such list", body = crate::error::ErrorBody)))]
pub async fn export_api(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    export_csv(&state, user.actor(), path.into_inner()).await
}

/// `GET /organizer/lists/{slug}/export.csv`: the same, signed in.
pub async fn export_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Organize, &state) {
        return refused;
    }
    match export_csv(&state, user.actor(), path.into_inner()).await {
        Ok(response) => response,
        Err(ApiError::NotFound(_)) => state.pages.not_found(),
        Err(e) => forms::refused(&state, e, PAGE),
    }
}

/// `GET /organizer/lists`: each list with its subscribers counted, a form
/// to import more and a link to export them.
pub async fn page(state: web::Data<AppState>, user: PageUser) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Organize, &state) {
        return refused;
    }
    let counts = db::run(&state.pool, |conn| {
        subscriptions::table
            .group_by((subscriptions::list_slug, subscriptions::status))
            .select((
                subscriptions::list_slug,
                subscriptions::status,
                diesel::dsl::count_star(),
            ))
            .load::<(String, String, i64)>(conn)
            .map_err(DbError::from)
    })
    .await;
    let counts = match counts {
        Ok(counts) => counts,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let count = |slug: &str, status: &str| {
        counts
            .iter()
            .filter(|(l, s, _)| l == slug && s == status)
            .map(|c| c.2)
            .sum::<i64>()
    };
    let lists: Vec<serde_json::Value> = state
        .settings
        .lists
        .iter()
        .map(|(slug, l)| {
            json!({
                "slug": slug,
                "name": l.name,
                "confirmed": count(slug, crate::lists::store::CONFIRMED),
                "pending": count(slug, crate::lists::store::PENDING),
                "unsubscribed": count(slug, crate::lists::store::UNSUBSCRIBED),
            })
        })
        .collect();
    state.pages.render(
        StatusCode::OK,
        "organizer/lists",
        &json!({ "title": "Mailing lists", "lists": lists, "csrf": user.csrf }),
    )
}

/// `POST /organizer/lists/{slug}/import` (multipart: `csrf`, `consent`,
/// `strict` ticked or not, `file`): the import's numbers on a page.
pub async fn import_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    payload: Multipart,
) -> HttpResponse {
    let slug = path.into_inner();
    let limit = state.settings.limits.list_import_max_bytes();
    let mut form = match upload::read_form(payload, &std::env::temp_dir(), |_| limit).await {
        Ok(form) => form,
        Err(e) => return forms::refused(&state, e.into(), PAGE),
    };
    let file = form.file.take();
    let too_large = form.too_large.take();
    let posted = Posted::from_pairs(form.fields);
    if let Some(refused) = forms::refusal(&state, &user, &posted, Need::Organize) {
        return refused;
    }
    let asked = Asked::new(
        &state.settings.lists,
        &slug,
        posted.get("consent"),
        posted.ticked("strict"),
    );
    let done = match (asked, too_large, &file) {
        (Err(ApiError::NotFound(_)), _, _) => return state.pages.not_found(),
        (Err(e), _, _) => Err(e),
        (_, Some(e), _) => Err(e.into()),
        (_, _, None) => Err(ApiError::fields(vec![(
            "file".into(),
            "choose a file".into(),
        )])),
        (Ok(asked), None, Some((spooled, _))) => run(&state, user.actor(), asked, spooled).await,
    };
    drop(file);
    match done {
        Ok(done) => state.pages.render(
            StatusCode::OK,
            "organizer/list_import",
            &json!({
                "title": format!("Imported into {}", state.settings.lists.get(&slug).map_or(slug.as_str(), |l| l.name.as_str())),
                "done": done,
                "more_refused": done.refused.saturating_sub(done.refused_rows.len()),
                "back": PAGE,
            }),
        ),
        Err(e) => forms::refused(&state, e, PAGE),
    }
}
