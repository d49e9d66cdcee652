//! The evaluation's pages: `GET/POST /r/{token}/feedback` (a registrant's
//! own, through their manage link's token; their later answers replace
//! their earlier ones), `GET/POST /sessions/{id}/feedback` (anonymous, a
//! new evaluation each time, showing no one's answers), and the thank-you
//! page both lead to (303, so a reload sends nothing twice).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::domain::{self, Checked, Closed, Faults, Sent, VolunteerForm};
use super::questions::{LEVER, PRESENT};
use super::store;
use crate::auth::forms::see_other;
use crate::db::{self, DbConnection, DbError};
use crate::interest::{self, Volunteer};
use crate::lineup::levers;
use crate::lists::ListPolicy;
use crate::mail::EmailAddress;
use crate::people::contact::{Registrant, SECTORS, STATES};
use crate::people::Person;
use crate::registration::{self, answers, REGISTERED};
use crate::series::model::{self, Series, Session, ECHO};
use crate::series::questions::{self, Form, Given, Question};
use crate::web::token::looks_like_token;
use crate::web::AppState;

/// Whose evaluation a form is.
#[derive(Debug, Clone)]
enum Whose {
    /// A registrant's, through their link's token.
    Own {
        token: String,
        registration_id: i64,
        person: Box<Person>,
    },
    Anonymous,
}

/// The session a form evaluates, with its questions.
struct Opened {
    session: Session,
    series: Series,
    questions: Vec<Question>,
    whose: Whose,
    /// What the registrant answered before (their own form only).
    before: Given,
}

/// Why a form cannot be shown or taken.
enum Refused {
    NotFound,
    /// Not a registrant with a place (waitlisted, or cancelled).
    NoPlace,
    Closed(Closed),
}

type Loaded = Result<Result<Opened, Refused>, DbError>;

fn refused(state: &AppState, why: Refused) -> HttpResponse {
    let (title, message) = match why {
        Refused::NotFound => return state.pages.not_found(),
        Refused::NoPlace => (
            "No evaluation for this registration",
            "The evaluation is for the people who had a place at the session. You can still tell us what you think from the session's page.",
        ),
        Refused::Closed(Closed::NotYet) => (
            "Not yet",
            "The evaluation opens when the session has ended. Come back after it.",
        ),
        Refused::Closed(Closed::Cancelled) => (
            "This session was cancelled",
            "A cancelled session takes no evaluation.",
        ),
    };
    state.pages.message(StatusCode::CONFLICT, title, message)
}

/// The session and its evaluation questions, if it takes evaluations now.
fn session_form(
    conn: &mut DbConnection,
    session: Session,
    series: Series,
    whose: Whose,
    now: chrono::NaiveDateTime,
) -> Result<Result<Opened, Refused>, DbError> {
    if series.kind == ECHO {
        return Ok(Err(Refused::NotFound));
    }
    if let Err(closed) = domain::open(session.ends_at, session.is_cancelled(), now) {
        return Ok(Err(Refused::Closed(closed)));
    }
    let questions = questions::store::asked_of(conn, series.id, Form::Evaluation)?;
    let before = match &whose {
        Whose::Own {
            registration_id, ..
        } => store::given_by(conn, *registration_id, &questions)?,
        Whose::Anonymous => Given::new(),
    };
    Ok(Ok(Opened {
        session,
        series,
        questions,
        whose,
        before,
    }))
}

/// The registrant's form behind `token`.
async fn load_own(state: &AppState, token: String) -> Loaded {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let Some(found) = registration::find_by_token(conn, &token)? else {
            return Ok(Err(Refused::NotFound));
        };
        if found.registration.status != REGISTERED {
            return Ok(Err(Refused::NoPlace));
        }
        let whose = Whose::Own {
            token: token.clone(),
            registration_id: found.registration.id,
            person: Box::new(found.person),
        };
        session_form(conn, found.session, found.series, whose, now)
    })
    .await
}

/// The anonymous form of session `id`.
async fn load_public(state: &AppState, id: i64) -> Loaded {
    let now = state.clock.naive();
    db::run(&state.pool, move |conn| {
        let Some((session, series)) = model::find_session(conn, id)? else {
            return Ok(Err(Refused::NotFound));
        };
        session_form(conn, session, series, Whose::Anonymous, now)
    })
    .await
}

/// The form's questions as page data; the lever question shows the
/// levers' labels (its values are their codes).
fn shown_questions(questions: &[Question], given: &Given, faults: &Faults) -> Vec<Value> {
    let mut shown = answers::form_questions(questions, given, faults);
    for (q, view) in questions.iter().zip(shown.iter_mut()) {
        if q.role != LEVER {
            continue;
        }
        if let Some(options) = view["options"].as_array_mut() {
            for option in options {
                let label = option["value"].as_str().and_then(levers::label);
                if let Some(label) = label {
                    option["label"] = json!(label);
                }
            }
        }
    }
    shown
}

fn form_page(
    state: &AppState,
    status: StatusCode,
    form: &Opened,
    given: &Given,
    volunteer: &VolunteerForm,
    faults: &Faults,
) -> HttpResponse {
    let (action, first_name, again) = match &form.whose {
        Whose::Own { token, person, .. } => (
            format!("/r/{token}/feedback"),
            Some(person.first_name.clone()),
            !form.before.is_empty(),
        ),
        Whose::Anonymous => (
            format!("/sessions/{}/feedback", form.session.id),
            None,
            false,
        ),
    };
    let anonymous = matches!(form.whose, Whose::Anonymous);
    let error: serde_json::Map<String, Value> = faults
        .iter()
        .map(|(field, message)| (field.clone(), json!(message)))
        .collect();
    let title = format!("How did it go? {}", form.session.title);
    let page = state.pages.render(
        status,
        "evaluation/form",
        &json!({
            "title": if faults.is_empty() { title } else { format!("Error: {title}") },
            "session": {
                "id": form.session.id,
                "title": form.session.title,
                "series_title": form.series.title,
                "when": form.session.when(),
            },
            "action": action,
            "first_name": first_name,
            "again": again,
            "anonymous": anonymous,
            "asks_volunteer": anonymous && form.questions.iter().any(|q| q.role == PRESENT),
            "form": volunteer,
            "errors": faults.iter().map(|(field, message)| json!({ "field": field, "message": message })).collect::<Vec<_>>(),
            "error": error,
            "has_errors": !faults.is_empty(),
            "questions": shown_questions(&form.questions, given, faults),
        }),
    );
    if anonymous {
        page
    } else {
        state.pages.private(page)
    }
}

fn parse_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok()
}

/// `GET /r/{token}/feedback`: the registrant's own evaluation, with what
/// they answered before.
pub async fn own_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    match load_own(&state, token).await {
        Ok(Ok(form)) => {
            let before = form.before.clone();
            form_page(
                &state,
                StatusCode::OK,
                &form,
                &before,
                &VolunteerForm::default(),
                &Vec::new(),
            )
        }
        Ok(Err(why)) => refused(&state, why),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /sessions/{id}/feedback`: the anonymous evaluation.
pub async fn public_page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let Some(id) = parse_id(&path) else {
        return state.pages.not_found();
    };
    match load_public(&state, id).await {
        Ok(Ok(form)) => form_page(
            &state,
            StatusCode::OK,
            &form,
            &Given::new(),
            &VolunteerForm::default(),
            &Vec::new(),
        ),
        Ok(Err(why)) => refused(&state, why),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `POST /r/{token}/feedback`, then 303 to the thank-you page.
pub async fn own_submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    posted: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let token = path.into_inner();
    if !looks_like_token(&token) {
        return state.pages.not_found();
    }
    let loaded = load_own(&state, token).await;
    submit(&state, loaded, &posted.into_inner()).await
}

/// `POST /sessions/{id}/feedback`, then 303 to the thank-you page.
pub async fn public_submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    posted: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let Some(id) = parse_id(&path) else {
        return state.pages.not_found();
    };
    let pairs = posted.into_inner();
    if crate::web::limits::caught_in(&pairs) {
        crate::web::limits::discarded("evaluation");
        return see_other(&format!("/sessions/{id}/feedback/thanks"));
    }
    let loaded = load_public(&state, id).await;
    submit(&state, loaded, &pairs).await
}

/// The registrant as a volunteer: who they registered as.
fn as_volunteer(person: &Person) -> Option<Registrant> {
    let code = |list: &[(&'static str, &str)], v: &str| {
        list.iter().find(|(c, _)| *c == v).map_or("", |(c, _)| *c)
    };
    Some(Registrant {
        first_name: person.first_name.clone(),
        last_name: person.last_name.clone(),
        email: EmailAddress::parse(&person.email).ok()?,
        organization: person.organization.clone(),
        job_title: person.job_title.clone(),
        sector: code(SECTORS, &person.sector),
        state: code(STATES, &person.state),
        subscribe: false,
    })
}

/// Checks and stores a post to a loaded form.
async fn submit(state: &AppState, loaded: Loaded, pairs: &[(String, String)]) -> HttpResponse {
    let form = match loaded {
        Ok(Ok(form)) => form,
        Ok(Err(why)) => return refused(state, why),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let sent = Sent::from_pairs(pairs);
    let anonymous = matches!(form.whose, Whose::Anonymous);
    let (checked, volunteer) = match domain::check(&form.questions, &sent, anonymous) {
        Ok(ok) => ok,
        Err(faults) => {
            return form_page(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &sent.given,
                &sent.volunteer,
                &faults,
            )
        }
    };
    let (registration_id, volunteer) = match &form.whose {
        Whose::Own {
            registration_id,
            person,
            ..
        } => (Some(*registration_id), as_volunteer(person)),
        Whose::Anonymous => (None, volunteer),
    };
    let offer = volunteer.filter(|_| checked.present).map(|person| {
        let date = form
            .session
            .starts_at_utc()
            .with_timezone(&form.session.tz())
            .format("%B %-d, %Y")
            .to_string();
        let (topic, abstract_text) =
            domain::proposal_words(&form.session.title, &date, &form.questions, &checked);
        Volunteer {
            person,
            topic,
            abstract_text,
            levers: checked.lever.into_iter().collect(),
        }
    });
    let policy = ListPolicy::from_settings(&state.settings);
    let (session_id, asked, now) = (form.session.id, form.questions.clone(), state.clock.naive());
    let result = db::write(&state.pool, move |conn| {
        save(
            conn,
            session_id,
            registration_id,
            &asked,
            &checked,
            offer.as_ref(),
            &policy,
            now,
        )
    })
    .await;
    match result {
        Ok(()) => {
            tracing::info!(
                session = session_id,
                own = !anonymous,
                "evaluation received"
            );
            see_other(&format!("/sessions/{session_id}/feedback/thanks"))
        }
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// One transaction: the evaluation and, for a volunteer, the proposal.
#[allow(clippy::too_many_arguments)]
fn save(
    conn: &mut DbConnection,
    session_id: i64,
    registration_id: Option<i64>,
    asked: &[Question],
    checked: &Checked,
    offer: Option<&Volunteer>,
    policy: &ListPolicy,
    now: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    store::save(conn, session_id, registration_id, asked, checked, now)?;
    if let Some(offer) = offer {
        interest::volunteer(conn, offer, policy, now)?;
    }
    Ok(())
}

/// `GET /sessions/{id}/feedback/thanks`: the same words for everyone.
pub async fn thanks(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let Some(id) = parse_id(&path) else {
        return state.pages.not_found();
    };
    let found = db::run(&state.pool, move |conn| {
        model::find_session(conn, id).map_err(DbError::from)
    })
    .await;
    match found {
        Ok(Some((session, series))) if series.kind != ECHO => state.pages.ok(
            "evaluation/thanks",
            &json!({
                "title": format!("Thank you for your feedback: {}", session.title),
                "session": { "id": session.id, "title": session.title },
            }),
        ),
        Ok(_) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}
