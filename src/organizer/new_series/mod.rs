//! Series organizers create in the database (issue 17): a recurring
//! webinar on its own rule, or a one-off event on one to twelve dates —
//! its own title, description, page, feed, baseline and mailing list.
//! What an organizer sends is checked here (`check`, the same for the API
//! and the page), then `create` writes the row and its sessions in one
//! transaction. Config never touches such a series; its defaults are
//! edited on the series page like a configured one's (`organizer::defaults`).

pub mod handlers;
pub mod pages;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::calendar::schedule::Rule;
use crate::config::{offsets_text, parse_local_time, Offset};
use crate::db::schema::{series, sessions};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::organizer::manage::{self, Capacity, JoinUrl, Length, NewSession, Start, Title};
use crate::organizer::sessions::field;
use crate::series::defaults::{encode, Field};
use crate::series::generate;
use crate::series::model::{self, Series, Session, BY_ORGANIZER};
use crate::web::fields::text_or_number;

/// Dates a one-off event may have.
pub const MOST_DATES: usize = 12;
const INVITATIONS: &str = "21d,2d";
const REMINDERS: &str = "7d,1d,1h";

/// A new series as the API takes it (the page's form is read into the same).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSeriesBody {
    /// Its address: lowercase letters, digits and dashes (`/calendar/{slug}.ics`).
    pub slug: Option<String>,
    pub title: Option<String>,
    /// May be empty.
    pub description: Option<String>,
    /// IANA zone its times are in, e.g. `America/New_York`.
    pub timezone: Option<String>,
    /// `recurring` (a rule and a start time) or `one_off` (its dates).
    pub kind: Option<String>,
    /// Recurring: RFC 5545, `FREQ=MONTHLY;BYDAY=3TU` or `FREQ=WEEKLY;BYDAY=MO,TH`.
    pub rule: Option<String>,
    /// Recurring: local time `HH:MM`; one-off: the time of dates given
    /// without one.
    pub start_time: Option<String>,
    /// One-off: 1 to 12 starts, each a local time in the zone
    /// (`2027-03-10 13:00`), a date (with `start_time`), or RFC 3339.
    #[serde(default)]
    pub dates: Vec<String>,
    /// Minutes (`90`), or a duration like `"1h30m"`.
    #[schema(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "text_or_number")]
    pub duration_minutes: Option<String>,
    /// Places per session, at least 1.
    #[schema(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "text_or_number")]
    pub capacity: Option<String>,
    /// http(s) URL where people join.
    pub join_url: Option<String>,
    /// In calendar invitations; the Jam's when absent.
    pub organizer_name: Option<String>,
    pub organizer_email: Option<String>,
    /// Registrants a session usually has (the reports' baseline).
    #[schema(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "text_or_number")]
    pub baseline: Option<String>,
    /// A mailing list (a key of `[lists]`) whose subscribers are invited;
    /// none when absent (never the Jam's by default).
    pub list: Option<String>,
    /// Offsets before each session, e.g. `["21d", "2d"]` (the default).
    pub invitations: Option<Vec<String>>,
    /// Offsets before each session, e.g. `["7d", "1d", "1h"]` (the default).
    pub reminders: Option<Vec<String>>,
}

/// When a new series meets.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    Recurring {
        rule: Rule,
        start_time: NaiveTime,
    },
    /// Each start, in UTC, soonest first.
    OneOff {
        starts: Vec<DateTime<Utc>>,
    },
}

/// A new series, every field checked.
#[derive(Debug, Clone)]
pub struct NewSeries {
    pub slug: String,
    pub title: Title,
    pub description: String,
    pub timezone: Tz,
    pub schedule: Schedule,
    pub length: Length,
    pub capacity: Capacity,
    pub join_url: JoinUrl,
    pub organizer_name: String,
    pub organizer_email: String,
    pub baseline: Option<i32>,
    pub list: Option<String>,
    pub invitations: Vec<Offset>,
    pub reminders: Vec<Offset>,
    /// How ambiguous local times were read, for the organizer.
    pub notes: Vec<String>,
}

/// What `check` compares against.
pub struct Known<'a> {
    /// The configured mailing lists.
    pub lists: Vec<&'a str>,
    /// The organizer named when none is given (the Jam's).
    pub organizer: Option<(String, String)>,
    pub now: DateTime<Utc>,
}

fn is_slug(s: &str) -> bool {
    crate::web::fields::is_slug(s, 60) && !s.starts_with('-')
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// The trimmed value, or a message that it is required.
fn required(errors: &mut Vec<(String, String)>, name: &str, v: &Option<String>) -> Option<String> {
    let v = given(v);
    if v.is_none() {
        errors.push((name.into(), format!("`{name}` is required")));
    }
    v.map(str::to_string)
}

/// Reads offsets given as a list (or, absent, `default`).
fn offsets(
    errors: &mut Vec<(String, String)>,
    name: &str,
    v: &Option<Vec<String>>,
    default: &str,
) -> Vec<Offset> {
    let text = v
        .as_ref()
        .map_or(default.to_string(), |list| list.join(","));
    let read = crate::config::parse_offsets(&text).unwrap_or_else(|e| {
        errors.push((name.into(), e));
        Vec::new()
    });
    if read.len() > 5 {
        errors.push((name.into(), "at most 5 offsets".into()));
    }
    read
}

/// A one-off event's starts: each read in `tz`, in the future, none the
/// clocks skip, none twice.
fn starts(
    errors: &mut Vec<(String, String)>,
    b: &NewSeriesBody,
    tz: Option<Tz>,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Vec<DateTime<Utc>> {
    let dates: Vec<(usize, &str)> = b
        .dates
        .iter()
        .map(|d| d.trim())
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .collect();
    if dates.is_empty() || dates.len() > MOST_DATES {
        errors.push((
            "dates".into(),
            format!("give from 1 to {MOST_DATES} dates (got {})", dates.len()),
        ));
        return Vec::new();
    }
    let time = given(&b.start_time).map(parse_local_time);
    let mut out = Vec::new();
    for (i, text) in dates {
        let name = format!("dates[{i}]");
        let start = match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) => match &time {
                Some(Ok(t)) => Ok(Start::Local(day.and_time(*t))),
                _ => Err(format!("{text}: give its start time too")),
            },
            Err(_) => text.parse::<Start>(),
        };
        let start = match start {
            Ok(s) => s,
            Err(e) => {
                errors.push((name, e));
                continue;
            }
        };
        let Some(tz) = tz else { continue };
        match start.resolve(tz) {
            Ok((t, _)) if t <= now => errors.push((name, format!("{text} is in the past"))),
            Ok((t, _)) if out.contains(&t) => errors.push((name, format!("{text} is given twice"))),
            Ok((t, note)) => {
                out.push(t);
                notes.extend(note);
            }
            Err(e) => errors.push((name, e.to_string())),
        }
    }
    out.sort();
    out
}

/// Checks a new series: a message per bad field, named as the body names
/// it (`dates[1]` for the second date).
pub fn check(b: &NewSeriesBody, known: &Known<'_>) -> Result<NewSeries, Vec<(String, String)>> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let slug = required(&mut errors, "slug", &b.slug);
    if let Some(s) = slug.as_deref().filter(|s| !is_slug(s)) {
        errors.push((
            "slug".into(),
            format!("`{s}` is not a slug: up to 60 lowercase letters, digits and dashes, like national-conversation"),
        ));
    }
    let title = required(&mut errors, "title", &b.title);
    let title = field::<Title>(&mut errors, "title", title.as_deref());
    let zone = required(&mut errors, "timezone", &b.timezone);
    let timezone = zone.as_deref().and_then(|z| match z.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            errors.push((
                "timezone".into(),
                format!("unknown IANA time zone `{z}` (e.g. America/New_York)"),
            ));
            None
        }
    });
    let mut notes = Vec::new();
    let kind = required(&mut errors, "kind", &b.kind);
    let schedule = match kind.as_deref() {
        Some("recurring") => {
            let rule = required(&mut errors, "rule", &b.rule);
            let rule = rule.and_then(|r| {
                r.parse::<Rule>()
                    .map_err(|e| errors.push(("rule".into(), e.to_string())))
                    .ok()
            });
            let time = required(&mut errors, "start_time", &b.start_time);
            let time = time.and_then(|t| {
                parse_local_time(&t)
                    .map_err(|e| errors.push(("start_time".into(), e)))
                    .ok()
            });
            rule.zip(time)
                .map(|(rule, start_time)| Schedule::Recurring { rule, start_time })
        }
        Some("one_off") => {
            if let Some(Err(e)) = given(&b.start_time).map(parse_local_time) {
                errors.push(("start_time".into(), e));
            }
            let starts = starts(&mut errors, b, timezone, known.now, &mut notes);
            (!starts.is_empty()).then_some(Schedule::OneOff { starts })
        }
        Some(other) => {
            errors.push((
                "kind".into(),
                format!("`{other}` is not a kind of series: recurring or one_off"),
            ));
            None
        }
        None => None,
    };
    let length = required(&mut errors, "duration_minutes", &b.duration_minutes);
    let length = field::<Length>(&mut errors, "duration_minutes", length.as_deref());
    let capacity = required(&mut errors, "capacity", &b.capacity);
    let capacity = field::<Capacity>(&mut errors, "capacity", capacity.as_deref());
    let join_url = required(&mut errors, "join_url", &b.join_url);
    let join_url = field::<JoinUrl>(&mut errors, "join_url", join_url.as_deref());
    let (fallback_name, fallback_email) = known.organizer.clone().unzip();
    let organizer_name = given(&b.organizer_name)
        .map(str::to_string)
        .or(fallback_name);
    let organizer_name = required(&mut errors, "organizer_name", &organizer_name);
    let organizer_email = given(&b.organizer_email)
        .map(str::to_string)
        .or(fallback_email);
    let organizer_email =
        required(&mut errors, "organizer_email", &organizer_email).and_then(|e| {
            match e.parse::<lettre::Address>() {
                Ok(a) => Some(a.to_string()),
                Err(_) => {
                    errors.push((
                        "organizer_email".into(),
                        format!("`{e}` is not an e-mail address like events@example.org"),
                    ));
                    None
                }
            }
        });
    let baseline = given(&b.baseline).and_then(|v| match v.parse::<i32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            errors.push((
                "baseline".into(),
                format!("`{v}` is not a number of registrants (at least 1)"),
            ));
            None
        }
    });
    let list = given(&b.list).map(str::to_string);
    if let Some(l) = list.as_deref().filter(|l| !known.lists.contains(l)) {
        errors.push((
            "list".into(),
            format!("no mailing list `{l}` (one of: {})", known.lists.join(", ")),
        ));
    }
    let invitations = offsets(&mut errors, "invitations", &b.invitations, INVITATIONS);
    let reminders = offsets(&mut errors, "reminders", &b.reminders, REMINDERS);
    match (slug, title, timezone, schedule, length, capacity, join_url) {
        (
            Some(slug),
            Some(title),
            Some(timezone),
            Some(schedule),
            Some(length),
            Some(capacity),
            Some(join_url),
        ) if errors.is_empty() => Ok(NewSeries {
            slug,
            title,
            description: b
                .description
                .clone()
                .unwrap_or_default()
                .replace("\r\n", "\n"),
            timezone,
            schedule,
            length,
            capacity,
            join_url,
            organizer_name: organizer_name.unwrap_or_default(),
            organizer_email: organizer_email.unwrap_or_default(),
            baseline,
            list,
            invitations,
            reminders,
            notes,
        }),
        _ => Err(errors),
    }
}

/// The 409 for a slug a series has (in the database or the configuration).
pub fn slug_taken(slug: &str) -> ApiError {
    ApiError::Conflict(
        "slug_taken",
        format!("A series `{slug}` exists already: choose another slug."),
    )
}

/// What `create` made.
#[derive(Debug, Clone)]
pub struct Created {
    pub series: Series,
    pub sessions: Vec<Session>,
}

/// Writes the series and its sessions (recurring: over the horizon, as the
/// scheduler keeps them; one-off: one per date), and audits it. `uids`: one
/// calendar UID per one-off date, made outside the transaction.
#[allow(clippy::too_many_arguments)]
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewSeries,
    uids: &[String],
    host: &str,
    horizon_months: u32,
    now: NaiveDateTime,
) -> Result<Created, ApiError> {
    if model::find_series(conn, &new.slug)?.is_some() {
        return Err(slug_taken(&new.slug));
    }
    let (rule, start_time, recurring) = match &new.schedule {
        Schedule::Recurring { rule, start_time } => (
            rule.to_string(),
            start_time.format("%H:%M").to_string(),
            true,
        ),
        Schedule::OneOff { starts } => {
            let first = starts
                .first()
                .map(|t| t.with_timezone(&new.timezone).time());
            (
                String::new(),
                first.unwrap_or_default().format("%H:%M").to_string(),
                false,
            )
        }
    };
    let row: Series = diesel::insert_into(series::table)
        .values((
            series::slug.eq(&new.slug),
            series::kind.eq("webinar"),
            series::title.eq(new.title.as_str()),
            series::description.eq(&new.description),
            series::timezone.eq(new.timezone.name()),
            series::start_time.eq(start_time),
            series::duration_minutes.eq(new.length.whole_minutes()),
            series::rule.eq(rule),
            series::capacity.eq(new.capacity.get()),
            series::join_url.eq(new.join_url.as_str()),
            series::organizer_name.eq(&new.organizer_name),
            series::organizer_email.eq(&new.organizer_email),
            series::created_at.eq(now),
            series::updated_at.eq(now),
            // Every default is the database's: no configuration has it.
            series::edited_fields.eq(encode(&Field::ALL)),
            series::baseline.eq(new.baseline),
            series::list_slug.eq(new.list.as_deref()),
            series::invitations.eq(offsets_text(&new.invitations)),
            series::reminders.eq(offsets_text(&new.reminders)),
            series::recurring.eq(recurring),
            series::origin.eq(BY_ORGANIZER),
        ))
        .returning(series::all_columns)
        .get_result(conn)?;
    // The evaluation after each session asks the built-in questions.
    crate::evaluation::seed(conn, row.id, now)?;
    audit::record(
        conn,
        actor,
        "series.create",
        &format!("series:{}", row.slug),
        None,
        Some(audit_summary(&row)),
        now,
    )?;
    match &new.schedule {
        Schedule::Recurring { .. } => {
            generate::ensure_sessions(conn, &row, host, now.and_utc(), horizon_months)?;
        }
        Schedule::OneOff { starts } => {
            for (start, uid) in starts.iter().zip(uids) {
                let session = NewSession {
                    series: row.slug.clone(),
                    start: Start::Exact(*start),
                    length: None,
                    title: new.title.clone(),
                    description: None,
                    join_url: None,
                    capacity: None,
                };
                manage::create(conn, actor, &session, uid, now)?;
            }
        }
    }
    let sessions = sessions::table
        .filter(sessions::series_id.eq(row.id))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .select(Session::as_select())
        .load(conn)?;
    Ok(Created {
        series: row,
        sessions,
    })
}

/// What the audit log keeps of a new series.
fn audit_summary(row: &Series) -> serde_json::Value {
    json!({
        "title": row.title,
        "recurring": row.recurring,
        "rule": row.rule,
        "timezone": row.timezone,
        "start_time": row.start_time,
        "duration_minutes": row.duration_minutes,
        "capacity": row.capacity,
        "join_url": row.join_url,
        "baseline": row.baseline,
        "list": row.list_slug,
        "invitations": row.invitations,
        "reminders": row.reminders,
    })
}

/// What a series row says beyond its defaults: how it meets, who made it,
/// its baseline and its mail (part of every series view).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Setup {
    /// False for a one-off event (its own dates, `rule` empty).
    pub recurring: bool,
    /// `config`, or `organizer` for a series created in the database.
    pub origin: String,
    /// Registrants a session usually has, the reports' baseline.
    pub baseline: Option<i32>,
    /// The mailing list invited to each session.
    pub list: Option<String>,
    /// Offsets before each session, like `21d`.
    pub invitations: Vec<String>,
    pub reminders: Vec<String>,
}

impl Setup {
    pub fn of(row: &Series) -> Self {
        let text = |o: Vec<Offset>| o.iter().map(Offset::to_string).collect();
        Self {
            recurring: row.recurring,
            origin: row.origin.clone(),
            baseline: row.baseline,
            list: row.list_slug.clone(),
            invitations: text(row.invitation_offsets()),
            reminders: text(row.reminder_offsets()),
        }
    }
}

#[cfg(test)]
mod tests;
