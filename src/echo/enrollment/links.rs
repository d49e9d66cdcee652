//! A participant's magic link, as facilitators manage it: revoked (it
//! stops at once, and no new one is sent until a facilitator issues one)
//! or issued anew (the old one stops; the new one is e-mailed). API routes
//! under `/api/v1/echo/applications/{id}/link`, and the cohort page's form.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Caller, Need, PageUser};
use crate::config::PublicUrl;
use crate::db::schema::applications as applications_table;
use crate::db::{self, DbConnection};
use crate::echo::cohorts;
use crate::echo::participants::{self, ApplicationView, Applied, APPROVED};
use crate::error::ApiError;
use crate::mail::outbox::{self, NewMessage};
use crate::web::links::Issued;
use crate::web::AppState;

/// Application `id`, if `who` runs its cohort: a facilitator of another
/// cohort gets the same 404 as for none.
fn theirs(conn: &mut DbConnection, who: Caller, id: i64) -> Result<Applied, ApiError> {
    let no_application = || ApiError::NotFound(format!("no application {id}"));
    let found = participants::find(conn, id)?.ok_or_else(no_application)?;
    crate::echo::facilitators::check(
        conn,
        who,
        Need::Facilitate,
        found.application.cohort_id,
        no_application,
    )?;
    Ok(found)
}

/// The approved application `id` that `who` runs, or why it has no link
/// to manage.
fn approved(conn: &mut DbConnection, who: Caller, id: i64) -> Result<Applied, ApiError> {
    let found = theirs(conn, who, id)?;
    if found.application.status != APPROVED {
        return Err(ApiError::Conflict(
            "not_approved",
            format!(
                "This application is {}: only approved participants have a link.",
                found.application.status
            ),
        ));
    }
    Ok(found)
}

/// Gives application `id` the link `link`, or none (revoked).
fn set_link(
    conn: &mut DbConnection,
    id: i64,
    link: Option<&Issued>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(applications_table::table.find(id))
        .set((
            applications_table::access_token_hash.eq(link.map(|l| &l.hash)),
            applications_table::access_token_sealed.eq(link.map(|l| &l.sealed)),
            applications_table::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revokes application `id`'s link: its page, feed and case forms answer
/// 404 from now on. Audited when there was a link to revoke.
pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    who: Caller,
    id: i64,
    now: NaiveDateTime,
) -> Result<Applied, ApiError> {
    let before = approved(conn, who, id)?;
    if before.application.access_token_hash.is_some() {
        set_link(conn, id, None, now)?;
        audit::record(
            conn,
            actor,
            "application.link_revoked",
            &format!("application:{id}"),
            Some(json!({ "link": true })),
            Some(json!({ "link": false })),
            now,
        )?;
    }
    approved(conn, who, id)
}

/// Gives application `id` the new `link`, which stops the old one, and
/// e-mails it. Audited.
pub fn reissue(
    conn: &mut DbConnection,
    actor: &Actor,
    who: Caller,
    id: i64,
    link: &Issued,
    public_url: &PublicUrl,
    now: NaiveDateTime,
) -> Result<Applied, ApiError> {
    let before = approved(conn, who, id)?;
    let cohort = cohorts::find_by_id(conn, before.application.cohort_id)?
        .ok_or_else(|| ApiError::NotFound(format!("no application {id}")))?;
    set_link(conn, id, Some(link), now)?;
    // The mail carries the sealed link, opened by the worker.
    let token = &link.placeholder();
    outbox::enqueue(
        conn,
        &NewMessage {
            // One message per new link (the same one if this runs twice).
            // (Part of the hash names the link without giving it away.)
            key: format!("application:{id}:link:{}", &link.hash[..16]),
            template: "echo_link_renewed",
            recipient: before.email.clone(),
            context: json!({
                "first_name": before.first_name,
                "cohort": cohort.name,
                "page_url": participants::page_url(public_url, token),
                "feed_url": participants::feed_url(public_url, token),
                "cohort_url": public_url.join(&format!("/echo/{}", cohort.slug)),
            }),
            calendar: None,
        },
        now,
    )?;
    audit::record(
        conn,
        actor,
        "application.link_reissued",
        &format!("application:{id}"),
        Some(json!({ "link": before.application.access_token_hash.is_some() })),
        Some(json!({ "link": true })),
        now,
    )?;
    approved(conn, who, id)
}

/// Stops a participant's link at once; the participant is not told.
#[utoipa::path(delete, path = "/api/v1/echo/applications/{id}/link", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, description = "The application, its link revoked (`has_link` false)", body = ApplicationView),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such application", body = crate::error::ErrorBody),
        (status = 409, description = "Not an approved participant", body = crate::error::ErrorBody)))]
pub async fn api_revoke(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Facilitate)?;
    let (actor, who, now, id) = (
        user.actor(),
        user.caller(),
        state.clock.naive(),
        path.into_inner(),
    );
    let after = db::write(&state.pool, move |conn| revoke(conn, &actor, who, id, now)).await?;
    Ok(HttpResponse::Ok().json(after.view()))
}

/// Issues a participant a new link (the old one stops) and e-mails it.
#[utoipa::path(post, path = "/api/v1/echo/applications/{id}/link", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, description = "The application with its new link (sent by e-mail, never shown)", body = ApplicationView),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such application", body = crate::error::ErrorBody),
        (status = 409, description = "Not an approved participant", body = crate::error::ErrorBody)))]
pub async fn api_reissue(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Facilitate)?;
    let (actor, who, now, id) = (
        user.actor(),
        user.caller(),
        state.clock.naive(),
        path.into_inner(),
    );
    let (link, public) = (
        state.settings.link_key().issue(),
        state.settings.http.public_url.clone(),
    );
    let after = db::write(&state.pool, move |conn| {
        reissue(conn, &actor, who, id, &link, &public, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(after.view()))
}

/// `POST /organizer/echo/applications/{id}/link`: `action` is `revoke` or
/// `reissue`; back to the cohort's page.
pub async fn page_link(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let id = path.into_inner();
    let back = match crate::echo::enrollment::organizer::application_page(&state, id).await {
        Ok(page) => format!("{page}#decided"),
        Err(page) => return page,
    };
    let (link, public) = (
        state.settings.link_key().issue(),
        state.settings.http.public_url.clone(),
    );
    let who = user.caller();
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Facilitate,
        back.clone(),
        move |conn, actor, form, now| {
            theirs(conn, who, id)?;
            match form.get("action") {
                Some("revoke") => revoke(conn, actor, who, id, now)?,
                Some("reissue") => reissue(conn, actor, who, id, &link, &public, now)?,
                _ => {
                    return Err(ApiError::fields(vec![(
                        "action".into(),
                        "revoke or reissue".into(),
                    )]))
                }
            };
            Ok(back.clone())
        },
    )
    .await
}

/// Reissuing and revoking a participant's link (API and page).
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.post("/api/v1/echo/applications/{id}/link", api_reissue)
        .delete("/api/v1/echo/applications/{id}/link", api_revoke)
        .post("/organizer/echo/applications/{id}/link", page_link);
}
