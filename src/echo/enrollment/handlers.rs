//! The ECHO's public side: the program page with its cohorts, a cohort's
//! page and application form, and the participant's own page and calendar
//! feed, reached by the magic link e-mailed on approval (no password).

use crate::mail::outbox::RecipientCap;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Months;
use serde_json::json;

use crate::archive::Material;
use crate::calendar::ics::{self, FeedEvent};
use crate::db::{self, DbError};
use crate::echo::cohorts::{self, Cohort, EchoSession};
use crate::echo::completion::{self, Meeting, Status, Visit};
use crate::echo::enrollment::applications::{self, ApplicationForm, ApplyError};
use crate::echo::participants::{self, APPROVED, ORGANIZATION_TYPES, PARTICIPANT, ROLES};
use crate::people::contact::{FieldErrors, STATES};
use crate::series::model::Session;
use crate::web::fields::options;
use crate::web::token::looks_like_token;
use crate::web::AppState;

/// A cohort's sessions as pages show them.
fn sessions_json(sessions: &[(Session, EchoSession)]) -> Vec<serde_json::Value> {
    sessions
        .iter()
        .enumerate()
        .map(|(i, (s, e))| {
            json!({
                "n": i + 1,
                "when": s.when(),
                "other_zones": s.other_zones(),
                "starts_at": s.starts_machine(),
                "timezone": s.timezone,
                "cancelled": s.is_cancelled(),
                "topic": e.didactic_topic,
                "faculty": e.faculty_name,
                "case_slots": e.case_slots,
            })
        })
        .collect()
}

fn cohort_json(c: &Cohort, now: chrono::NaiveDateTime) -> serde_json::Value {
    let date = |d: chrono::NaiveDate| d.format("%B %-d, %Y").to_string();
    let mut v = json!(c.view());
    // Public pages show the cohort: its join link is for participants'.
    if let Some(fields) = v.as_object_mut() {
        fields.remove("join_url");
    }
    v["open"] = json!(c.accepts_applications(now));
    v["dates"] = json!(format!("{} – {}", date(c.starts_on), date(c.ends_on)));
    v["applications"] = json!(format!(
        "{} – {}",
        date(c.applications_open_on),
        date(c.applications_close_on)
    ));
    v
}

/// `GET /echo`: the program's cohorts, latest first.
pub async fn program(state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.naive();
    match db::run(&state.pool, |conn| {
        cohorts::all(conn).map_err(DbError::from)
    })
    .await
    {
        Ok(all) => state.pages.ok(
            "echo/program",
            &json!({
                "title": "Workforce ECHO",
                "cohorts": all.iter().map(|c| cohort_json(c, now)).collect::<Vec<_>>(),
            }),
        ),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

async fn load_cohort(
    state: &AppState,
    slug: String,
) -> Result<Option<(Cohort, Vec<(Session, EchoSession)>)>, DbError> {
    db::run(&state.pool, move |conn| {
        let Some(cohort) = cohorts::find(conn, &slug)? else {
            return Ok(None);
        };
        let sessions = cohorts::sessions_of(conn, cohort.id)?;
        Ok(Some((cohort, sessions)))
    })
    .await
}

fn cohort_page(
    state: &AppState,
    status: StatusCode,
    cohort: &Cohort,
    sessions: &[(Session, EchoSession)],
    form: &ApplicationForm,
    errors: &FieldErrors,
) -> HttpResponse {
    let field_errors: serde_json::Map<String, serde_json::Value> = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), json!(e.message)))
        .collect();
    let kinds: Vec<(&str, &str)> = ORGANIZATION_TYPES
        .iter()
        .map(|(c, l, _)| (*c, *l))
        .collect();
    state.pages.render(
        status,
        "echo/cohort",
        &json!({
            "title": if errors.is_empty() { cohort.name.clone() } else { format!("Error: {}", cohort.name) },
            "cohort": cohort_json(cohort, state.clock.naive()),
            "sessions": sessions_json(sessions),
            "times": true,
            "form": form,
            "errors": errors.0,
            "error": field_errors,
            "has_errors": !errors.is_empty(),
            "organization_types": options(&kinds, &form.organization_type),
            "states": options(STATES, &form.state),
            "roles": ROLES.iter().map(|(v, l)| json!({ "value": v, "label": l, "checked": *v == form.role })).collect::<Vec<_>>(),
        }),
    )
}

/// `GET /echo/{cohort}`: dates, sessions and, while applications are
/// open, the form.
pub async fn cohort(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    match load_cohort(&state, path.into_inner()).await {
        Ok(Some((cohort, sessions))) => cohort_page(
            &state,
            StatusCode::OK,
            &cohort,
            &sessions,
            &ApplicationForm::default(),
            &FieldErrors::default(),
        ),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /echo/{cohort}/apply` (a bookmarked or reloaded form address):
/// to the form on the cohort's page.
pub async fn apply_form(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    match load_cohort(&state, path.into_inner()).await {
        Ok(Some((cohort, _))) => {
            crate::auth::forms::see_other(&format!("/echo/{}#apply", cohort.slug))
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /echo/{cohort}/applied`: where an application lands (303), the
/// same words whether or not the address applied before.
pub async fn applied(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    match load_cohort(&state, path.into_inner()).await {
        Ok(Some((cohort, _))) => state.pages.ok(
            "echo/applied",
            &json!({ "title": format!("Application sent: {}", cohort.name), "cohort": cohort.name }),
        ),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /echo/{cohort}/apply`: 422 with a message per field, or 303 to
/// the thank-you page (the same whether or not the address applied
/// before; someone already approved is told by e-mail).
pub async fn apply(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ApplicationForm>,
) -> HttpResponse {
    let (cohort, sessions) = match load_cohort(&state, path.into_inner()).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let form = form.into_inner();
    let applied = format!("/echo/{}/applied", cohort.slug);
    let applied_page = || crate::auth::forms::see_other(&applied);
    if crate::web::limits::caught(&form.website) {
        crate::web::limits::discarded("echo apply");
        return applied_page();
    }
    let applicant = match applications::parse(&form) {
        Ok(a) => a,
        Err(errors) => {
            return cohort_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &cohort,
                &sessions,
                &form,
                &errors,
            )
        }
    };
    let (public, now) = (state.settings.http.public_url.clone(), state.clock.naive());
    let cap = RecipientCap::from_settings(&state.settings);
    let c = cohort.clone();
    let applied = db::write(&state.pool, move |conn| {
        applications::apply(conn, &c, &applicant, &public, cap, now)
    })
    .await;
    match applied {
        Ok(_) => applied_page(),
        Err(ApplyError::Closed) => state.pages.message(
            StatusCode::CONFLICT,
            "Applications are closed",
            &format!(
                "{} takes applications from {} to {}.",
                cohort.name,
                cohort.applications_open_on.format("%B %-d, %Y"),
                cohort.applications_close_on.format("%B %-d, %Y")
            ),
        ),
        Err(ApplyError::Db(e)) => state.pages.internal_error(&e.into()),
    }
}

type Participant = (participants::Applied, Cohort, Vec<(Session, EchoSession)>);

/// The participant's own cases and those presented in their cohort so far.
type Cases = (Vec<crate::echo::cases::Case>, Vec<crate::echo::cases::Case>);

async fn participant(state: &AppState, token: String) -> Result<Option<Participant>, DbError> {
    if !looks_like_token(&token) {
        return Ok(None);
    }
    db::run(&state.pool, move |conn| {
        let Some((applied, cohort)) = participants::by_token(conn, &token)? else {
            return Ok(None);
        };
        let sessions = cohorts::sessions_of(conn, cohort.id)?;
        Ok(Some((applied, cohort, sessions)))
    })
    .await
}

/// `GET /echo/p/{token}`: the participant's page — their cohort's
/// sessions with join links and which they attended, where they stand
/// against the completion threshold, and their calendar.
pub async fn participant_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    let (applied, cohort, sessions) = match participant(&state, token.clone()).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let public = &state.settings.http.public_url;
    let now = state.clock.naive();
    let (app_id, cohort_id) = (applied.application.id, cohort.id);
    let person_id = applied.application.person_id;
    let session_ids: Vec<i64> = sessions.iter().map(|(s, _)| s.id).collect();
    let loaded: Result<(Cases, Vec<Visit>, Vec<Material>), DbError> =
        db::run(&state.pool, move |conn| {
            use crate::echo::cases;
            let presented = cases::presented(conn, cohort_id, now)?
                .into_iter()
                .filter(|c| c.application_id != app_id)
                .collect();
            // Only this person's attendance.
            let visits = completion::visits(conn, cohort_id, Some(person_id))?;
            let materials = crate::archive::materials_for_sessions(conn, &session_ids, true)?;
            Ok((
                (cases::of_application(conn, app_id)?, presented),
                visits,
                materials,
            ))
        })
        .await;
    let ((own, presented), visits, materials) = match loaded {
        Ok(found) => found,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let attended: HashMap<i64, i32> = visits.iter().map(|v| (v.session_id, v.minutes)).collect();
    let progress = completion::assess(
        cohort.completion_percent,
        &Meeting::of(&sessions, now),
        &attended.keys().copied().collect(),
    );
    let mut rows = sessions_json(&sessions);
    for (row, (s, _)) in rows.iter_mut().zip(&sessions) {
        // Their own download paths: a cohort's materials are its own.
        row["materials"] = json!(materials
            .iter()
            .filter(|m| m.session_id == s.id)
            .map(|m| {
                let mut shown = crate::archive::material_json(m);
                if m.url.is_none() {
                    shown["href"] = json!(format!("/echo/p/{token}/materials/{}", m.id));
                }
                shown
            })
            .collect::<Vec<_>>());
        row["join_url"] = json!(s.join_url);
        row["past"] = json!(s.ends_at <= now);
        row["attended"] = json!(attended.contains_key(&s.id));
        row["minutes"] = json!(attended.get(&s.id));
    }
    let feed_url = participants::feed_url(public, &token);
    let webcal = feed_url
        .split_once("://")
        .map_or(feed_url.clone(), |(_, rest)| format!("webcal://{rest}"));
    state.pages.private(state.pages.ok(
        "echo/participant",
        &json!({
            "title": format!("Your {}", cohort.name),
            "times": true,
            "first_name": applied.first_name,
            "cohort": cohort_json(&cohort, now),
            "role": applied.application.role,
            "participant": applied.application.role == PARTICIPANT,
            "sessions": rows,
            "progress": progress,
            "completed": progress.status == Status::Completed,
            "on_track": progress.status == Status::OnTrack,
            "to_go": progress.needed.saturating_sub(progress.attended),
            "feed": { "url": feed_url, "webcal": webcal },
            "token": token,
            "own_cases": own.iter().map(|c| json!({ "id": c.id, "title": c.title, "status": c.status.replace('_', " ") })).collect::<Vec<_>>(),
            "presented": presented.iter().map(|c| json!({ "id": c.id, "title": c.title })).collect::<Vec<_>>(),
            "has_materials": !materials.is_empty(),
        }),
    ))
}

/// `GET /echo/p/{token}/materials/{id}`: a published material of one of
/// the participant's cohort's sessions; 404 for anything else (another
/// cohort's included). Never cached.
pub async fn participant_material(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, i64)>,
) -> HttpResponse {
    let (token, id) = path.into_inner();
    let (_, _, sessions) = match participant(&state, token).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let found = db::run(&state.pool, move |conn| {
        crate::archive::find_material(conn, id).map_err(DbError::from)
    })
    .await;
    match found {
        Ok(Some(m)) if m.published && sessions.iter().any(|(s, _)| s.id == m.session_id) => {
            crate::archive::serve_material(&state, &req, &m, crate::files::Cache::Private).await
        }
        Ok(_) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /echo/p/{token}/calendar.ics`: every session of the participant's
/// cohort, for calendar programs that subscribe and poll.
pub async fn participant_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let token = path.into_inner();
    let (applied, cohort, sessions) = match participant(&state, token.clone()).await {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    debug_assert_eq!(applied.application.status, APPROVED);
    let program = match db::run(&state.pool, {
        let cohort = cohort.clone();
        move |conn| participants::program_of(conn, &cohort).map_err(DbError::from)
    })
    .await
    {
        Ok(p) => p,
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let public = &state.settings.http.public_url;
    let events: Vec<FeedEvent> = sessions
        .iter()
        .map(|(s, e)| FeedEvent {
            event: s.calendar_event(
                &program,
                participants::session_description(s, e, public, &token),
                None,
                0,
            ),
            cancelled: s.is_cancelled(),
            changed_at: s.updated_at.and_utc(),
        })
        .collect();
    let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
        return state.pages.not_found();
    };
    let from = first
        .0
        .starts_at_utc()
        .checked_sub_months(Months::new(1))
        .unwrap_or(first.0.starts_at_utc());
    let to = last
        .0
        .ends_at_utc()
        .checked_add_months(Months::new(1))
        .unwrap_or(last.0.ends_at_utc());
    let body = ics::render_feed(&cohort.name, cohort.tz(), from..to, &events);
    let mut response = crate::series::polled_calendar(&req, body);
    // A personal feed: never in a shared cache.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("private, max-age=900"),
    );
    response
}

/// `GET /echo/session/{id}`: a cohort's session, seen from its public
/// session link: its cohort's page.
pub async fn session_redirect(state: web::Data<AppState>, path: web::Path<i64>) -> HttpResponse {
    let id = path.into_inner();
    match db::run(&state.pool, move |conn| {
        cohorts::echo_session(conn, id).map_err(DbError::from)
    })
    .await
    {
        Ok(Some((_, cohort))) => crate::auth::forms::see_other(&format!("/echo/{}", cohort.slug)),
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /echo/link`: ask for the link to your ECHO page again.
pub async fn link_form(state: web::Data<AppState>) -> HttpResponse {
    state.pages.ok(
        "echo/link",
        &json!({ "title": "Your ECHO page's link", "email": "", "error": null }),
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    email: String,
    /// The hidden honeypot field (`limits::HONEYPOT`).
    #[serde(default)]
    website: String,
}

/// `POST /echo/link`: e-mails the links of every cohort that approved the
/// address; the answer is the same whether or not it is known.
pub async fn send_link(state: web::Data<AppState>, form: web::Form<LinkForm>) -> HttpResponse {
    let sent = |email: &str| {
        state.pages.ok(
            "echo/link_sent",
            &json!({ "title": "Check your e-mail", "email": email }),
        )
    };
    if crate::web::limits::caught(&form.website) {
        crate::web::limits::discarded("echo link");
        return sent(form.email.trim());
    }
    let email = match crate::mail::address::EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            return state.pages.render(
                StatusCode::UNPROCESSABLE_ENTITY,
                "echo/link",
                &json!({ "title": "Error: Your ECHO page's link", "email": form.email, "error": message }),
            )
        }
    };
    let (public, now) = (state.settings.http.public_url.clone(), state.clock.naive());
    let every = chrono::Duration::seconds(i64::from(
        state.settings.mail.resend_confirmation_after_seconds,
    ));
    let shown = email.as_str().to_string();
    let cap = RecipientCap::from_settings(&state.settings);
    match db::write(&state.pool, move |conn| {
        applications::send_links(conn, &email, &public, every, cap, now).map_err(DbError::from)
    })
    .await
    {
        Ok(_) => sent(&shown),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// The public pages before a cohort's form (the program, the link form,
/// the participant's page, materials and calendar, a session's link).
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/echo", program)
        .get("/echo/link", link_form)
        .post("/echo/link", send_link)
        .get("/echo/p/{token}", participant_page)
        .get("/echo/p/{token}/materials/{id}", participant_material)
        .get("/echo/session/{id}", session_redirect)
        .get("/echo/p/{token}/calendar.ics", participant_feed)
        // After `/echo/link`, which `{cohort}` would otherwise take.
        .get("/echo/{cohort}", cohort)
        .get("/echo/{cohort}/apply", apply_form)
        .get("/echo/{cohort}/applied", applied)
        .post("/echo/{cohort}/apply", apply);
}
