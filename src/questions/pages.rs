//! The organizer pages of a series' registration questions and of its
//! evaluation questions (one template, `Form` saying which): the list with
//! a form per question (change it, move it up or down, archive it), the
//! archived ones (ask again), and a form to add one. Each form builds the
//! whole new list and runs the API's `change`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::forms::{self, Posted};
use crate::auth::{Need, PageUser};
use crate::db::{self, DbConnection, DbError};
use crate::error::ApiError;
use crate::questions::handlers::change;
use crate::series::model;
use crate::series::questions::store;
use crate::series::questions::{self as rules, Asked, Draft, Form, Question, KINDS};
use crate::web::AppState;

fn kind_label(code: &str) -> &str {
    KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| *l)
}

/// Where `form`'s page is, under `/organizer/series/{slug}/`.
fn path_of(form: Form) -> &'static str {
    match form {
        Form::Registration => "questions",
        Form::Evaluation => "evaluation-questions",
    }
}

fn view(q: &Question, i: usize, count: usize) -> serde_json::Value {
    json!({
        "id": q.id,
        "kind": kind_label(&q.kind),
        "label": q.label,
        "help": q.help,
        "built_in": !q.role.is_empty(),
        // A built-in question's choices (the levers of change) are fixed.
        "offers_choices": q.kind().offers_choices() && q.role.is_empty(),
        "choices": q.choice_list().join("\n"),
        "required": q.required,
        "first": i == 0,
        "last": i + 1 == count,
    })
}

/// `GET /organizer/series/{slug}/questions`
pub async fn page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    show(state, user, path.into_inner(), Form::Registration).await
}

/// `GET /organizer/series/{slug}/evaluation-questions`
pub async fn evaluation_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> HttpResponse {
    show(state, user, path.into_inner(), Form::Evaluation).await
}

async fn show(
    state: web::Data<AppState>,
    user: PageUser,
    slug: String,
    form: Form,
) -> HttpResponse {
    if let Some(refused) = user.forbidden(Need::Read, &state) {
        return refused;
    }
    let found = db::run(&state.pool, move |conn| {
        let Some(series) = model::find_series(conn, &slug)? else {
            return Ok::<_, DbError>(None);
        };
        let all = store::all_of(conn, series.id, form)?;
        Ok(Some((series, all)))
    })
    .await;
    let (series, all) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return state.pages.not_found(),
        Err(e) => return state.pages.internal_error(&e.into()),
    };
    let (archived, asked): (Vec<&Question>, Vec<&Question>) =
        all.iter().partition(|q| q.is_archived());
    state.pages.private(state.pages.ok(
        "organizer/questions",
        &json!({
            "title": format!("{} — {}", heading(form), series.title),
            "heading": heading(form),
            "evaluation": form == Form::Evaluation,
            "base": format!("/organizer/series/{}/{}", series.slug, path_of(form)),
            "series": { "slug": series.slug, "title": series.title },
            "questions": asked.iter().enumerate().map(|(i, q)| view(q, i, asked.len())).collect::<Vec<_>>(),
            "archived": archived.iter().map(|q| view(q, 0, 1)).collect::<Vec<_>>(),
            "kinds": KINDS.iter().map(|(value, label)| json!({ "value": value, "label": label })).collect::<Vec<_>>(),
            "csrf": user.csrf,
            "can_change": user.user.role().allows(Need::Organize),
        }),
    ))
}

fn heading(form: Form) -> &'static str {
    match form {
        Form::Registration => "Registration questions",
        Form::Evaluation => "Evaluation questions",
    }
}

/// A question as the page's form sends it (choices one per line).
fn asked(posted: &Posted, id: Option<i64>, kind: &str) -> Asked {
    Asked {
        id,
        kind: kind.to_string(),
        label: posted.get("label").unwrap_or_default().to_string(),
        help: posted.get("help").unwrap_or_default().to_string(),
        choices: posted
            .get("choices")
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
        required: posted.ticked("required"),
        role: None,
    }
}

fn checked(asked: &Asked) -> Result<Draft, ApiError> {
    let mut errors = Vec::new();
    rules::draft(asked, "", &mut errors).ok_or_else(|| ApiError::fields(errors))
}

/// Series `slug`'s `form` questions: those asked, as drafts that keep
/// them, and the archived ones.
fn current(
    conn: &mut DbConnection,
    slug: &str,
    form: Form,
) -> Result<(Vec<Draft>, Vec<Question>), ApiError> {
    let series = model::find_series(conn, slug)?
        .ok_or_else(|| ApiError::NotFound(format!("There is no series {slug}.")))?;
    let all = store::all_of(conn, series.id, form)?;
    let asked = all
        .iter()
        .filter(|q| !q.is_archived())
        .map(Draft::of)
        .collect();
    Ok((asked, all))
}

/// `POST /organizer/series/{slug}/questions`: adds a question at the end.
pub async fn add(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    posted: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    append(state, user, path.into_inner(), Form::Registration, posted).await
}

/// `POST /organizer/series/{slug}/evaluation-questions`: adds one.
pub async fn evaluation_add(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    posted: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    append(state, user, path.into_inner(), Form::Evaluation, posted).await
}

async fn append(
    state: web::Data<AppState>,
    user: PageUser,
    slug: String,
    which: Form,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let back = format!("/organizer/series/{slug}/{}", path_of(which));
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Organize,
        back.clone(),
        move |conn, actor, posted, now| {
            let kind = posted.get("kind").unwrap_or_default();
            let draft = checked(&asked(posted, None, kind))?;
            let (mut list, _) = current(conn, &slug, which)?;
            list.push(draft);
            change(conn, actor, &slug, which, &list, now)?;
            Ok(back.clone())
        },
    )
    .await
}

/// `POST /organizer/series/{slug}/questions/{id}` with `action`: `save`
/// (label, help, choices, required), `up`, `down`, `archive`, or `restore`
/// (an archived question asked again, at the end).
pub async fn edit(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
    posted: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    alter(state, user, slug, id, Form::Registration, posted).await
}

/// `POST /organizer/series/{slug}/evaluation-questions/{id}`, as `edit`.
pub async fn evaluation_edit(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
    posted: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (slug, id) = path.into_inner();
    alter(state, user, slug, id, Form::Evaluation, posted).await
}

async fn alter(
    state: web::Data<AppState>,
    user: PageUser,
    slug: String,
    id: String,
    which: Form,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let back = format!("/organizer/series/{slug}/{}", path_of(which));
    let id = id.parse::<i64>().unwrap_or(0);
    forms::submit(
        &state,
        &user,
        Posted::from_form(form),
        Need::Organize,
        back.clone(),
        move |conn, actor, posted, now| {
            let (mut list, all) = current(conn, &slug, which)?;
            let question = all
                .iter()
                .find(|q| q.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("This series has no question {id}.")))?;
            let at = list.iter().position(|d| d.id == Some(id));
            match (posted.get("action").unwrap_or("save"), at) {
                ("save", Some(i)) => {
                    let mut sent = asked(posted, Some(id), &question.kind);
                    if !question.role.is_empty() {
                        // Not on the page: a built-in question's choices stay.
                        sent.choices = question.choice_list();
                    }
                    list[i] = checked(&sent)?;
                }
                ("up", Some(i)) if i > 0 => list.swap(i, i - 1),
                ("down", Some(i)) if i + 1 < list.len() => list.swap(i, i + 1),
                ("up" | "down", Some(_)) => {}
                ("archive", Some(i)) => {
                    list.remove(i);
                }
                ("restore", None) => list.push(Draft::of(question)),
                _ => {
                    return Err(ApiError::invalid(
                        "That cannot be done to this question (action: save, up, down, archive or restore).",
                    ))
                }
            }
            change(conn, actor, &slug, which, &list, now)?;
            Ok(back.clone())
        },
    )
    .await
}
