//! The completion list for facilitators: the JSON API, its CSV, and the
//! CSV for the cohort page's browser.

use actix_web::{web, HttpResponse};

use crate::auth::{ApiUser, Need, PageUser};
use crate::echo::completion::list::{load_slug, Completion, CompletionList};
use crate::error::ApiError;
use crate::web::routes::Routes;
use crate::web::AppState;

/// The list of cohort `slug` for an API caller who may see the cohort
/// (as its other lists), or 404.
async fn readable(state: &AppState, user: &ApiUser, slug: String) -> Result<Completion, ApiError> {
    user.require(Need::SeeCohort)?;
    load_slug(state, user.caller(), slug).await
}

/// A cohort's completion list: each approved participant's and observer's
/// sessions attended against the cohort's threshold.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}/completion", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")),
    responses((status = 200, description = "The completion list", body = CompletionList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody)))]
pub async fn api_list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let completion = readable(&state, &user, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(completion.to_list()))
}

/// The completion list as a CSV for Excel: UTF-8 with a BOM, CRLF,
/// formula-safe cells.
#[utoipa::path(get, path = "/api/v1/echo/cohorts/{slug}/completion.csv", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")),
    responses((status = 200, description = "The list, a row per person (`{slug}-completion.csv`)", body = String, content_type = "text/csv"),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody)))]
pub async fn api_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let completion = readable(&state, &user, path.into_inner()).await?;
    completion.download().map_err(ApiError::Internal)
}

/// `GET /organizer/echo/{slug}/completion.csv`: the API's CSV for the
/// signed-in facilitator's browser.
pub async fn page_csv(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::SeeCohort, &state) {
        return refused;
    }
    match load_slug(&state, user.caller(), path.into_inner()).await {
        Ok(completion) => completion
            .download()
            .unwrap_or_else(|e| state.pages.internal_error(&e)),
        Err(e) => user.refused(e, &state),
    }
}

/// The completion routes (API and the page's CSV).
pub fn routes(cfg: &mut Routes) {
    cfg.get("/api/v1/echo/cohorts/{slug}/completion", api_list)
        .get("/api/v1/echo/cohorts/{slug}/completion.csv", api_csv)
        .get("/organizer/echo/{slug}/completion.csv", page_csv);
}
