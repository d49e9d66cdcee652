//! The registration pages: the session page with its form, the POST that
//! registers, the confirmation, and the private manage/cancel pages.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::calendar::links;
use crate::db::{self, DbError};
use crate::lineup;
use crate::people::contact::{self, FieldErrors, RegistrationForm, SECTORS, STATES};
use crate::registration::answers;
use crate::registration::store::{
    self, CancelError, CancelOutcome, Outcome, Policy, RegisterError, REGISTERED, WAITLISTED,
};
use crate::series::model::{self, Series, Session};
use crate::series::questions::{self, Given, Question};
use crate::web::fields::options;
use crate::web::token::looks_like_token;
use crate::web::AppState;

fn policy(state: &AppState) -> Policy {
    Policy::from_settings(&state.settings)
}

fn session_json(s: &Session, series: &Series) -> serde_json::Value {
    json!({
        "id": s.id,
        "title": s.title,
        "series_title": series.title,
        "description": s.description,
        "when": s.when(),
        "timezone": s.timezone,
        "other_zones": s.other_zones(),
        "starts_at": s.starts_machine(),
        "cancelled": s.is_cancelled(),
        "minutes": (s.ends_at - s.starts_at).num_minutes(),
        // The series' name above the topic, unless the topic is the name.
        "kicker": (s.title != series.title).then_some(&series.title),
    })
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    status: StatusCode,
    session: &Session,
    series: &Series,
    registered: i64,
    lineup: &Shown,
    form: &RegistrationForm,
    errors: &FieldErrors,
    asked: &Asked,
) -> HttpResponse {
    let now = state.clock.naive();
    let open = !session.is_cancelled() && session.ends_at > now;
    let field_errors: serde_json::Map<String, serde_json::Value> = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), json!(e.message)))
        .collect();
    // The summary lists the faults in the form's order: the questions
    // come after the contact fields.
    let mut summary: Vec<serde_json::Value> = errors.0.iter().map(|e| json!(e)).collect();
    summary.extend(
        asked
            .errors
            .iter()
            .map(|(field, message)| json!({ "field": field, "message": message })),
    );
    let has_errors = !summary.is_empty();
    state.pages.render(
        status,
        "session",
        &json!({
            // Screen readers announce the title first: say there is a problem.
            "title": if has_errors { format!("Error: {}", session.title) } else { session.title.clone() },
            "session": session_json(session, series),
            "times": true,
            "presenters": lineup.presenters,
            "levers": lineup.levers,
            "materials": lineup.materials,
            "feed": crate::calendar::links::feed_links(&state.settings.http.public_url, &series.slug),
            "open": open,
            // Once it has ended: anyone may say how it went (anonymously).
            "feedback": !session.is_cancelled() && session.ends_at <= now,
            "full": registered >= i64::from(session.capacity),
            "form": form,
            "subscribe_checked": form.subscribe.is_some(),
            "errors": summary,
            "error": field_errors,
            "has_errors": has_errors,
            "questions": answers::form_questions(&lineup.questions, &asked.given, &asked.errors),
            "sectors": options(SECTORS, &form.sector),
            "states": options(STATES, &form.state),
        }),
    )
}

/// What the page shows of a session beyond its row, as page data: its
/// confirmed lineup, its lever tags, and its published materials (once it
/// has taken place).
struct Shown {
    presenters: Vec<serde_json::Value>,
    levers: Vec<lineup::LeverTag>,
    materials: Vec<serde_json::Value>,
    /// The series' own questions, in order.
    questions: Vec<Question>,
}

/// What was sent to the series' questions, and each one's fault.
#[derive(Default)]
struct Asked {
    given: Given,
    errors: Vec<(String, String)>,
}

async fn load_session(
    state: &AppState,
    id: i64,
) -> Result<Option<(Session, Series, i64, Shown)>, DbError> {
    db::run(&state.pool, move |conn| {
        let Some((session, series)) = model::find_session(conn, id)? else {
            return Ok(None);
        };
        let registered = model::counts(conn, &[id], REGISTERED)?
            .first()
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let lineup = Shown {
            presenters: lineup::confirmed(conn, id)?
                .iter()
                .map(lineup::Slot::public_json)
                .collect(),
            levers: lineup::levers::tags(&lineup::session_levers(conn, id)?),
            materials: crate::archive::published_for_session(conn, id)?,
            questions: questions::store::asked(conn, series.id)?,
        };
        Ok(Some((session, series, registered, lineup)))
    })
    .await
}

/// The `?invite=` token of an invitation's link, if the query has one.
fn invite_token(req: &HttpRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "invite")
        .map(|(_, v)| v.into_owned())
}

/// The form filled in for the subscriber behind an invitation's
/// `?invite=` token; empty for anything else.
async fn invited_form(state: &AppState, invite: Option<String>) -> RegistrationForm {
    let Some(token) = invite.filter(|t| looks_like_token(t)) else {
        return RegistrationForm::default();
    };
    let person = db::run(&state.pool, move |conn| {
        crate::lists::person_for_token(conn, &token).map_err(DbError::from)
    })
    .await;
    match person {
        Ok(Some(p)) => RegistrationForm {
            first_name: p.first_name,
            last_name: p.last_name,
            email: p.email,
            organization: p.organization,
            job_title: p.job_title,
            sector: p.sector,
            state: p.state,
            subscribe: None,
            website: String::new(),
        },
        Ok(None) => RegistrationForm::default(),
        Err(e) => {
            tracing::warn!(error = %e, "could not fill in the invited form");
            RegistrationForm::default()
        }
    }
}

/// `GET /sessions/{id}` (`?invite=` fills in the form from an invitation).
pub async fn session_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let Ok(id) = path.parse::<i64>() else {
        return state.pages.not_found();
    };
    if let Some(invite) = invite_token(&req) {
        // The form filled in for one subscriber: theirs alone.
        return session_page_for(&state, id, Some(invite)).await;
    }
    state
        .page_cache
        .serve(&state, &req, session_page_for(&state, id, None))
        .await
}

/// The session page, with the form filled in from `invite` when it is an
/// invitation's token.
async fn session_page_for(state: &AppState, id: i64, invite: Option<String>) -> HttpResponse {
    match load_session(state, id).await {
        Ok(Some((_, series, ..))) if series.kind == crate::series::model::ECHO => {
            crate::auth::forms::see_other(&format!("/echo/session/{id}"))
        }
        Ok(Some((session, series, registered, lineup))) => {
            let form = invited_form(state, invite).await;
            let page = form_page(
                state,
                StatusCode::OK,
                &session,
                &series,
                registered,
                &lineup,
                &form,
                &FieldErrors::default(),
                &Asked::default(),
            );
            if form.email.is_empty() {
                page
            } else {
                state.pages.private(page)
            }
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /sessions/{id}/register`
pub async fn register(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let Ok(id) = path.parse::<i64>() else {
        return state.pages.not_found();
    };
    // The contact fields as the form extractor reads them; the questions'
    // fields (`q-<id>`, repeated for several choices) apart.
    let pairs = form.into_inner();
    let Ok(web::Query(form)) =
        web::Query::<RegistrationForm>::from_query(&answers::form_pairs(&pairs))
    else {
        return HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body("The form could not be read. Please go back and submit it again.");
    };
    if crate::web::limits::caught(&form.website) {
        crate::web::limits::discarded("register");
        return crate::auth::forms::see_other(&format!("/sessions/{id}/check-email"));
    }
    let given = answers::given_from_pairs(&pairs);
    let registrant = match contact::parse(&form) {
        Ok(r) => r,
        // The page says what is wrong with the answers as well.
        Err(errors) => return refused(&state, id, &form, errors, given, None).await,
    };
    let policy = policy(&state);
    let email = registrant.email.masked();
    let now = state.clock.naive();
    // The series' questions are read on the connection that writes: one
    // hand-off to a database thread a post, not two; and only when the
    // session's read says there are any. Answers it does not take write
    // nothing and come back to be shown.
    let result = db::write(&state.pool, move |conn| {
        let open = store::open(conn, id, now)?;
        let asked = if open.asks {
            questions::store::asked(conn, open.series.id)?
        } else {
            Vec::new()
        };
        let answers = match answers::check(&asked, &given, false, questions::field_name) {
            Ok(answers) => answers,
            Err(errors) => return Ok(Err(errors)),
        };
        let done = store::register_open(conn, &open, &registrant, &policy, now)?;
        questions::store::save_answers(conn, done.id, &answers, now)?;
        Ok(Ok(done))
    })
    .await;
    match result {
        Ok(Err(errors)) => {
            let given = answers::given_from_pairs(&pairs);
            refused(
                &state,
                id,
                &form,
                FieldErrors::default(),
                given,
                Some(errors),
            )
            .await
        }
        Ok(Ok(done)) => {
            let label = match done.outcome {
                Outcome::Registered => "registered",
                Outcome::Waitlisted => "waitlisted",
                Outcome::AlreadyRegistered { .. } => "repeat",
            };
            state
                .metrics
                .registrations
                .with_label_values(&[label])
                .inc();
            tracing::info!(session = id, to = %email, outcome = label, "registration");
            if let Some(token) = done.token {
                crate::auth::forms::see_other(&format!("/r/{token}/confirmation"))
            } else {
                // The address already had a registration here: whoever posted
                // may not be its owner, so they learn nothing of it; the owner
                // gets the private link again by e-mail.
                crate::auth::forms::see_other(&format!("/sessions/{id}/check-email"))
            }
        }
        Err(RegisterError::NotFound) => state.pages.not_found(),
        Err(RegisterError::Closed) => state.pages.message(
            StatusCode::CONFLICT,
            "Registration is closed",
            "This session has ended or was cancelled, so it no longer takes registrations.",
        ),
        Err(RegisterError::Db(e)) => state.pages.internal_error(&e.into()),
    }
}

/// The form again (422) with what was wrong: `contact`'s faults, and the
/// answers' — `answer_errors` when the write already checked them, else
/// checked here against the questions the page shows.
async fn refused(
    state: &AppState,
    id: i64,
    form: &RegistrationForm,
    contact: FieldErrors,
    given: Given,
    answer_errors: Option<Vec<(String, String)>>,
) -> HttpResponse {
    match load_session(state, id).await {
        Ok(Some((session, series, registered, lineup))) => {
            let errors = answer_errors.unwrap_or_else(|| {
                answers::check(&lineup.questions, &given, false, questions::field_name)
                    .err()
                    .unwrap_or_default()
            });
            form_page(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &session,
                &series,
                registered,
                &lineup,
                form,
                &contact,
                &Asked { given, errors },
            )
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /sessions/{id}/check-email`: where a registration that could not
/// be shown to whoever posted the form leads (an address that was already
/// registered, or a post the honeypot caught).
pub async fn check_email(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let Ok(id) = path.parse::<i64>() else {
        return state.pages.not_found();
    };
    match load_session(&state, id).await {
        Ok(Some((session, series, ..))) if series.kind != crate::series::model::ECHO => {
            state.pages.ok(
                "registration_sent",
                &json!({
                    "title": format!("Check your inbox: {}", session.title),
                    "session": session_json(&session, &series),
                    "times": true,
                    "resend_minutes": state.settings.mail.resend_confirmation_after_seconds.div_ceil(60),
                }),
            )
        }
        Ok(_) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// The registration behind a token, as page data.
async fn registration_context(
    state: &AppState,
    token: String,
) -> Result<Option<serde_json::Value>, DbError> {
    let public = state.settings.http.public_url.clone();
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let Some(found) = store::find_by_token(conn, &token)? else {
            return Ok(None);
        };
        let store::Found {
            registration: r,
            person,
            session: s,
            series,
        } = found;
        let waitlist_position = store::waitlist_position(conn, &r)?;
        let manage_url = public.join(&format!("/r/{token}"));
        let details = format!(
            "Join: {}\n\nManage your registration: {manage_url}",
            s.join_url
        );
        let (start, end) = (s.starts_at_utc(), s.ends_at_utc());
        let over = s.ends_at <= now;
        Ok(Some(json!({
            "title": s.title,
            "token": token,
            "session": session_json(&s, &series),
            "times": true,
            "first_name": person.first_name,
            "email": person.email,
            "status": r.status,
            "registered": r.status == REGISTERED,
            "waitlisted": r.status == WAITLISTED,
            "cancelled": r.status == store::CANCELLED,
            "waitlist_position": waitlist_position,
            "can_cancel": r.status != store::CANCELLED && !over,
            // "Tuesday 15 December": the day the cancel question names.
            "day": start.with_timezone(&s.tz()).format("%A %-d %B").to_string(),
            "manage_url": manage_url,
            "join_url": s.join_url,
            "ics_url": format!("/sessions/{}/calendar.ics", s.id),
            "google_url": links::google(&s.title, &details, &s.join_url, start, end),
            "outlook_url": links::outlook(&s.title, &details, &s.join_url, start, end),
        })))
    })
    .await
}

async fn token_page(state: web::Data<AppState>, token: String, template: &str) -> HttpResponse {
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    match registration_context(&state, token).await {
        Ok(Some(mut ctx)) => {
            ctx["title"] = json!(page_title(template, &ctx));
            state.pages.private(state.pages.ok(template, &ctx))
        }
        Ok(None) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// The browser tab says what the page is, then which session.
fn page_title(template: &str, ctx: &serde_json::Value) -> String {
    let session = ctx["session"]["title"].as_str().unwrap_or_default();
    let what = match template {
        "confirmation" if ctx["waitlisted"] == true => "You're on the waitlist",
        "confirmation" if ctx["registered"] == true => "You're registered",
        "cancel" => "Cancel your place",
        _ => "Your registration",
    };
    format!("{what}: {session}")
}

/// `GET /r/{token}/confirmation`: right after registering.
pub async fn confirmation(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    token_page(state, path.into_inner(), "confirmation").await
}

/// `GET /r/{token}`: the private manage page. Never changes anything.
pub async fn manage(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    token_page(state, path.into_inner(), "manage").await
}

/// `GET /r/{token}/cancel`: asks once ("Cancel your place on Tuesday 15
/// December?"), with the button that posts; changes nothing.
pub async fn cancel_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    token_page(state, path.into_inner(), "cancel").await
}

/// `POST /r/{token}/cancel`, then 303 to the manage page, which says what
/// happened.
pub async fn cancel(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    let policy = policy(&state);
    let t = token.clone();
    let now = state.clock.naive();
    let result = db::write(&state.pool, move |conn| {
        store::cancel(conn, &crate::web::links::hash(&t), &policy, now)
    })
    .await;
    match result {
        Ok(outcome) => {
            if outcome == CancelOutcome::Cancelled {
                state
                    .metrics
                    .registrations
                    .with_label_values(&["cancelled"])
                    .inc();
            }
            HttpResponse::SeeOther()
                .insert_header(("Location", format!("/r/{token}")))
                .finish()
        }
        Err(CancelError::NotFound) => state.pages.not_found(),
        Err(CancelError::Over) => state.pages.message(
            StatusCode::CONFLICT,
            "This session is over",
            "A registration for a session that has already ended cannot be cancelled.",
        ),
        Err(CancelError::Db(e)) => state.pages.internal_error(&e.into()),
    }
}
