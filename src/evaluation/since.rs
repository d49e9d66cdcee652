//! "What came of it": `evaluation.follow_up_days` after a session, each
//! registrant whose evaluation said what they would take back to their
//! organization is e-mailed once (`evaluation:<id>:since`, the evaluation
//! marked `since_asked_at` in the same transaction), with a link to
//! `/r/{token}/since` (their registration's manage link): did they act on
//! it, which levers it moved, what changed. Answering again replaces the
//! answer. Anonymous evaluations, erased people and registrations whose
//! link is gone are never asked.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde_json::json;

use crate::config::{PublicUrl, Settings};
use crate::db::schema::{
    evaluation_answers, evaluations, people, registration_questions, registrations, sessions,
};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::evaluation::questions::TAKE_BACK;
use crate::lineup::levers;
use crate::mail::outbox;
use crate::series::model::{self, Series, Session};
use crate::web::fields::FieldErrors;
use crate::web::links::{hash, PLACEHOLDER_SQL_OPEN};
use crate::web::token::looks_like_token;
use crate::web::AppState;

/// The longest "what changed?" answer kept.
pub const MAX_CHANGED: usize = 2000;

/// The registrant's pages of the question.
pub fn routes(r: &mut crate::web::routes::Routes) {
    r.get("/r/{token}/since", page)
        .post("/r/{token}/since", answer)
        .get("/r/{token}/since/thanks", thanks);
}

// ---------------------------------------------------------------- asking

/// Queues the question to `session`'s evaluations that are due (took
/// something back, not asked yet, a registrant who still has a link and
/// was not erased), one `INSERT … SELECT`, then marks those whose message
/// is in the outbox as asked. Answers how many messages were queued.
fn ask_session(
    conn: &mut DbConnection,
    public: &PublicUrl,
    session: &Session,
    series: &Series,
    days: u32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let base = json!({
        "series_title": series.title,
        "session_title": session.title,
        "session_url": public.join(&format!("/sessions/{}", session.id)),
        "date": session.starts_at_utc().with_timezone(&session.tz()).format("%B %-d, %Y").to_string(),
        "days": days,
    });
    let take_back = format!(
        "COALESCE((SELECT a.value FROM evaluation_answers a \
         JOIN registration_questions q ON q.id = a.question_id \
         WHERE a.evaluation_id = e.id AND q.role = '{TAKE_BACK}' \
         ORDER BY q.position, q.id LIMIT 1), '')"
    );
    let context = conn.json_extend(
        "?",
        &[
            ("first_name", "p.first_name"),
            ("take_back", take_back.as_str()),
            ("since_url", "? || r.token_sealed || '~/since'"),
        ],
    );
    let insert = conn.sql(&format!(
        "INSERT INTO outbox (idempotency_key, template, recipient, context, calendar, status, attempts, \
         next_attempt_at, created_at) \
         SELECT 'evaluation:' || CAST(e.id AS TEXT) || ':since', 'evaluation_since', p.email, {context}, \
         NULL, 'pending', 0, ?, ? \
         FROM evaluations e JOIN registrations r ON r.id = e.registration_id \
         JOIN people p ON p.id = r.person_id \
         WHERE e.session_id = ? AND e.took_back AND e.since_asked_at IS NULL \
         AND r.token_sealed IS NOT NULL AND p.email NOT LIKE ? \
         ON CONFLICT (idempotency_key) DO NOTHING"
    ));
    let queued = diesel::sql_query(insert)
        .bind::<Text, _>(db::open_json_object(&base))
        .bind::<Text, _>(public.join(&format!("/r/{PLACEHOLDER_SQL_OPEN}")))
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(session.id)
        .bind::<Text, _>(format!("%{}", outbox::ERASED_DOMAIN))
        .execute(conn)?;
    let mark = conn.sql(
        "UPDATE evaluations SET since_asked_at = ? \
         WHERE session_id = ? AND since_asked_at IS NULL AND EXISTS (SELECT 1 FROM outbox o \
         WHERE o.idempotency_key = 'evaluation:' || CAST(evaluations.id AS TEXT) || ':since')",
    );
    diesel::sql_query(mark)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(session.id)
        .execute(conn)?;
    Ok(queued)
}

/// The scheduler's step: asks every evaluation whose session ended at
/// least `evaluation.follow_up_days` ago, a session per transaction;
/// returns how many messages were queued.
pub async fn ask_due(
    pool: &Pool,
    settings: &Settings,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let days = settings.evaluation.follow_up_days;
    if days == 0 {
        return Ok(0);
    }
    let ended_by = now - Duration::days(i64::from(days));
    let due: Vec<(Session, Series)> = db::run(pool, move |conn| {
        // Only those `ask_session` asks, so that someone erased does not
        // cost a write every tick.
        let ids: Vec<i64> = evaluations::table
            .inner_join(sessions::table)
            .inner_join(registrations::table.inner_join(people::table))
            .filter(evaluations::took_back.eq(true))
            .filter(evaluations::since_asked_at.is_null())
            .filter(sessions::ends_at.le(ended_by))
            .filter(registrations::token_sealed.is_not_null())
            .filter(people::email.not_like(format!("%{}", outbox::ERASED_DOMAIN)))
            .select(evaluations::session_id)
            .distinct()
            .load(conn)?;
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.extend(model::find_session(conn, id)?);
        }
        Ok::<_, DbError>(found)
    })
    .await?;
    let mut queued = 0;
    for (session, series) in due {
        let public = settings.http.public_url.clone();
        queued += db::write(pool, move |conn| {
            ask_session(conn, &public, &session, &series, days, now).map_err(DbError::from)
        })
        .await?;
    }
    Ok(queued)
}

// ---------------------------------------------------------------- the form

/// The form as posted (`lever` repeats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinceForm {
    pub acted_on: String,
    pub levers: Vec<String>,
    pub changed: String,
}

impl SinceForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "acted_on" => f.acted_on = value,
                "lever" => f.levers.push(value),
                "changed" => f.changed = value,
                _ => {}
            }
        }
        f
    }
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    pub acted_on: bool,
    /// Lever codes, in the taxonomy's order; none when they did not act.
    pub levers: Vec<&'static str>,
    pub changed: String,
}

/// Checks the form: yes or no is required, the levers must be the
/// taxonomy's, what changed is at most [`MAX_CHANGED`] characters.
pub fn parse(form: &SinceForm) -> Result<Since, FieldErrors> {
    let mut errors = FieldErrors::default();
    let acted_on = match form.acted_on.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.add("acted_on", "Say whether you acted on it: yes or no.");
            None
        }
    };
    let levers = levers::parse(&form.levers)
        .map_err(|_| errors.add("levers", "Choose among the levers of change listed."))
        .unwrap_or_default();
    let changed = form.changed.trim().to_string();
    if changed.chars().count() > MAX_CHANGED {
        errors.add(
            "changed",
            format!("Say what changed in at most {MAX_CHANGED} characters."),
        );
    }
    match acted_on {
        Some(acted_on) if errors.is_empty() => Ok(Since {
            acted_on,
            levers: if acted_on { levers } else { Vec::new() },
            changed,
        }),
        _ => Err(errors),
    }
}

/// The evaluation a manage link's question is about.
struct Asked {
    id: i64,
    session: Session,
    series: Series,
    take_back: String,
    answered_at: Option<NaiveDateTime>,
    form: SinceForm,
}

/// The asked evaluation of the registration whose link is `token`.
fn asked(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Asked>> {
    type Row = (
        i64,
        i64,
        Option<NaiveDateTime>,
        Option<bool>,
        String,
        String,
    );
    let row: Option<Row> = evaluations::table
        .inner_join(registrations::table)
        .filter(registrations::token_hash.eq(hash(token)))
        .filter(evaluations::since_asked_at.is_not_null())
        .select((
            evaluations::id,
            evaluations::session_id,
            evaluations::since_answered_at,
            evaluations::acted_on,
            evaluations::since_levers,
            evaluations::since_changed,
        ))
        .first(conn)
        .optional()?;
    let Some((id, session_id, answered_at, acted_on, since_levers, changed)) = row else {
        return Ok(None);
    };
    let Some((session, series)) = model::find_session(conn, session_id)? else {
        return Ok(None);
    };
    let take_back: Option<String> = evaluation_answers::table
        .inner_join(registration_questions::table)
        .filter(evaluation_answers::evaluation_id.eq(id))
        .filter(registration_questions::role.eq(TAKE_BACK))
        .order((registration_questions::position, registration_questions::id))
        .select(evaluation_answers::value)
        .first(conn)
        .optional()?;
    let form = SinceForm {
        acted_on: match acted_on {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        levers: serde_json::from_str(&since_levers).unwrap_or_default(),
        changed,
    };
    Ok(Some(Asked {
        id,
        session,
        series,
        take_back: take_back.unwrap_or_default(),
        answered_at,
        form,
    }))
}

/// Stores the answer over any earlier one; whether there was an asked
/// evaluation to answer.
fn store(
    conn: &mut DbConnection,
    token: &str,
    since: &Since,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(asked) = asked(conn, token)? else {
        return Ok(false);
    };
    let levers = serde_json::to_string(&since.levers).expect("codes serialize");
    diesel::update(evaluations::table.find(asked.id))
        .set((
            evaluations::acted_on.eq(Some(since.acted_on)),
            evaluations::since_levers.eq(levers),
            evaluations::since_changed.eq(&since.changed),
            evaluations::since_answered_at.eq(Some(now)),
            evaluations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

fn form_page(
    state: &AppState,
    status: StatusCode,
    token: &str,
    asked: &Asked,
    form: &SinceForm,
    errors: &FieldErrors,
) -> HttpResponse {
    let error: serde_json::Map<String, serde_json::Value> = errors
        .0
        .iter()
        .map(|e| (e.field.to_string(), json!(e.message)))
        .collect();
    let title = format!("What came of it: {}", asked.session.title);
    state.pages.private(state.pages.render(
        status,
        "since",
        &json!({
            "title": if errors.is_empty() { title } else { format!("Error: {title}") },
            "token": token,
            "series_title": asked.series.title,
            "session_title": asked.session.title,
            "date": asked.session.starts_at_utc().with_timezone(&asked.session.tz()).format("%B %-d, %Y").to_string(),
            "take_back": asked.take_back,
            "answered": asked.answered_at.is_some(),
            "yes": form.acted_on == "yes",
            "no": form.acted_on == "no",
            "levers": levers::LEVERS.iter().map(|(code, label)| json!({
                "value": code, "label": label, "checked": form.levers.iter().any(|l| l == code),
            })).collect::<Vec<_>>(),
            "changed": form.changed,
            "max_changed": MAX_CHANGED,
            "errors": errors.0,
            "error": error,
            "has_errors": !errors.is_empty(),
        }),
    ))
}

/// The asked evaluation behind `token`, or the page to answer with.
async fn find(state: &AppState, token: &str) -> Result<Asked, HttpResponse> {
    if !looks_like_token(token) {
        return Err(state.pages.not_found());
    }
    let t = token.to_string();
    match db::run(&state.pool, move |conn| {
        asked(conn, &t).map_err(DbError::from)
    })
    .await
    {
        Ok(Some(asked)) => Ok(asked),
        Ok(None) => Err(state.pages.not_found()),
        Err(e) => Err(state.pages.internal_error(&e.into())),
    }
}

/// `GET /r/{token}/since`: the question, with an earlier answer filled in.
pub async fn page(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    match find(&state, &token).await {
        Ok(asked) => form_page(
            &state,
            StatusCode::OK,
            &token,
            &asked,
            &asked.form,
            &FieldErrors::default(),
        ),
        Err(page) => page,
    }
}

/// `POST /r/{token}/since`, then 303 to the thanks; 422 with a message per
/// field.
pub async fn answer(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let token = path.into_inner();
    let asked = match find(&state, &token).await {
        Ok(asked) => asked,
        Err(page) => return page,
    };
    let form = SinceForm::from_pairs(form.into_inner());
    let since = match parse(&form) {
        Ok(since) => since,
        Err(errors) => {
            return form_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &token,
                &asked,
                &form,
                &errors,
            )
        }
    };
    let (t, now) = (token.clone(), state.clock.naive());
    match db::write(&state.pool, move |conn| {
        store(conn, &t, &since, now).map_err(DbError::from)
    })
    .await
    {
        Ok(true) => crate::auth::forms::see_other(&format!("/r/{token}/since/thanks")),
        Ok(false) => state.pages.not_found(),
        Err(e) => state.pages.internal_error(&e.into()),
    }
}

/// `GET /r/{token}/since/thanks`: where the answer lands, so a reload
/// sends nothing twice.
pub async fn thanks(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    match find(&state, &token).await {
        Ok(asked) if asked.answered_at.is_some() => state.pages.private(state.pages.ok(
            "since_thanks",
            &json!({
                "title": format!("Thank you: {}", asked.session.title),
                "token": token,
                "series_title": asked.series.title,
            }),
        )),
        Ok(_) => state.pages.not_found(),
        Err(page) => page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(acted_on: &str, levers: &[&str], changed: &str) -> SinceForm {
        SinceForm {
            acted_on: acted_on.into(),
            levers: levers.iter().map(|l| l.to_string()).collect(),
            changed: changed.into(),
        }
    }

    #[test]
    fn yes_or_no_is_required_and_levers_must_be_known() {
        let errors = parse(&form("", &["vibes"], "")).unwrap_err();
        assert!(errors.get("acted_on").is_some(), "{errors:?}");
        assert!(errors.get("levers").is_some(), "{errors:?}");
        let long = "x".repeat(MAX_CHANGED + 1);
        assert!(parse(&form("yes", &[], &long))
            .unwrap_err()
            .get("changed")
            .is_some());
    }

    #[test]
    fn a_yes_keeps_its_levers_in_order_and_a_no_keeps_none() {
        let yes = parse(&form(
            "yes",
            &["technology", "payment"],
            " We hired peers. ",
        ))
        .unwrap();
        assert_eq!(
            yes,
            Since {
                acted_on: true,
                levers: vec!["payment", "technology"],
                changed: "We hired peers.".into()
            }
        );
        let no = parse(&form("no", &["payment"], "")).unwrap();
        assert!(!no.acted_on && no.levers.is_empty());
    }
}
