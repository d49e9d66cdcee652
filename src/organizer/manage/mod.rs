//! Organizer operations on sessions: list them, add a one-off session,
//! reschedule, change details, cancel. Each change is one transaction that
//! also queues what it causes: calendar updates to registrants, notices to
//! the waitlist, promotions when places open. Run each inside `db::write`
//! (they touch only the database, so running twice is safe) with the caller's
//! `now`; the CLI does, and the HTTP API can the same way.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::config::PublicUrl;
use crate::db::schema::{series, sessions};
use crate::db::{DbConnection, DbError};
use crate::jobs::outreach;
use crate::registration::store::{self, Policy, REGISTERED, WAITLISTED};
use crate::series::model::{self, Series, Session, CANCELLED, SCHEDULED};
use crate::web::token;

mod input;

pub use input::*;

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

/// Locks the session row for the rest of the transaction (`lock_session`),
/// so a registration or another change cannot interleave; then reads it.
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
        queued +=
            crate::registration::tell_registrants(conn, policy, &before, &after, &series, now)?;
        queued += crate::lineup::tell_presenters(
            conn,
            &policy.public_url,
            &before,
            &after,
            &series,
            now,
        )?;
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
        if after.capacity < before.capacity {
            // Places past the new capacity move into free ones within it.
            store::refit_places(conn, after.id, after.capacity)?;
        }
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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

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
