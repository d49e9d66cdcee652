//! Who runs which cohort, and the one check every route into a cohort
//! makes. Organizers and admins assign facilitators to cohorts (a
//! facilitator who creates one runs it); each change is audited. `check`,
//! `cohort` and `session` look up whether the caller runs the cohort and
//! let `Role::on_cohort` / `Role::on_session` decide: 403 for a role that
//! may not, and for a cohort a facilitator does not run the same 404 as
//! for one that does not exist.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::extract::refusal;
use crate::auth::forms::{self, Posted};
use crate::auth::store::{self as users, User};
use crate::auth::{ApiUser, Caller, Need, PageUser, Role, Verdict};
use crate::db::schema::{
    cohort_facilitators, cohorts as cohorts_table, echo_sessions, users as users_table,
};
use crate::db::{self, DbConnection};
use crate::echo::cohorts::{self, Cohort};
use crate::error::ApiError;
use crate::series::model::{self, Series, Session};
use crate::web::AppState;

// ---------------------------------------------------------------- the check

/// Whether user `user_id` is one of cohort `cohort_id`'s facilitators.
pub fn runs(conn: &mut DbConnection, user_id: i64, cohort_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        cohort_facilitators::table
            .filter(cohort_facilitators::cohort_id.eq(cohort_id))
            .filter(cohort_facilitators::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

fn enforce(
    who: Caller,
    verdict: Verdict,
    hidden: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    match verdict {
        Verdict::Allowed => Ok(()),
        Verdict::Hidden => Err(hidden()),
        Verdict::Forbidden => Err(refusal(who.role)),
    }
}

/// Whether `who` may do `need` to cohort `cohort_id`; `hidden` is what
/// the route answers for a thing that does not exist.
pub fn check(
    conn: &mut DbConnection,
    who: Caller,
    need: Need,
    cohort_id: i64,
    hidden: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    let runs_it = runs(conn, who.user_id, cohort_id)?;
    enforce(who, who.role.on_cohort(need, runs_it), hidden)
}

pub(crate) fn no_cohort(slug: &str) -> ApiError {
    ApiError::NotFound(format!("no cohort `{slug}`"))
}

/// Cohort `slug`, or 404.
pub fn cohort_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Cohort, ApiError> {
    cohorts::find(conn, slug)?.ok_or_else(|| no_cohort(slug))
}

/// Cohort `slug`, if `who` may do `need` to it.
pub fn cohort(
    conn: &mut DbConnection,
    who: Caller,
    need: Need,
    slug: &str,
) -> Result<Cohort, ApiError> {
    let found = cohort_by_slug(conn, slug)?;
    check(conn, who, need, found.id, || no_cohort(slug))?;
    Ok(found)
}

/// Session `id` with its series, if `who` may do `need` to it: a cohort's
/// session by its cohort; a Jam session's attendance and materials are
/// the Jam's data, like its registrants.
pub fn session(
    conn: &mut DbConnection,
    who: Caller,
    need: Need,
    id: i64,
) -> Result<(Session, Series), ApiError> {
    let found = model::session_or_404(conn, id)?;
    let cohort_id: Option<i64> = echo_sessions::table
        .filter(echo_sessions::session_id.eq(id))
        .select(echo_sessions::cohort_id)
        .first(conn)
        .optional()?;
    let runs_it = match cohort_id {
        Some(cohort_id) => Some(runs(conn, who.user_id, cohort_id)?),
        None => None,
    };
    enforce(who, who.role.on_session(need, runs_it), || {
        ApiError::NotFound(format!("no session {id}"))
    })?;
    Ok(found)
}

/// The cohorts `who` may see, latest start first: every one for
/// organizers and admins, the ones they run for facilitators.
pub fn visible(conn: &mut DbConnection, who: Caller) -> QueryResult<Vec<Cohort>> {
    let mine: Vec<i64> = cohort_facilitators::table
        .filter(cohort_facilitators::user_id.eq(who.user_id))
        .select(cohort_facilitators::cohort_id)
        .load(conn)?;
    Ok(cohorts::all(conn)?
        .into_iter()
        .filter(|c| who.role.on_cohort(Need::SeeCohort, mine.contains(&c.id)) == Verdict::Allowed)
        .collect())
}

// ---------------------------------------------------------------- assignments

/// Cohort `cohort_id`'s facilitators, by name.
pub fn of_cohort(conn: &mut DbConnection, cohort_id: i64) -> QueryResult<Vec<User>> {
    users_table::table
        .inner_join(cohort_facilitators::table)
        .filter(cohort_facilitators::cohort_id.eq(cohort_id))
        .order((users_table::name, users_table::id))
        .select(User::as_select())
        .load(conn)
}

/// Every assignment as (user id, cohort slug), by cohort.
pub fn all_assignments(conn: &mut DbConnection) -> QueryResult<Vec<(i64, String)>> {
    cohort_facilitators::table
        .inner_join(cohorts_table::table)
        .order((cohorts_table::slug, cohort_facilitators::user_id))
        .select((cohort_facilitators::user_id, cohorts_table::slug))
        .load(conn)
}

/// What the API and pages show of a cohort's facilitator.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Facilitator {
    /// Their user id.
    pub id: i64,
    pub name: String,
    pub email: String,
}

impl From<&User> for Facilitator {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
        }
    }
}

/// A cohort's facilitators after a change to them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Facilitators {
    pub facilitators: Vec<Facilitator>,
}

fn subject(cohort: &Cohort) -> String {
    format!("cohort:{}", cohort.slug)
}

/// Makes `user` one of `cohort`'s facilitators (audited); `false` when
/// they already were.
fn insert(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    user: &User,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let sql = conn.sql(
        "INSERT INTO cohort_facilitators (cohort_id, user_id, assigned_by, created_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (cohort_id, user_id) DO NOTHING",
    );
    let added = diesel::sql_query(sql)
        .bind::<BigInt, _>(cohort.id)
        .bind::<BigInt, _>(user.id)
        .bind::<Text, _>(&actor.label)
        .bind::<Timestamp, _>(now)
        .execute(conn)?
        > 0;
    if added {
        audit::record(
            conn,
            actor,
            "cohort.facilitator.assign",
            &subject(cohort),
            None,
            Some(json!({ "facilitator": user.email })),
            now,
        )?;
    }
    Ok(added)
}

/// Assigns the account with e-mail `email` to `cohort`: only an active
/// facilitator's (organizers and admins see every cohort already).
pub fn assign(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    email: &str,
    now: NaiveDateTime,
) -> Result<User, ApiError> {
    let refuse = |message: String| ApiError::fields(vec![("email".into(), message)]);
    let user = users::find_by_email(conn, email)?
        .filter(|u| !u.is_disabled())
        .ok_or_else(|| refuse(format!("no active account has the e-mail `{email}`")))?;
    if user.role() != Role::Facilitator {
        return Err(refuse(format!(
            "{} is an {}: organizers and admins see every cohort; facilitators are assigned",
            user.email, user.role
        )));
    }
    insert(conn, actor, cohort, &user, now)?;
    Ok(user)
}

/// A facilitator who creates a cohort runs it.
pub fn assign_creator(
    conn: &mut DbConnection,
    actor: &Actor,
    who: Caller,
    cohort: &Cohort,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if who.role == Role::Facilitator {
        if let Some(user) = users::find(conn, who.user_id)? {
            insert(conn, actor, cohort, &user, now)?;
        }
    }
    Ok(())
}

/// Ends user `user_id`'s assignment to `cohort` (audited); 404 when they
/// are not one of its facilitators.
pub fn unassign(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<User, ApiError> {
    let not_theirs = || {
        ApiError::NotFound(format!(
            "user {user_id} is not one of {}'s facilitators",
            cohort.name
        ))
    };
    let user = users::find(conn, user_id)?.ok_or_else(not_theirs)?;
    let removed = diesel::delete(
        cohort_facilitators::table
            .filter(cohort_facilitators::cohort_id.eq(cohort.id))
            .filter(cohort_facilitators::user_id.eq(user_id)),
    )
    .execute(conn)?;
    if removed == 0 {
        return Err(not_theirs());
    }
    audit::record(
        conn,
        actor,
        "cohort.facilitator.unassign",
        &subject(cohort),
        Some(json!({ "facilitator": user.email })),
        None,
        now,
    )?;
    Ok(user)
}

// ---------------------------------------------------------------- API

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The facilitator's account e-mail.
    #[schema(required = true, value_type = String)]
    email: Option<String>,
}

fn email_of(b: &AssignBody) -> Result<String, ApiError> {
    b.email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::fields(vec![("email".into(), "`email` is required".into())]))
}

/// Runs an assignment change to cohort `slug` (organizers and admins) and
/// answers with the cohort's facilitators after it.
async fn api_change<F>(
    state: &AppState,
    user: &ApiUser,
    slug: String,
    change: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut DbConnection, &Actor, &Cohort, NaiveDateTime) -> Result<User, ApiError>
        + Send
        + 'static,
{
    user.require(Need::Assign)?;
    let (who, actor, now) = (user.caller(), user.actor(), state.clock.naive());
    let after = db::write(&state.pool, move |conn| {
        let found = cohort(conn, who, Need::Assign, &slug)?;
        change(conn, &actor, &found, now)?;
        Ok::<_, ApiError>(of_cohort(conn, found.id)?)
    })
    .await?;
    let view = Facilitators {
        facilitators: after.iter().map(Facilitator::from).collect(),
    };
    Ok(HttpResponse::Ok().json(view))
}

/// Assigns a facilitator to a cohort: they then see and run it.
#[utoipa::path(post, path = "/api/v1/echo/cohorts/{slug}/facilitators", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug")), request_body = AssignBody,
    responses((status = 200, description = "The cohort's facilitators after the change", body = Facilitators),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Organizers and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort", body = crate::error::ErrorBody),
        (status = 422, description = "No active facilitator has that e-mail", body = crate::error::ErrorBody)))]
pub async fn api_assign(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    api_change(
        &state,
        &user,
        path.into_inner(),
        move |conn, actor, c, now| assign(conn, actor, c, &email_of(&body)?, now),
    )
    .await
}

/// Ends a facilitator's assignment to a cohort.
#[utoipa::path(delete, path = "/api/v1/echo/cohorts/{slug}/facilitators/{user_id}", tag = "echo", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Cohort slug"), ("user_id" = i64, Path, description = "The facilitator's user id")),
    responses((status = 200, description = "The cohort's facilitators after the change", body = Facilitators),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Organizers and admins only", body = crate::error::ErrorBody),
        (status = 404, description = "No such cohort, or not one of its facilitators", body = crate::error::ErrorBody)))]
pub async fn api_unassign(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, user_id) = path.into_inner();
    api_change(&state, &user, slug, move |conn, actor, c, now| {
        unassign(conn, actor, c, user_id, now)
    })
    .await
}

// ---------------------------------------------------------------- pages

type PostedForm = web::Form<Vec<(String, String)>>;

/// Runs an assignment change from the cohort's page, and back to it.
async fn page_change<F>(
    state: &AppState,
    user: &PageUser,
    slug: String,
    form: PostedForm,
    change: F,
) -> HttpResponse
where
    F: Fn(&mut DbConnection, &Actor, &Cohort, &Posted, NaiveDateTime) -> Result<User, ApiError>
        + Send
        + Sync
        + 'static,
{
    let (who, back) = (
        user.caller(),
        format!("/organizer/echo/{slug}#facilitators"),
    );
    forms::submit(
        state,
        user,
        Posted::from_form(form),
        Need::Assign,
        back.clone(),
        move |conn, actor, form, now| {
            let found = cohort(conn, who, Need::Assign, &slug)?;
            change(conn, actor, &found, form, now)?;
            Ok(back.clone())
        },
    )
    .await
}

/// `POST /organizer/echo/{slug}/facilitators`: `email`.
pub async fn page_assign(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: PostedForm,
) -> HttpResponse {
    page_change(
        &state,
        &user,
        path.into_inner(),
        form,
        |conn, actor, c, form, now| assign(conn, actor, c, &email_of(&form.body(&[])?)?, now),
    )
    .await
}

/// `POST /organizer/echo/{slug}/facilitators/{user_id}/remove`.
pub async fn page_unassign(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: PostedForm,
) -> HttpResponse {
    let (slug, user_id) = path.into_inner();
    page_change(&state, &user, slug, form, move |conn, actor, c, _, now| {
        unassign(conn, actor, c, user_id, now)
    })
    .await
}

/// Assigning facilitators to a cohort (API and page).
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.post("/api/v1/echo/cohorts/{slug}/facilitators", api_assign)
        .delete(
            "/api/v1/echo/cohorts/{slug}/facilitators/{user_id}",
            api_unassign,
        )
        .post("/organizer/echo/{slug}/facilitators", page_assign)
        .post(
            "/organizer/echo/{slug}/facilitators/{user_id}/remove",
            page_unassign,
        );
}
