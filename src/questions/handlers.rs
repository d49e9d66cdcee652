//! The API over a series' registration questions and its evaluation
//! questions (asked after each session): read a list, replace it whole (a
//! question left out is archived, its answers kept). The change itself
//! (`change`) is also what the page's forms run; both lists go through the
//! same code, `Form` saying which.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::{ApiUser, Need};
use crate::db::{self, DbConnection, DbError};
use crate::error::ApiError;
use crate::series::model;
use crate::series::questions::store::{self, ReplaceError};
use crate::series::questions::{self as rules, Asked, Draft, Form, Question};
use crate::web::AppState;

/// One question (of the registration form or the evaluation) as organizers
/// see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: i64,
    /// text, choice, choices, yes_no or rating (1 to 5).
    pub kind: String,
    /// What a built-in evaluation question stands for, which the feedback
    /// reports count: rating, usefulness, take_back, lever (its choices are
    /// the levers' codes), topics or present; empty for the series' own.
    /// It never changes; nor do a built-in question's choices.
    pub role: String,
    pub label: String,
    /// Shown under the label; may be empty.
    pub help: String,
    /// What a choice or choices question offers, in order; empty otherwise.
    pub choices: Vec<String>,
    pub required: bool,
    /// Its place on the form, from 0.
    pub position: i32,
    /// When it was archived (RFC 3339, UTC): no longer asked, its answers
    /// kept and exported.
    pub archived_at: Option<String>,
}

impl QuestionView {
    pub fn of(q: &Question) -> Self {
        QuestionView {
            id: q.id,
            kind: q.kind.clone(),
            role: q.role.clone(),
            label: q.label.clone(),
            help: q.help.clone(),
            choices: q.choice_list(),
            required: q.required,
            position: q.position,
            archived_at: q.archived_at.map(|t| t.and_utc().to_rfc3339()),
        }
    }
}

/// A series' registration questions, or its evaluation questions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionList {
    /// The series' slug.
    pub series: String,
    /// Those the form asks, in order.
    pub questions: Vec<QuestionView>,
    /// Those no longer asked, whose answers are kept.
    pub archived: Vec<QuestionView>,
    /// Whether this request changed anything (always false for a read).
    pub changed: bool,
}

impl QuestionList {
    fn of(slug: &str, all: &[Question], changed: bool) -> Self {
        let (archived, asked): (Vec<&Question>, Vec<&Question>) =
            all.iter().partition(|q| q.is_archived());
        QuestionList {
            series: slug.to_string(),
            questions: asked.into_iter().map(QuestionView::of).collect(),
            archived: archived.into_iter().map(QuestionView::of).collect(),
            changed,
        }
    }
}

/// One question of the new list.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// The question this changes (its kind cannot change); absent for a
    /// new one. An archived question listed again is asked again.
    pub id: Option<i64>,
    /// text, choice, choices, yes_no or rating.
    pub kind: String,
    /// Optional: if given, the question's own role (see `QuestionView`);
    /// a new question has none.
    #[serde(default)]
    pub role: Option<String>,
    /// Up to 200 characters, one line.
    pub label: String,
    /// Up to 500 characters.
    #[serde(default)]
    pub help: String,
    /// For choice and choices: 1 to 30, each one line, none twice.
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// The whole list the form is to ask, in order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionsPut {
    /// Required (`[]` archives every question); at most 30. A question
    /// asked now and left out is archived. (Optional in the schema so that
    /// the role is checked before a missing list is refused.)
    pub questions: Option<Vec<QuestionInput>>,
}

/// The drafts of `questions`, or a message per field at fault.
pub fn drafts(questions: &[QuestionInput]) -> Result<Vec<Draft>, ApiError> {
    let mut errors = Vec::new();
    let drafts: Vec<Option<Draft>> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let asked = Asked {
                id: q.id,
                kind: q.kind.clone(),
                label: q.label.clone(),
                help: q.help.clone(),
                choices: q.choices.clone(),
                required: q.required,
                role: q.role.clone(),
            };
            rules::draft(&asked, &format!("questions[{i}]."), &mut errors)
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok(drafts.into_iter().flatten().collect())
}

fn no_series(slug: &str) -> ApiError {
    ApiError::NotFound(format!("There is no series {slug}."))
}

/// How the audit log records a list: ids, kinds, labels, choices and
/// whether required (no one's data).
fn summary(all: &[Question]) -> serde_json::Value {
    json!(all
        .iter()
        .filter(|q| !q.is_archived())
        .map(|q| json!({ "id": q.id, "kind": q.kind, "label": q.label, "choices": q.choice_list(), "required": q.required }))
        .collect::<Vec<_>>())
}

/// What the audit log calls a change to `form`'s list.
fn action(form: Form) -> &'static str {
    match form {
        Form::Registration => "series.questions",
        Form::Evaluation => "series.evaluation_questions",
    }
}

/// Makes `drafts` the questions of series `slug`'s `form` (audited when
/// anything changed). Returns every question after, and whether it changed.
pub fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    slug: &str,
    form: Form,
    drafts: &[Draft],
    now: NaiveDateTime,
) -> Result<(Vec<Question>, bool), ApiError> {
    let done = match store::replace(conn, slug, form, drafts, now) {
        Ok(done) => done,
        Err(ReplaceError::NoSeries) => return Err(no_series(slug)),
        Err(ReplaceError::Invalid(fields)) => return Err(ApiError::fields(fields)),
        Err(ReplaceError::Db(e)) => return Err(e.into()),
    };
    let changed = done.changed();
    if changed {
        audit::record(
            conn,
            actor,
            action(form),
            &format!("series:{slug}"),
            Some(summary(&done.before)),
            Some(summary(&done.after)),
            now,
        )?;
    }
    Ok((done.after, changed))
}

/// Every question of series `slug`'s `form`, or `None` for no such series.
pub async fn load(
    state: &AppState,
    slug: String,
    form: Form,
) -> Result<Option<Vec<Question>>, DbError> {
    db::run(&state.pool, move |conn| {
        let Some(series) = model::find_series(conn, &slug)? else {
            return Ok(None);
        };
        Ok(Some(store::all_of(conn, series.id, form)?))
    })
    .await
}

/// `GET` of `form`'s list.
async fn read(
    state: &AppState,
    user: ApiUser,
    slug: String,
    form: Form,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Read)?;
    let all = load(state, slug.clone(), form)
        .await?
        .ok_or_else(|| no_series(&slug))?;
    Ok(HttpResponse::Ok().json(QuestionList::of(&slug, &all, false)))
}

/// `PUT` of `form`'s list.
async fn write(
    state: &AppState,
    user: ApiUser,
    slug: String,
    form: Form,
    body: &QuestionsPut,
) -> Result<HttpResponse, ApiError> {
    user.require(Need::Organize)?;
    let Some(questions) = body.questions.as_deref() else {
        return Err(ApiError::fields(vec![(
            "questions".into(),
            "the list of questions is required (`[]` for none)".into(),
        )]));
    };
    let drafts = drafts(questions)?;
    let (actor, now) = (user.actor(), state.clock.naive());
    let s = slug.clone();
    let (all, changed) = db::write(&state.pool, move |conn| {
        change(conn, &actor, &s, form, &drafts, now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(QuestionList::of(&slug, &all, changed)))
}

/// A series' registration questions: those asked, in order, and the
/// archived ones.
#[utoipa::path(get, path = "/api/v1/organizer/series/{slug}/questions", tag = "series", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The series' slug, e.g. jam")),
    responses((status = 200, description = "The questions", body = QuestionList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody)))]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read(&state, user, path.into_inner(), Form::Registration).await
}

/// Replaces a series' registration questions with this list, in this
/// order: a question with an `id` is changed (its answers keep the text
/// that was answered), one without is added, and one asked now but left
/// out is archived (no longer asked; its answers kept and exported).
#[utoipa::path(put, path = "/api/v1/organizer/series/{slug}/questions", tag = "series", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The series' slug, e.g. jam")), request_body = QuestionsPut,
    responses((status = 200, description = "The questions now (changed, or already so)", body = QuestionList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn replace(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<QuestionsPut>,
) -> Result<HttpResponse, ApiError> {
    write(&state, user, path.into_inner(), Form::Registration, &body).await
}

/// A series' evaluation questions (asked after each of its sessions):
/// those asked, in order, and the archived ones. The built-in ones carry
/// their `role`.
#[utoipa::path(get, path = "/api/v1/organizer/series/{slug}/evaluation-questions", tag = "series", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The series' slug, e.g. jam")),
    responses((status = 200, description = "The questions", body = QuestionList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody)))]
pub async fn list_evaluation(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read(&state, user, path.into_inner(), Form::Evaluation).await
}

/// Replaces a series' evaluation questions, as the registration questions
/// are replaced. A built-in question (with a `role`) may be relabelled,
/// moved, made optional or required, or archived; its kind, role and
/// choices stay (422 naming the field).
#[utoipa::path(put, path = "/api/v1/organizer/series/{slug}/evaluation-questions", tag = "series", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The series' slug, e.g. jam")), request_body = QuestionsPut,
    responses((status = 200, description = "The questions now (changed, or already so)", body = QuestionList),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "The role may not", body = crate::error::ErrorBody),
        (status = 404, description = "No such series", body = crate::error::ErrorBody),
        (status = 422, description = "Bad fields", body = crate::error::ErrorBody)))]
pub async fn replace_evaluation(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<QuestionsPut>,
) -> Result<HttpResponse, ApiError> {
    write(&state, user, path.into_inner(), Form::Evaluation, &body).await
}
