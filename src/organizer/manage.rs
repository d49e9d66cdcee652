//! Organizer operations on sessions: list them, add a one-off session,
//! reschedule, change details, cancel. Each change is one transaction that
//! also queues what it causes: calendar updates to registrants, notices to
//! the waitlist, promotions when places open. Run each inside `db::write`
//! (they touch only the database, so running twice is safe) with the caller's
//! `now`; the CLI does, and the HTTP API can the same way.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::config::PublicUrl;
use crate::db::schema::{people, registrations, series, sessions};
use crate::db::{DbConnection, DbError};
use crate::jobs::outreach;
use crate::mail::outbox;
use crate::registration::store::{self, Person, Policy, Registration, REGISTERED, WAITLISTED};
use crate::series::model::{self, Series, Session, CANCELLED, SCHEDULED};
use crate::web::token;

// ---------------------------------------------------------------- input

/// When a session starts, as an organizer writes it: a wall-clock time in
/// the series' zone (`2027-01-12 14:00`), or an exact instant (RFC 3339,
/// with an offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Local(NaiveDateTime),
    Exact(DateTime<Utc>),
}

impl FromStr for Start {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let sane = |date| crate::calendar::schedule::sane_date(date).map(|_| ());
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            sane(t.date_naive())?;
            return Ok(Start::Exact(t.with_timezone(&Utc)));
        }
        for format in [
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
                sane(t.date())?;
                return Ok(Start::Local(t));
            }
        }
        Err(format!(
            "`{s}` is not a start like \"2027-01-12 14:00\" (local time in the series' zone) \
             or 2027-01-12T14:00:00-05:00"
        ))
    }
}

impl Start {
    /// The instant this start means in `tz`, and a note to show the
    /// organizer when the local time was ambiguous. A local time the clocks
    /// skip (spring forward) is refused rather than guessed.
    pub fn resolve(self, tz: Tz) -> Result<(DateTime<Utc>, Option<String>), ManageError> {
        let local = match self {
            Start::Exact(t) => return Ok((t, None)),
            Start::Local(local) => local,
        };
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Ok((t.with_timezone(&Utc), None)),
            LocalResult::Ambiguous(earlier, later) => {
                let note = format!(
                    "{} happens twice in {tz} (the clocks go back): took the earlier, {} rather than {}",
                    local.format("%Y-%m-%d %H:%M"),
                    earlier.format("%H:%M %Z"),
                    later.format("%H:%M %Z"),
                );
                Ok((earlier.with_timezone(&Utc), Some(note)))
            }
            LocalResult::None => Err(ManageError::Invalid(format!(
                "{} does not exist in {tz}: the clocks go forward over it; choose another time",
                local.format("%Y-%m-%d %H:%M")
            ))),
        }
    }
}

/// How long a session lasts: `90m`, `1h30m`, or plain minutes (`90`);
/// whole minutes, more than zero, at most a day (a longer one is a typo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length(Duration);

const LONGEST_MINUTES: i64 = 24 * 60;

impl Length {
    pub fn minutes(n: i64) -> Result<Self, String> {
        if n <= 0 {
            return Err(format!(
                "the duration must be more than zero minutes (got {n})"
            ));
        }
        if n > LONGEST_MINUTES {
            return Err(format!(
                "the duration must be at most 24 hours (got {n} minutes)"
            ));
        }
        Ok(Self(Duration::minutes(n)))
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    pub fn whole_minutes(self) -> i32 {
        // At most a day: always fits.
        self.0.num_minutes() as i32
    }
}

impl FromStr for Length {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Length::minutes(n);
        }
        let d = humantime::parse_duration(s)
            .map_err(|_| format!("`{s}` is not a duration like 90m, 1h30m or 90 (minutes)"))?;
        if d.subsec_nanos() != 0 || d.as_secs() % 60 != 0 {
            return Err(format!("`{s}`: give the duration in whole minutes"));
        }
        Length::minutes(i64::try_from(d.as_secs() / 60).unwrap_or(i64::MAX))
    }
}

/// A session's title: not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl FromStr for Title {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the title must not be empty".into());
        }
        crate::web::hygiene::one_line(s).map_err(|e| format!("the title {e}"))?;
        Ok(Self(s.to_string()))
    }
}

impl Title {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where people join: an http(s) URL with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinUrl(String);

impl FromStr for JoinUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let url = url::Url::parse(s).map_err(|e| format!("`{s}` is not a valid URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(format!(
                "`{s}` is not a valid join URL: it must start with https:// (or http://) and name a host"
            ));
        }
        Ok(Self(url.to_string()))
    }
}

impl JoinUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Places in a session: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity(i32);

impl FromStr for Capacity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a number of places"))?;
        if n < 1 {
            return Err(format!("the capacity must be at least 1 (got {n})"));
        }
        i32::try_from(n)
            .map(Self)
            .map_err(|_| format!("the capacity {n} is too large"))
    }
}

impl Capacity {
    pub fn get(self) -> i32 {
        self.0
    }
}

/// Why a session is cancelled, told to everyone registered: not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl FromStr for Reason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("give a reason: it is told to everyone registered".into());
        }
        Ok(Self(s.to_string()))
    }
}

/// A one-off session; what is not given comes from the series.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub series: String,
    pub start: Start,
    pub length: Option<Length>,
    pub title: Title,
    pub description: Option<String>,
    pub join_url: Option<JoinUrl>,
    pub capacity: Option<Capacity>,
}

/// Details to change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub title: Option<Title>,
    pub description: Option<String>,
    pub join_url: Option<JoinUrl>,
    pub capacity: Option<Capacity>,
}

// ---------------------------------------------------------------- output

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no session with id {0}")]
    NoSession(i64),
    #[error("no series `{0}` (known: {1})")]
    NoSeries(String, String),
    #[error("session {0} is cancelled; it can no longer be changed")]
    Cancelled(i64),
    #[error("session {0} is already cancelled")]
    AlreadyCancelled(i64),
    #[error("session {0} is over; it can no longer be changed")]
    Over(i64),
    #[error("the start {0} is in the past")]
    StartInPast(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ManageError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct Changed {
    pub before: Session,
    pub session: Session,
    pub series: Series,
    /// E-mails queued, promotions included.
    pub queued: usize,
    /// Waitlisted people given a place.
    pub promoted: usize,
    /// For the organizer, e.g. how an ambiguous local time was read.
    pub notes: Vec<String>,
}

impl Changed {
    /// True when the session already was as asked: nothing was written.
    pub fn unchanged(&self) -> bool {
        !calendar_differs(&self.before, &self.session)
            && self.before.capacity == self.session.capacity
    }
}

/// A session as the list shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub session: Session,
    pub series: Series,
    pub registered: i64,
    pub waitlisted: i64,
}

// ---------------------------------------------------------------- operations

/// A fresh calendar UID, as the generator makes them: unique, at our host.
pub fn new_uid(public_url: &PublicUrl) -> String {
    format!("{}@{}", token::new_token(), public_url.host())
}

/// Sessions soonest first: scheduled ones that have not ended, or with
/// `all` also past and cancelled ones; of one series when `slug` is given.
pub fn list(
    conn: &mut DbConnection,
    slug: Option<&str>,
    all: bool,
    now: NaiveDateTime,
) -> Result<Vec<Listed>, ManageError> {
    let mut query = sessions::table
        .inner_join(series::table)
        .select((Session::as_select(), Series::as_select()))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .into_boxed();
    if let Some(slug) = slug {
        find_series(conn, slug)?;
        query = query.filter(series::slug.eq(slug.to_string()));
    }
    if !all {
        query = query
            .filter(sessions::status.eq(SCHEDULED))
            .filter(sessions::ends_at.gt(now));
    }
    let rows: Vec<(Session, Series)> = query.load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
    let registered: HashMap<i64, i64> =
        model::counts(conn, &ids, REGISTERED)?.into_iter().collect();
    let waitlisted: HashMap<i64, i64> =
        model::counts(conn, &ids, WAITLISTED)?.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|(session, series)| Listed {
            registered: registered.get(&session.id).copied().unwrap_or(0),
            waitlisted: waitlisted.get(&session.id).copied().unwrap_or(0),
            session,
            series,
        })
        .collect())
}

/// Adds a one-off session to a series, outside its rule (no occurrence
/// date, so the generator never touches it). `uid` comes from `new_uid`,
/// called outside the transaction so a second run reuses it.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewSession,
    uid: &str,
    now: NaiveDateTime,
) -> Result<Changed, ManageError> {
    let series = find_series(conn, &new.series)?;
    let (starts_at, note) = new.start.resolve(zone(&series))?;
    refuse_past(starts_at, now)?;
    // The series' own length is taken as configured (it was checked there).
    let length = new.length.map_or_else(
        || Duration::minutes(i64::from(series.duration_minutes)),
        Length::duration,
    );
    let session = diesel::insert_into(sessions::table)
        .values((
            sessions::series_id.eq(series.id),
            sessions::uid.eq(uid),
            sessions::title.eq(&new.title.0),
            sessions::description.eq(new.description.as_ref().unwrap_or(&series.description)),
            sessions::starts_at.eq(starts_at.naive_utc()),
            sessions::ends_at.eq((starts_at + length).naive_utc()),
            sessions::timezone.eq(&series.timezone),
            sessions::capacity.eq(new.capacity.map_or(series.capacity, |c| c.0)),
            sessions::join_url.eq(new.join_url.as_ref().map_or(&series.join_url, |u| &u.0)),
            sessions::status.eq(SCHEDULED),
            sessions::sequence.eq(0),
            sessions::created_at.eq(now),
            sessions::updated_at.eq(now),
        ))
        .returning(sessions::all_columns)
        .get_result::<Session>(conn)?;
    audit::record(
        conn,
        actor,
        "session.create",
        &format!("session:{}", session.id),
        None,
        Some(audit_summary(&session)),
        now,
    )?;
    Ok(Changed {
        before: session.clone(),
        session,
        series,
        queued: 0,
        promoted: 0,
        notes: note.into_iter().collect(),
    })
}

/// Moves a session to `start`, keeping its length unless `length` is given;
/// registrants get the updated invitation.
pub fn reschedule(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &Policy,
    id: i64,
    start: Start,
    length: Option<Length>,
    now: NaiveDateTime,
) -> Result<Changed, ManageError> {
    let (before, series) = open_for_change(conn, id, now)?;
    let (starts_at, note) = start.resolve(zone(&series))?;
    refuse_past(starts_at, now)?;
    let length = length.map_or(before.ends_at - before.starts_at, Length::duration);
    let after = Session {
        starts_at: starts_at.naive_utc(),
        ends_at: (starts_at + length).naive_utc(),
        ..before.clone()
    };
    let mut changed = apply(conn, actor, policy, before, after, series, now)?;
    changed.notes.extend(note);
    Ok(changed)
}

/// Changes a session's details. Registrants hear of what their calendar
/// shows (title, description, join URL); more places go to the waitlist;
/// fewer places than are taken waitlist nobody.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &Policy,
    id: i64,
    details: &Details,
    now: NaiveDateTime,
) -> Result<Changed, ManageError> {
    revise(conn, actor, policy, id, details, None, now)
}

/// `update`, and with `length` also how long the session lasts (same
/// start, new end) — as one change, so a series' new defaults reach each
/// registrant as one update and one SEQUENCE step, not one per field.
pub fn revise(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &Policy,
    id: i64,
    details: &Details,
    length: Option<Length>,
    now: NaiveDateTime,
) -> Result<Changed, ManageError> {
    let (before, series) = open_for_change(conn, id, now)?;
    let after = Session {
        ends_at: length.map_or(before.ends_at, |l| before.starts_at + l.duration()),
        title: details
            .title
            .as_ref()
            .map_or_else(|| before.title.clone(), |t| t.0.clone()),
        description: details
            .description
            .clone()
            .unwrap_or_else(|| before.description.clone()),
        join_url: details
            .join_url
            .as_ref()
            .map_or_else(|| before.join_url.clone(), |u| u.0.clone()),
        capacity: details.capacity.map_or(before.capacity, |c| c.0),
        ..before.clone()
    };
    apply(conn, actor, policy, before, after, series, now)
}

/// Cancels a session (e.g. a skipped month): the event is removed from
/// registrants' calendars and everyone registered or waitlisted is told why.
/// Registrations stay as they are; registering is closed.
pub fn cancel(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &Policy,
    id: i64,
    reason: &Reason,
    now: NaiveDateTime,
) -> Result<Changed, ManageError> {
    let (before, series) = lock_and_find(conn, id)?;
    if before.is_cancelled() {
        return Err(ManageError::AlreadyCancelled(id));
    }
    if before.ends_at <= now {
        return Err(ManageError::Over(id));
    }
    let after = Session {
        status: CANCELLED.to_string(),
        cancel_reason: Some(reason.0.clone()),
        ..before.clone()
    };
    apply(conn, actor, policy, before, after, series, now)
}

// ---------------------------------------------------------------- inside

/// What the audit log keeps of a session.
fn audit_summary(s: &Session) -> serde_json::Value {
    serde_json::json!({
        "title": s.title,
        "starts_at": s.starts_at_utc().to_rfc3339(),
        "ends_at": s.ends_at_utc().to_rfc3339(),
        "capacity": s.capacity,
        "join_url": s.join_url,
        "status": s.status,
        "cancel_reason": s.cancel_reason,
        "description_chars": s.description.chars().count(),
    })
}

fn find_series(conn: &mut DbConnection, slug: &str) -> Result<Series, ManageError> {
    match model::find_series(conn, slug)? {
        Some(s) => Ok(s),
        None => {
            let known: Vec<String> = series::table
                .select(series::slug)
                .order(series::slug.asc())
                .load(conn)?;
            Err(ManageError::NoSeries(slug.to_string(), known.join(", ")))
        }
    }
}

fn zone(series: &Series) -> Tz {
    series.timezone.parse().unwrap_or(Tz::UTC)
}

fn refuse_past(starts_at: DateTime<Utc>, now: NaiveDateTime) -> Result<(), ManageError> {
    if starts_at.naive_utc() <= now {
        return Err(ManageError::StartInPast(
            starts_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ));
    }
    Ok(())
}

/// Locks the session row for the rest of the transaction (a no-op UPDATE,
/// as `registration::store` does), so a registration or another change
/// cannot interleave; then reads it.
fn lock_and_find(conn: &mut DbConnection, id: i64) -> Result<(Session, Series), ManageError> {
    if !model::lock_session(conn, id)? {
        return Err(ManageError::NoSession(id));
    }
    model::find_session(conn, id)?.ok_or(ManageError::NoSession(id))
}

/// A session that may still be rescheduled or changed.
fn open_for_change(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> Result<(Session, Series), ManageError> {
    let (session, series) = lock_and_find(conn, id)?;
    if session.is_cancelled() {
        return Err(ManageError::Cancelled(id));
    }
    if session.ends_at <= now {
        return Err(ManageError::Over(id));
    }
    Ok((session, series))
}

/// Whether a calendar copy of the session differs between `a` and `b`.
fn calendar_differs(a: &Session, b: &Session) -> bool {
    (
        a.starts_at,
        a.ends_at,
        &a.title,
        &a.description,
        &a.join_url,
        &a.status,
    ) != (
        b.starts_at,
        b.ends_at,
        &b.title,
        &b.description,
        &b.join_url,
        &b.status,
    )
}

/// Writes `after` over `before` and queues what follows: when a calendar
/// would show the change, the session's SEQUENCE goes up by one and every
/// registered or waitlisted person is told; more places promote the
/// waitlist. Asking for what already is writes and sends nothing.
fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    policy: &Policy,
    before: Session,
    mut after: Session,
    series: Series,
    now: NaiveDateTime,
) -> Result<Changed, ManageError> {
    let shown = calendar_differs(&before, &after);
    if !shown && after.capacity == before.capacity {
        return Ok(Changed {
            session: before.clone(),
            before,
            series,
            queued: 0,
            promoted: 0,
            notes: Vec::new(),
        });
    }
    if shown {
        after.sequence = before.sequence + 1;
    }
    after.updated_at = now;
    diesel::update(sessions::table.find(after.id))
        .set((
            sessions::title.eq(&after.title),
            sessions::description.eq(&after.description),
            sessions::starts_at.eq(after.starts_at),
            sessions::ends_at.eq(after.ends_at),
            sessions::capacity.eq(after.capacity),
            sessions::join_url.eq(&after.join_url),
            sessions::status.eq(&after.status),
            sessions::sequence.eq(after.sequence),
            sessions::cancel_reason.eq(&after.cancel_reason),
            sessions::updated_at.eq(after.updated_at),
        ))
        .execute(conn)?;
    let action = if after.is_cancelled() {
        "session.cancel"
    } else if after.starts_at != before.starts_at || after.ends_at != before.ends_at {
        "session.reschedule"
    } else {
        "session.update"
    };
    audit::record(
        conn,
        actor,
        action,
        &format!("session:{}", after.id),
        Some(audit_summary(&before)),
        Some(audit_summary(&after)),
        now,
    )?;
    let mut queued = 0;
    if shown {
        queued += tell_registrants(conn, policy, &before, &after, &series, now)?;
        queued += tell_presenters(conn, policy, &before, &after, &series, now)?;
        queued += crate::echo::notify::session_changed(
            conn,
            &policy.public_url,
            &before,
            &after,
            &series,
            now,
        )?;
    }
    if after.starts_at != before.starts_at || after.is_cancelled() {
        // Invitations and reminders still queued name the old time.
        outreach::drop_queued_for_session(conn, after.id)?;
    }
    // After the notices, so a promoted person's invitation comes last and
    // already shows the new details.
    let promoted = if after.capacity > before.capacity && !after.is_cancelled() {
        store::promote_waitlisted(conn, &after, &series, policy, now)?
    } else {
        0
    };
    Ok(Changed {
        before,
        session: after,
        series,
        queued: queued + promoted,
        promoted,
        notes: Vec::new(),
    })
}

/// One message per registered or waitlisted person: the update (or the
/// cancellation), with the calendar part only for those holding an
/// invitation. Cancelled registrations hold nothing and hear nothing.
fn tell_registrants(
    conn: &mut DbConnection,
    policy: &Policy,
    before: &Session,
    after: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let people: Vec<(Registration, Person)> = registrations::table
        .inner_join(people::table)
        .filter(registrations::session_id.eq(after.id))
        .filter(registrations::status.eq_any([REGISTERED, WAITLISTED]))
        .order(registrations::id.asc())
        .select((Registration::as_select(), Person::as_select()))
        .load(conn)?;
    let mut queued = 0;
    for (reg, person) in &people {
        let letter = store::letter(
            policy,
            after,
            series,
            reg,
            &person.first_name,
            &person.last_name,
            &person.email,
        );
        let invited = reg.status == REGISTERED;
        let msg = match &after.cancel_reason {
            Some(reason) if after.is_cancelled() => letter.session_cancelled(reason, invited),
            _ => letter.updated(before, invited),
        };
        if outbox::enqueue(conn, &msg, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Confirmed presenters hold the session in their calendars too: they get
/// the update (or the cancellation). Presenters invited but yet to answer
/// get their invitation again with the new details (or the cancellation).
fn tell_presenters(
    conn: &mut DbConnection,
    policy: &Policy,
    before: &Session,
    after: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::lineup::domain::{CONFIRMED, INVITED};
    let mut queued = 0;
    for slot in crate::lineup::store::for_session(conn, after.id)? {
        let letter = crate::lineup::messages::Letter {
            public_url: &policy.public_url,
            slot: &slot,
            session: after,
            series,
        };
        let msg = match slot.status.as_str() {
            CONFIRMED => letter.session_changed(),
            INVITED if slot.token_expires_at.is_some_and(|at| at > now) => {
                letter.invitation_changed(before)
            }
            _ => continue,
        };
        if outbox::enqueue(conn, &msg, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use chrono_tz::America::New_York;

    use super::*;

    fn local(s: &str) -> Start {
        s.parse().expect("a start")
    }

    #[test]
    fn a_local_start_is_read_in_the_series_zone() {
        let (at, note) = local("2027-01-12 14:00").resolve(New_York).unwrap();
        assert_eq!(at.to_rfc3339(), "2027-01-12T19:00:00+00:00", "EST is UTC-5");
        assert_eq!(note, None);
        let (summer, _) = local("2027-07-13T14:00").resolve(New_York).unwrap();
        assert_eq!(
            summer.to_rfc3339(),
            "2027-07-13T18:00:00+00:00",
            "EDT is UTC-4"
        );
    }

    #[test]
    fn an_rfc3339_start_keeps_its_own_offset() {
        let start = local("2027-01-12T14:00:00-08:00");
        assert_eq!(
            start.resolve(New_York).unwrap().0.to_rfc3339(),
            "2027-01-12T22:00:00+00:00"
        );
    }

    #[test]
    fn a_local_time_the_clocks_skip_is_refused() {
        // 2027-03-14: New York jumps from 02:00 to 03:00.
        let err = local("2027-03-14 02:30").resolve(New_York).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn a_local_time_that_happens_twice_takes_the_earlier_and_says_so() {
        // 2027-11-07: New York goes back from 02:00 EDT to 01:00 EST.
        let (at, note) = local("2027-11-07 01:30").resolve(New_York).unwrap();
        assert_eq!(at.to_rfc3339(), "2027-11-07T05:30:00+00:00", "01:30 EDT");
        let note = note.expect("a note");
        assert!(note.contains("earlier") && note.contains("EDT"), "{note}");
    }

    #[test]
    fn what_is_not_a_start_is_refused_with_an_example() {
        let err = "next Tuesday".parse::<Start>().unwrap_err();
        assert!(err.contains("2027-01-12 14:00"), "{err}");
        assert!("2027-02-30 10:00".parse::<Start>().is_err());
    }

    #[test]
    fn a_start_outside_the_years_convene_takes_is_refused_naming_them() {
        for far in [
            "+262142-12-01 10:00",
            "1899-12-31T23:00",
            "2201-01-01 00:00",
            "9999-01-01T10:00:00Z",
        ] {
            let err = far.parse::<Start>().unwrap_err();
            assert!(err.contains("1900 and 2200"), "{far}: {err}");
        }
        assert!(
            "2200-12-31 23:59".parse::<Start>().is_ok(),
            "the last year is in"
        );
    }

    #[test]
    fn durations_are_positive_whole_minutes() {
        let minutes = |s: &str| s.parse::<Length>().map(|l| l.duration().num_minutes());
        assert_eq!(minutes("90"), Ok(90));
        assert_eq!(minutes("90m"), Ok(90));
        assert_eq!(minutes("1h30m"), Ok(90));
        assert_eq!(minutes("2h"), Ok(120));
        for bad in ["0", "0m", "-5", "-5m", "90s", "soon", "25h", ""] {
            assert!(minutes(bad).is_err(), "`{bad}` should be refused");
        }
        assert!(minutes("-5").unwrap_err().contains("more than zero"));
    }

    #[test]
    fn titles_reasons_urls_and_capacities_are_checked() {
        assert!("  ".parse::<Title>().is_err());
        assert!("Two\nlines".parse::<Title>().is_err());
        assert_eq!("  A title ".parse::<Title>().unwrap().0, "A title");
        assert!("".parse::<Reason>().is_err());
        assert!("not a url".parse::<JoinUrl>().is_err());
        assert!("ftp://zoom.us/j/1".parse::<JoinUrl>().is_err());
        assert!("mailto:jam@example.org".parse::<JoinUrl>().is_err());
        assert_eq!(
            "https://zoom.us/j/123".parse::<JoinUrl>().unwrap().0,
            "https://zoom.us/j/123"
        );
        assert!("0".parse::<Capacity>().is_err());
        assert!("-3".parse::<Capacity>().is_err());
        assert!("99999999999".parse::<Capacity>().is_err());
        assert_eq!("250".parse::<Capacity>().unwrap().0, 250);
    }

    #[test]
    fn only_what_a_calendar_shows_counts_as_a_calendar_change() {
        let t = NaiveDate::from_ymd_opt(2027, 1, 12)
            .unwrap()
            .and_hms_opt(19, 0, 0)
            .unwrap();
        let s = model::test_session(t);
        let more_places = Session {
            capacity: 20,
            ..s.clone()
        };
        assert!(!calendar_differs(&s, &more_places));
        let longer = Session {
            ends_at: t + Duration::hours(2),
            ..s.clone()
        };
        assert!(calendar_differs(&s, &longer));
        let cancelled = Session {
            status: CANCELLED.into(),
            ..s.clone()
        };
        assert!(calendar_differs(&s, &cancelled));
    }
}
