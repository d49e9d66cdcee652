//! A cohort session's own details: its didactic topic (which also titles
//! the session), its faculty presenter and its number of case slots, as a
//! JSON API and from the cohort's page. Changing needs `Need::Facilitate`,
//! a facilitator's only on the cohorts they run. Audited.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::forms::{self, Posted};
use crate::auth::{ApiUser, Caller, Need, PageUser};
use crate::config::Settings;
use crate::db::schema::echo_sessions;
use crate::db::{self, DbConnection, DbError};
use crate::echo::cohorts;
use crate::echo::facilitators;
use crate::echo::fields::{at_most, number, Fields};
use crate::echo::participants;
use crate::error::ApiError;
use crate::web::fields::text_or_number;
use crate::web::routes::Routes;
use crate::web::AppState;

type PostedForm = web::Form<Vec<(String, String)>>;

/// How a cohort session takes a new title: as any session change, so its
/// calendars and the people holding them follow (a new SEQUENCE, the
/// notices). The session-change fan-out is the composition's
/// (`organizer::manage`): `app.rs` hands it in with the routes, and the
/// ECHO does not reach up for it.
pub type Retitle = fn(
    &mut DbConnection,
    &Actor,
    &Settings,
    i64,
    &str,
    chrono::NaiveDateTime,
) -> Result<(), ApiError>;

/// The routes of a cohort session's details, each handed `retitle`.
pub fn routes(r: &mut Routes, retitle: Retitle) {
    r.patch(
        "/api/v1/echo/sessions/{id}",
        move |state: web::Data<AppState>,
              user: ApiUser,
              path: web::Path<i64>,
              body: web::Json<EchoSessionPatch>| {
            update_session(state, user, path, body, retitle)
        },
    )
    .post(
        "/organizer/echo/sessions/{id}",
        move |state: web::Data<AppState>,
              user: PageUser,
              path: web::Path<i64>,
              form: PostedForm| { page_session(state, user, path, form, retitle) },
    );
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EchoSessionPatch {
    /// Also becomes the session's title ("Workforce ECHO: <topic>").
    didactic_topic: Option<String>,
    faculty_name: Option<String>,
    faculty_email: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    #[schema(value_type = Option<i32>)]
    case_slots: Option<String>,
}

/// A cohort session's ECHO details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EchoSessionView {
    pub session_id: i64,
    pub didactic_topic: String,
    pub faculty_name: String,
    pub faculty_email: String,
    /// Case presentations the session holds, 0 to 5.
    pub case_slots: i32,
}

impl From<&cohorts::EchoSession> for EchoSessionView {
    fn from(e: &cohorts::EchoSession) -> Self {
        Self {
            session_id: e.session_id,
            didactic_topic: e.didactic_topic.clone(),
            faculty_name: e.faculty_name.clone(),
            faculty_email: e.faculty_email.clone(),
            case_slots: e.case_slots,
        }
    }
}

/// Sets a cohort session's didactic topic, faculty presenter or case
/// slots; a new topic retitles the session (calendars follow).
fn update_echo_session(
    conn: &mut DbConnection,
    (actor, who): (&Actor, Caller),
    (settings, retitle): (&Settings, Retitle),
    id: i64,
    b: &EchoSessionPatch,
    now: chrono::NaiveDateTime,
) -> Result<cohorts::EchoSession, ApiError> {
    let no_session = || ApiError::NotFound(format!("no ECHO session {id}"));
    let (before, cohort) = cohorts::echo_session(conn, id)?.ok_or_else(no_session)?;
    facilitators::check(conn, who, Need::Facilitate, cohort.id, no_session)?;
    let mut f = Fields(Vec::new());
    let topic = f.parse("didactic_topic", b.didactic_topic.as_deref(), at_most(300));
    let faculty = f.parse("faculty_name", b.faculty_name.as_deref(), at_most(200));
    let email = f.parse("faculty_email", b.faculty_email.as_deref(), |s| {
        if s.is_empty() {
            return Ok(String::new());
        }
        crate::mail::address::EmailAddress::parse(s)
            .map(|e| e.as_str().to_string())
            .map_err(str::to_string)
    });
    let slots = f.parse("case_slots", b.case_slots.as_deref(), |s| {
        match number(s)? {
            n @ 0..=5 => Ok(n),
            _ => Err("from 0 to 5 case presentations".into()),
        }
    });
    if !f.0.is_empty() {
        return Err(ApiError::fields(f.0));
    }
    diesel::update(echo_sessions::table.find(id))
        .set((
            echo_sessions::didactic_topic.eq(topic.as_deref().unwrap_or(&before.didactic_topic)),
            echo_sessions::faculty_name.eq(faculty.as_deref().unwrap_or(&before.faculty_name)),
            echo_sessions::faculty_email.eq(email.as_deref().unwrap_or(&before.faculty_email)),
            echo_sessions::case_slots.eq(slots.unwrap_or(before.case_slots)),
        ))
        .execute(conn)?;
    if let Some(topic) = topic.filter(|t| *t != before.didactic_topic && !t.is_empty()) {
        let program = participants::program_of(conn, &cohort)?;
        let title = format!("{}: {topic}", program.title);
        retitle(conn, actor, settings, id, &title, now)?;
    }
    let (after, _) = cohorts::echo_session(conn, id)?
        .ok_or_else(|| ApiError::NotFound(format!("no ECHO session {id}")))?;
    audit::record(
        conn,
        actor,
        "echo_session.update",
        &format!("session:{id}"),
        Some(
            json!({ "didactic_topic": before.didactic_topic, "faculty_name": before.faculty_name, "case_slots": before.case_slots }),
        ),
        Some(
            json!({ "didactic_topic": after.didactic_topic, "faculty_name": after.faculty_name, "case_slots": after.case_slots }),
        ),
        now,
    )?;
    Ok(after)
}

/// Sets a cohort session's didactic topic, faculty presenter (name and
/// e-mail) or number of case slots.
#[utoipa::path(patch, path = "/api/v1/echo/sessions/{id}", tag = "echo", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")), request_body = EchoSessionPatch,
    responses((status = 200, description = "The session's ECHO details", body = EchoSessionView),
        (status = 403, description = "Facilitators and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "Not a cohort's session", body = crate::error::ErrorBody),
        (status = 409, description = "Cancelled or over", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn update_session(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<EchoSessionPatch>,
    retitle: Retitle,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Facilitate)?;
    let (actor, now, id, b) = (
        user.actor(),
        state.clock.naive(),
        path.into_inner(),
        body.into_inner(),
    );
    let (settings, who) = (state.settings.clone(), user.caller());
    let after = db::write(&state.pool, move |conn| {
        update_echo_session(conn, (&actor, who), (&settings, retitle), id, &b, now)
    })
    .await?;
    let view = EchoSessionView::from(&after);
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /organizer/echo/sessions/{id}`: topic, faculty, case slots.
pub async fn page_session(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<i64>,
    form: PostedForm,
    retitle: Retitle,
) -> HttpResponse {
    let id = path.into_inner();
    let back = match db::run(&state.pool, move |conn| {
        cohorts::echo_session(conn, id).map_err(DbError::from)
    })
    .await
    {
        Ok(Some((_, cohort))) => format!("/organizer/echo/{}", cohort.slug),
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let (settings, who) = (state.settings.clone(), user.caller());
    let posted = Posted::from_form(form);
    forms::submit(
        &state,
        &user,
        posted,
        Need::Facilitate,
        back.clone(),
        move |conn, actor, form, now| {
            let mut b: EchoSessionPatch = form.body(&[])?;
            // A field emptied on purpose is cleared.
            for (name, field) in [
                ("faculty_name", &mut b.faculty_name),
                ("faculty_email", &mut b.faculty_email),
            ] {
                if field.is_none() && form.has(name) {
                    *field = Some(String::new());
                }
            }
            update_echo_session(conn, (actor, who), (&settings, retitle), id, &b, now)?;
            Ok(back.clone())
        },
    )
    .await
}
