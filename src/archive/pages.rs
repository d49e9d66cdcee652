//! Materials on the session's organizer page: add (upload or link),
//! publish, unpublish, remove. Each runs the API's checks and store
//! operations; a refusal is the organizer refusal page.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};

use crate::archive::handlers::{
    check_session, material_to_change, prepare, read_form, remove_material,
};
use crate::archive::store::{self, Changes};
use crate::auth::forms::csrf_refused;
use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db;
use crate::web::routes::Routes;
use crate::web::AppState;

fn session_page(id: i64) -> String {
    format!("/organizer/sessions/{id}#materials")
}

/// `POST /organizer/sessions/{id}/materials` (multipart: `csrf`, `kind`,
/// `title`, `presenter`, `published`, `file` or `url`).
pub async fn add(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    payload: Multipart,
) -> HttpResponse {
    let (id, who) = (path.into_inner(), user.caller());
    let back = session_page(id);
    let form = match read_form(payload, &state).await {
        Ok(form) => form,
        Err(e) => return forms::refused(&state, e.into(), &back),
    };
    let posted = Posted::from_pairs(form.fields.clone());
    // Nothing is kept for a form that is not the organizer's own.
    if !user.csrf_ok(posted.csrf()) {
        return csrf_refused(&state);
    }
    if let Err(e) = db::run(&state.pool, move |conn| check_session(conn, who, id)).await {
        return forms::refused(&state, e, &back);
    }
    let new = match prepare(&state, id, &form).await {
        Ok(new) => new,
        Err(e) => return forms::refused(&state, e, &back),
    };
    let response = forms::submit(
        &state,
        &user,
        posted,
        Need::Record,
        back.clone(),
        move |conn, actor, _, now| {
            check_session(conn, who, id)?;
            store::insert(conn, actor, &new, now)?;
            Ok(back.clone())
        },
    )
    .await;
    drop(form);
    response
}

/// `POST /organizer/materials/{id}/publish` and `…/unpublish`.
pub async fn publish(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(i64, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let ((id, action), who) = (path.into_inner(), user.caller());
    let published = action == "publish";
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Record,
        "/organizer".into(),
        move |conn, actor, _, now| {
            let before = material_to_change(conn, who, id)?;
            let changes = Changes {
                published: Some(published),
                ..Changes::default()
            };
            store::update(conn, actor, &before, &changes, now)?;
            Ok(session_page(before.session_id))
        },
    )
    .await
}

/// `POST /organizer/materials/{id}/remove`: as the API's removal, whose
/// kept file goes after the commit (so not through `forms::submit`, whose
/// work is the database's only); the same CSRF and role checks first.
pub async fn remove(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let posted = Posted::from_form(form);
    if let Some(refused) = forms::refusal(&state, &user, &posted, Need::Record) {
        return refused;
    }
    match remove_material(&state, user.actor(), user.caller(), path.into_inner()).await {
        Ok(material) => forms::see_other(&session_page(material.session_id)),
        Err(e) => forms::refused(&state, e, "/organizer"),
    }
}

pub fn routes(cfg: &mut Routes) {
    cfg.post("/organizer/sessions/{id}/materials", add)
        .post("/organizer/materials/{id}/remove", remove)
        .post(
            "/organizer/materials/{id}/{action:publish|unpublish}",
            publish,
        );
}
