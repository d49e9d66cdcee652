//! Rows and queries for series and sessions.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::calendar::ics::{Party, SessionEvent};
use crate::db::schema::{registrations, series, sessions};
use crate::db::DbConnection;

pub const SCHEDULED: &str = "scheduled";
pub const CANCELLED: &str = "cancelled";
/// The kind of an ECHO program's series: its sessions are cohorts', not
/// open for registration, and not listed with the webinars.
pub const ECHO: &str = "echo";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = series)]
pub struct Series {
    pub id: i64,
    pub slug: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub timezone: String,
    pub start_time: String,
    pub duration_minutes: i32,
    pub rule: String,
    pub capacity: i32,
    pub join_url: String,
    pub organizer_name: String,
    pub organizer_email: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The defaults an organizer has taken over from config, as
    /// `,title,capacity,` (see `series::defaults`).
    pub edited_fields: String,
}

impl Series {
    /// The names of the defaults the database owns (config no longer
    /// writes them), in the order stored.
    pub fn edited(&self) -> Vec<&str> {
        self.edited_fields
            .split(',')
            .filter(|name| !name.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub series_id: i64,
    pub uid: String,
    pub title: String,
    pub description: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub timezone: String,
    pub capacity: i32,
    pub join_url: String,
    pub status: String,
    pub sequence: i32,
    pub occurrence_date: Option<NaiveDate>,
    /// Why it was cancelled, told to registrants.
    pub cancel_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Session {
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }
    pub fn starts_at_utc(&self) -> DateTime<Utc> {
        self.starts_at.and_utc()
    }
    pub fn ends_at_utc(&self) -> DateTime<Utc> {
        self.ends_at.and_utc()
    }
    /// When it happens, as people read it: in its own zone, zone named.
    pub fn when(&self) -> String {
        crate::calendar::display::time_range(self.starts_at_utc(), self.ends_at_utc(), self.tz())
    }
    /// Its start in the other US mainland zones ("10:00 AM PT · 11:00 AM
    /// MT · 12:00 PM CT"), or "" for a series outside the US.
    pub fn other_zones(&self) -> String {
        crate::calendar::display::us_elsewhere(self.starts_at_utc(), self.tz()).unwrap_or_default()
    }
    /// Its start for a `<time datetime>`: "2026-12-15T18:00:00Z".
    pub fn starts_machine(&self) -> String {
        crate::calendar::display::machine(self.starts_at_utc())
    }
    pub fn is_cancelled(&self) -> bool {
        self.status == CANCELLED
    }
    /// Its date where it happens, `YYYY-MM-DD`: how reports name it.
    pub fn local_date(&self) -> String {
        self.starts_at_utc()
            .with_timezone(&self.tz())
            .format("%Y-%m-%d")
            .to_string()
    }

    /// The session as a calendar event; `attendee` and the sequence bump
    /// make it one person's copy.
    pub fn calendar_event(
        &self,
        series: &Series,
        description: String,
        attendee: Option<Party>,
        sequence_bump: i32,
    ) -> SessionEvent {
        SessionEvent {
            uid: self.uid.clone(),
            sequence: (self.sequence + sequence_bump).max(0) as u32,
            summary: self.title.clone(),
            description,
            starts_at: self.starts_at_utc(),
            ends_at: self.ends_at_utc(),
            join_url: Some(self.join_url.clone()).filter(|u| !u.is_empty()),
            organizer: Party {
                name: series.organizer_name.clone(),
                email: series.organizer_email.clone(),
            },
            attendee,
        }
    }
}

/// A scheduled hour-long session starting at `t`, for unit tests.
#[cfg(test)]
pub(crate) fn test_session(t: NaiveDateTime) -> Session {
    Session {
        id: 1,
        series_id: 1,
        uid: "u@x".into(),
        title: "Jam".into(),
        description: "d".into(),
        starts_at: t,
        ends_at: t + chrono::Duration::hours(1),
        timezone: "America/New_York".into(),
        capacity: 10,
        join_url: "https://zoom.us/j/1".into(),
        status: SCHEDULED.into(),
        sequence: 0,
        occurrence_date: None,
        cancel_reason: None,
        created_at: t,
        updated_at: t,
    }
}

/// Locks the session row for the rest of the transaction (a no-op
/// UPDATE); false if absent. Every write that checks then changes a
/// session's state starts here.
pub fn lock_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<bool> {
    let n = diesel::update(sessions::table.find(session_id))
        .set(sessions::updated_at.eq(sessions::updated_at))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn find_session(conn: &mut DbConnection, id: i64) -> QueryResult<Option<(Session, Series)>> {
    sessions::table
        .inner_join(series::table)
        .filter(sessions::id.eq(id))
        .select((Session::as_select(), Series::as_select()))
        .first(conn)
        .optional()
}

/// `find_session`, or a 404 naming the id.
pub fn session_or_404(
    conn: &mut DbConnection,
    id: i64,
) -> Result<(Session, Series), crate::error::ApiError> {
    find_session(conn, id)?
        .ok_or_else(|| crate::error::ApiError::NotFound(format!("no session {id}")))
}

pub fn find_series(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<Series>> {
    series::table
        .filter(series::slug.eq(slug))
        .select(Series::as_select())
        .first(conn)
        .optional()
}

/// Every series in the database (configured or not any more), by slug.
pub fn all_series(conn: &mut DbConnection) -> QueryResult<Vec<Series>> {
    series::table
        .order(series::slug.asc())
        .select(Series::as_select())
        .load(conn)
}

/// A series' sessions that start in `[from, to)`, cancelled ones left
/// out, oldest first: the sessions a report over the period counts.
pub fn sessions_of_period(
    conn: &mut DbConnection,
    series_id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::series_id.eq(series_id))
        .filter(sessions::starts_at.ge(from))
        .filter(sessions::starts_at.lt(to))
        .filter(sessions::status.ne(CANCELLED))
        .order(sessions::starts_at.asc())
        .select(Session::as_select())
        .load(conn)
}

/// Every session of a series, cancelled ones too, starting from `from` to
/// `to` (both included), soonest first.
pub fn sessions_starting_between(
    conn: &mut DbConnection,
    series_id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::series_id.eq(series_id))
        .filter(sessions::starts_at.ge(from))
        .filter(sessions::starts_at.le(to))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .select(Session::as_select())
        .load(conn)
}

/// Scheduled sessions open for registration (not an ECHO cohort's) that
/// have not ended, soonest first, with their series.
pub fn upcoming_public(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(Session, Series)>> {
    sessions::table
        .inner_join(series::table)
        .filter(sessions::ends_at.gt(now))
        .filter(sessions::status.eq(SCHEDULED))
        .filter(series::kind.ne(ECHO))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .limit(limit)
        .select((Session::as_select(), Series::as_select()))
        .load(conn)
}

/// Scheduled sessions that have not ended, soonest first, with their series.
pub fn upcoming(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(Session, Series)>> {
    sessions::table
        .inner_join(series::table)
        .filter(sessions::ends_at.gt(now))
        .filter(sessions::status.eq(SCHEDULED))
        .order((sessions::starts_at.asc(), sessions::id.asc()))
        .limit(limit)
        .select((Session::as_select(), Series::as_select()))
        .load(conn)
}

/// Registrations in `status` per session, for the given sessions.
pub fn counts(
    conn: &mut DbConnection,
    session_ids: &[i64],
    status: &str,
) -> QueryResult<Vec<(i64, i64)>> {
    registrations::table
        .filter(registrations::session_id.eq_any(session_ids))
        .filter(registrations::status.eq(status))
        .group_by(registrations::session_id)
        .select((registrations::session_id, diesel::dsl::count_star()))
        .load(conn)
}
