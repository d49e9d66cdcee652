//! Cohorts and their sessions. A cohort's sessions are all created with
//! the cohort, for its whole span, from its rule evaluated in its zone (so
//! 15:00 New York stays 15:00 across daylight-saving changes). Each
//! session row (time, title, join link) has an `echo_sessions` row beside
//! it: its didactic topic, faculty presenter and case slots.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::calendar::schedule::{self, Rule};
use crate::config::{CohortSettings, SeriesSettings};
use crate::db::schema::{echo_sessions, sessions};
use crate::db::{self, DbConnection};
use crate::series::model::{Series, Session, SCHEDULED};
use crate::web::token;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = crate::db::schema::cohorts)]
pub struct Cohort {
    pub id: i64,
    pub series_id: i64,
    pub slug: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rule: String,
    pub timezone: String,
    pub start_time: String,
    pub duration_minutes: i32,
    pub capacity: i32,
    pub join_url: String,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    pub completion_percent: i32,
    pub case_slots: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Cohort {
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }

    /// Whether applications are taken on `today` (the cohort's local date).
    pub fn accepts_applications(&self, now: NaiveDateTime) -> bool {
        let today = now.and_utc().with_timezone(&self.tz()).date_naive();
        self.applications_open_on <= today && today <= self.applications_close_on
    }

    /// The cohort as the API, its audit entries and its pages show it.
    pub fn view(&self) -> CohortView {
        CohortView {
            slug: self.slug.clone(),
            name: self.name.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            rule: self.rule.clone(),
            timezone: self.timezone.clone(),
            start_time: self.start_time.clone(),
            duration_minutes: self.duration_minutes,
            capacity: self.capacity,
            join_url: self.join_url.clone(),
            applications_open_on: self.applications_open_on,
            applications_close_on: self.applications_close_on,
            completion_percent: self.completion_percent,
            case_slots: self.case_slots,
        }
    }
}

/// A cohort: its span, its sessions' rule, its capacity and thresholds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CohortView {
    /// Lowercase letters, digits and dashes, e.g. `cohort-3`.
    pub slug: String,
    pub name: String,
    /// `YYYY-MM-DD`, in the program's zone.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// RFC 5545, e.g. `FREQ=MONTHLY;BYDAY=2TH`.
    pub rule: String,
    /// IANA zone, e.g. `America/New_York`.
    pub timezone: String,
    /// Local start time, e.g. `15:00`.
    pub start_time: String,
    pub duration_minutes: i32,
    /// Approved participants at most.
    pub capacity: i32,
    pub join_url: String,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    /// Share of the sessions held a person must attend to complete.
    pub completion_percent: i32,
    /// Case presentations per session, by default.
    pub case_slots: i32,
}

/// The ECHO side of one of a cohort's sessions.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = echo_sessions)]
pub struct EchoSession {
    pub session_id: i64,
    pub cohort_id: i64,
    pub occurrence_date: NaiveDate,
    pub didactic_topic: String,
    pub faculty_name: String,
    pub faculty_email: String,
    pub case_slots: i32,
}

/// A cohort to create, every field checked.
#[derive(Debug, Clone)]
pub struct NewCohort {
    pub slug: String,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub rule: Rule,
    pub timezone: Tz,
    pub start_time: NaiveTime,
    pub duration_minutes: i32,
    pub capacity: i32,
    pub join_url: String,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    pub completion_percent: i32,
    pub case_slots: i32,
}

/// At most this many sessions in one cohort (a weekly rule over years is
/// a mistake, not a cohort).
pub const MAX_SESSIONS: usize = 60;

/// The rules a cohort's fields follow, one message per field at fault.
pub fn check(new: &NewCohort) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: String| errors.push((field.to_string(), message));
    if let Err(e) = slug(&new.slug) {
        fail("slug", e);
    }
    if let Err(e) = name(&new.name) {
        fail("name", e);
    }
    let mut dated = true;
    for (field, date) in [
        ("starts_on", new.starts_on),
        ("ends_on", new.ends_on),
        ("applications_open_on", new.applications_open_on),
        ("applications_close_on", new.applications_close_on),
    ] {
        if let Err(message) = schedule::sane_date(date) {
            fail(field, message);
            dated = false;
        }
    }
    // A span that is a typo is not counted over (see `schedule::YEARS`).
    if dated {
        check_span(new, &mut fail);
    }
    if !(1..=24 * 60).contains(&new.duration_minutes) {
        fail("duration_minutes", "between 1 and 1440 minutes".into());
    }
    if new.capacity < 1 {
        fail("capacity", "at least 1".into());
    }
    if !(1..=100).contains(&new.completion_percent) {
        fail("completion_percent", "a percentage from 1 to 100".into());
    }
    if !(0..=5).contains(&new.case_slots) {
        fail(
            "case_slots",
            "from 0 to 5 case presentations a session".into(),
        );
    }
    errors
}

/// The span's order, its sessions, and when applications close.
fn check_span(new: &NewCohort, fail: &mut impl FnMut(&str, String)) {
    if new.ends_on < new.starts_on {
        fail(
            "ends_on",
            "the cohort must end on or after its start".into(),
        );
    } else {
        let n = dates(new).len();
        if n == 0 {
            fail(
                "rule",
                format!(
                    "`{}` gives no session between the start and the end",
                    new.rule
                ),
            );
        } else if n > MAX_SESSIONS {
            fail(
                "rule",
                format!(
                    "`{}` gives {n} sessions; a cohort has at most {MAX_SESSIONS}",
                    new.rule
                ),
            );
        }
    }
    if new.applications_close_on < new.applications_open_on {
        fail(
            "applications_close_on",
            "applications must close on or after they open".into(),
        );
    } else if new.applications_close_on > new.ends_on {
        fail(
            "applications_close_on",
            "applications must close by the cohort's end".into(),
        );
    }
}

/// A cohort's short name for links: 1 to 60 lowercase letters, digits
/// and dashes.
pub fn slug(s: &str) -> Result<String, String> {
    if crate::web::fields::is_slug(s, 60) {
        Ok(s.to_string())
    } else {
        Err("use 1 to 60 lowercase letters, digits and dashes, e.g. cohort-3".into())
    }
}

/// A cohort's name: not blank, up to 200 characters.
pub fn name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 200 {
        return Err("give a name of up to 200 characters".into());
    }
    crate::web::hygiene::one_line(s)?;
    Ok(s.to_string())
}

/// A configured cohort as a `NewCohort`, defaults from its program.
pub fn from_settings(slug: &str, c: &CohortSettings, program: &SeriesSettings) -> NewCohort {
    let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    NewCohort {
        slug: slug.to_string(),
        name: c.name.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        rule: c.rule.clone().unwrap_or_else(|| program.rule.clone()),
        timezone: program.timezone,
        start_time: c.start_time.unwrap_or(program.start_time),
        duration_minutes: clamp(c.duration_minutes.unwrap_or(program.duration_minutes)),
        capacity: clamp(c.capacity.unwrap_or(program.capacity)),
        join_url: program.join_url.to_string(),
        applications_open_on: c.applications_open_on,
        applications_close_on: c.applications_close_on,
        completion_percent: clamp(c.completion_percent),
        case_slots: clamp(c.case_slots),
    }
}

/// The config's check of one cohort (the program fills the rest in when
/// it is created, so only the cohort's own fields are checked here).
/// Every configured cohort checked as [`check_settings`] does: the
/// ECHO's part of the settings check (`config::FeatureCheck`).
pub fn check_all(settings: &crate::config::Settings) -> Result<(), (String, String)> {
    for (slug, s) in &settings.series {
        for (cohort, c) in &s.cohorts {
            check_settings(cohort, c)
                .map_err(|why| (format!("series.{slug}.cohorts.{cohort}"), why))?;
        }
    }
    Ok(())
}

pub fn check_settings(slug: &str, c: &CohortSettings) -> Result<(), String> {
    let new = NewCohort {
        slug: slug.to_string(),
        name: c.name.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        rule: c.rule.clone().unwrap_or(Rule::Weekly {
            weekdays: all_days(),
        }),
        timezone: Tz::UTC,
        start_time: NaiveTime::MIN,
        duration_minutes: c.duration_minutes.map_or(60, |d| d.min(100_000) as i32),
        capacity: c.capacity.map_or(1, |n| n.min(1_000_000) as i32),
        join_url: String::new(),
        applications_open_on: c.applications_open_on,
        applications_close_on: c.applications_close_on,
        completion_percent: c.completion_percent.min(1000) as i32,
        case_slots: c.case_slots.min(1000) as i32,
    };
    let mut errors = check(&new);
    if c.rule.is_none() {
        // Checked against the program's rule when the cohort is created.
        errors.retain(|(field, _)| field != "rule");
    }
    match errors.first() {
        None => Ok(()),
        Some((field, message)) => Err(format!("{field}: {message}")),
    }
}

fn all_days() -> Vec<chrono::Weekday> {
    use chrono::Weekday::*;
    vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun]
}

/// The cohort's meeting days, first to last, both ends included.
pub fn dates(new: &NewCohort) -> Vec<NaiveDate> {
    let until = new.ends_on.succ_opt().unwrap_or(new.ends_on);
    schedule::local_dates(&new.rule, new.starts_on, until)
        .take(MAX_SESSIONS + 1)
        .collect()
}

/// Creates the cohort and all its sessions, unless a cohort with its slug
/// exists (then `None`, and nothing is written): one statement decides,
/// so instances seeding from config at once create it once. `actor` is
/// audited when a person created it.
pub fn create(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    program: &Series,
    new: &NewCohort,
    host: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Cohort>> {
    let sql = conn.sql(
        "INSERT INTO cohorts (series_id, slug, name, starts_on, ends_on, rule, timezone, start_time, \
         duration_minutes, capacity, join_url, applications_open_on, applications_close_on, \
         completion_percent, case_slots, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (slug) DO NOTHING RETURNING id",
    );
    let inserted: Vec<db::ReturnedId> = diesel::sql_query(sql)
        .bind::<BigInt, _>(program.id)
        .bind::<Text, _>(&new.slug)
        .bind::<Text, _>(new.name.trim())
        .bind::<Date, _>(new.starts_on)
        .bind::<Date, _>(new.ends_on)
        .bind::<Text, _>(new.rule.to_string())
        .bind::<Text, _>(new.timezone.name())
        .bind::<Text, _>(new.start_time.format("%H:%M").to_string())
        .bind::<Integer, _>(new.duration_minutes)
        .bind::<Integer, _>(new.capacity)
        .bind::<Text, _>(&new.join_url)
        .bind::<Date, _>(new.applications_open_on)
        .bind::<Date, _>(new.applications_close_on)
        .bind::<Integer, _>(new.completion_percent)
        .bind::<Integer, _>(new.case_slots)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .load(conn)?;
    let Some(row) = inserted.first() else {
        return Ok(None);
    };
    let length = chrono::Duration::minutes(i64::from(new.duration_minutes));
    for (n, date) in dates(new).into_iter().enumerate() {
        let starts_at = schedule::local_to_utc(new.timezone, date, new.start_time);
        let session_id: i64 = diesel::insert_into(sessions::table)
            .values((
                sessions::series_id.eq(program.id),
                sessions::uid.eq(format!("{}@{host}", token::new_token())),
                sessions::title.eq(format!(
                    "{} — {}, session {}",
                    program.title,
                    new.name.trim(),
                    n + 1
                )),
                sessions::description.eq(&program.description),
                sessions::starts_at.eq(starts_at.naive_utc()),
                sessions::ends_at.eq((starts_at + length).naive_utc()),
                sessions::timezone.eq(new.timezone.name()),
                sessions::capacity.eq(new.capacity),
                sessions::join_url.eq(&new.join_url),
                sessions::status.eq(SCHEDULED),
                sessions::sequence.eq(0),
                sessions::created_at.eq(now),
                sessions::updated_at.eq(now),
            ))
            .returning(sessions::id)
            .get_result(conn)?;
        diesel::insert_into(echo_sessions::table)
            .values((
                echo_sessions::session_id.eq(session_id),
                echo_sessions::cohort_id.eq(row.id),
                echo_sessions::occurrence_date.eq(date),
                echo_sessions::didactic_topic.eq(""),
                echo_sessions::faculty_name.eq(""),
                echo_sessions::faculty_email.eq(""),
                echo_sessions::case_slots.eq(new.case_slots),
            ))
            .execute(conn)?;
    }
    let cohort = find_by_id(conn, row.id)?.ok_or(diesel::result::Error::NotFound)?;
    if let Some(actor) = actor {
        audit::record(
            conn,
            actor,
            "cohort.create",
            &format!("cohort:{}", cohort.slug),
            None,
            Some(json!(cohort.view())),
            now,
        )?;
    }
    Ok(Some(cohort))
}

/// Creates the program's configured cohorts that do not exist yet;
/// returns how many it created.
pub fn seed(
    conn: &mut DbConnection,
    program: &Series,
    settings: &SeriesSettings,
    host: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut created = 0;
    for (slug, c) in &settings.cohorts {
        if find(conn, slug)?.is_some() {
            continue;
        }
        let new = from_settings(slug, c, settings);
        if let Some((field, message)) = check(&new).first() {
            tracing::warn!(
                cohort = slug,
                field,
                message,
                "configured cohort not created"
            );
            continue;
        }
        if create(conn, None, program, &new, host, now)?.is_some() {
            created += 1;
        }
    }
    Ok(created)
}

pub fn find(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<Cohort>> {
    use crate::db::schema::cohorts;
    cohorts::table
        .filter(cohorts::slug.eq(slug))
        .select(Cohort::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_id(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Cohort>> {
    use crate::db::schema::cohorts;
    cohorts::table
        .find(id)
        .select(Cohort::as_select())
        .first(conn)
        .optional()
}

/// Every cohort, latest start first.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Cohort>> {
    use crate::db::schema::cohorts;
    cohorts::table
        .order((cohorts::starts_on.desc(), cohorts::id.desc()))
        .select(Cohort::as_select())
        .load(conn)
}

/// The cohort's sessions in order, with their ECHO details.
pub fn sessions_of(
    conn: &mut DbConnection,
    cohort_id: i64,
) -> QueryResult<Vec<(Session, EchoSession)>> {
    sessions::table
        .inner_join(echo_sessions::table)
        .filter(echo_sessions::cohort_id.eq(cohort_id))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .select((Session::as_select(), EchoSession::as_select()))
        .load(conn)
}

/// The ECHO details of session `id`, with its cohort; `None` for a session
/// that is not a cohort's.
pub fn echo_session(
    conn: &mut DbConnection,
    session_id: i64,
) -> QueryResult<Option<(EchoSession, Cohort)>> {
    use crate::db::schema::cohorts;
    echo_sessions::table
        .inner_join(cohorts::table)
        .filter(echo_sessions::session_id.eq(session_id))
        .select((EchoSession::as_select(), Cohort::as_select()))
        .first(conn)
        .optional()
}

// Beside this file, not in a `cohorts/` folder: a folder in `echo/` is
// one of the ECHO's features, and the cohorts are the floor under them.
#[cfg(test)]
#[path = "cohorts_tests.rs"]
mod tests;
