//! Rows and queries for series and sessions.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::calendar::ics::{Party, SessionEvent};
use crate::calendar::schedule::Timetable;
use crate::config::{parse_offsets, Offset};
use crate::db::schema::{full_sessions, registrations, series, sessions};
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
    /// Registrants a session usually has: the measures compare against it.
    pub baseline: Option<i32>,
    /// The mailing list whose subscribers are invited (a key of `[lists]`).
    pub list_slug: Option<String>,
    /// Offsets before each session, as `21d,2d` (see `invitation_offsets`).
    pub invitations: String,
    pub reminders: String,
    /// False for a one-off event: its own dates, no rule, not the Jam.
    pub recurring: bool,
    /// `config` or `organizer` (created in the database, config never
    /// touches it).
    pub origin: String,
}

/// `Series::origin` of a series created by organizers.
pub const BY_ORGANIZER: &str = "organizer";
/// `Series::origin` of a series the configuration writes.
pub const FROM_CONFIG: &str = "config";

impl Series {
    /// When subscribers of its list are invited before each session (an
    /// unreadable stored value counts as none).
    pub fn invitation_offsets(&self) -> Vec<Offset> {
        parse_offsets(&self.invitations).unwrap_or_default()
    }
    /// When registrants are reminded before each session.
    pub fn reminder_offsets(&self) -> Vec<Offset> {
        parse_offsets(&self.reminders).unwrap_or_default()
    }
    /// The baseline the measures compare against.
    pub fn usual_registrants(&self) -> Option<u32> {
        self.baseline.map(|b| b.max(0) as u32)
    }
    pub fn by_organizer(&self) -> bool {
        self.origin == BY_ORGANIZER
    }
    /// Its rule, zone, start time and length, to generate sessions from;
    /// `None` for a one-off event (or a row whose schedule does not read).
    pub fn timetable(&self) -> Option<Timetable> {
        if !self.recurring {
            return None;
        }
        Some(Timetable {
            rule: self.rule.parse().ok()?,
            timezone: self.timezone.parse().ok()?,
            start_time: crate::config::parse_local_time(&self.start_time).ok()?,
            duration: chrono::Duration::minutes(i64::from(self.duration_minutes)),
        })
    }

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

/// Locks the session row for the rest of the transaction; false if absent.
/// Every write that checks then changes a session's state starts here,
/// except a registration, which reads the row with `find_session_shared`
/// so registrations run together and wait only for these
/// (`registration::store`'s header). PostgreSQL: `FOR UPDATE`, the one row
/// lock that waits for `FOR KEY SHARE` (a plain UPDATE does not). SQLite: a
/// no-op UPDATE, which makes the transaction a writer.
pub fn lock_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<bool> {
    let n = match conn {
        DbConnection::Postgres(pg) => sessions::table
            .find(session_id)
            .select(sessions::id)
            .for_update()
            .load::<i64>(pg)?
            .len(),
        DbConnection::Sqlite(_) => diesel::update(sessions::table.find(session_id))
            .set(sessions::updated_at.eq(sessions::updated_at))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// A session as a registration reads it (`find_session_shared`).
#[derive(Debug, Clone, Queryable)]
pub struct SharedSession {
    pub session: Session,
    pub series: Series,
    /// Whether it was listed full (`full_sessions`) as this read saw it:
    /// on PostgreSQL a hint only, as the read may predate the write it
    /// waited for.
    pub listed_full: bool,
    /// Whether its series' registration form asks any questions.
    pub asks: bool,
}

/// `find_session`, for a registration: on PostgreSQL both rows are locked
/// `FOR KEY SHARE` for the rest of the transaction, so `lock_session`
/// waits for it (and it for `lock_session`) while registrations share the
/// lock. It is the lock the registration's own foreign key takes anyway,
/// and a series' updates do not wait for it. SQLite's writes run one at a
/// time: a plain read. One statement, with what else a registration asks
/// of the session first (`SharedSession`).
pub fn find_session_shared(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SharedSession>> {
    use crate::db::schema::registration_questions as q;
    macro_rules! found {
        () => {
            sessions::table
                .inner_join(series::table)
                .filter(sessions::id.eq(id))
                .select((
                    Session::as_select(),
                    Series::as_select(),
                    diesel::dsl::exists(full_sessions::table.find(id)),
                    diesel::dsl::exists(
                        q::table
                            .filter(q::series_id.eq(series::id))
                            .filter(crate::series::questions::asked_on_registration()),
                    ),
                ))
        };
    }
    match conn {
        DbConnection::Postgres(pg) => found!().for_key_share().first(pg).optional(),
        DbConnection::Sqlite(_) => found!().first(conn).optional(),
    }
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

/// The Jam's mailing list, which the interest form subscribes people to:
/// that of the first configured recurring series (by slug) that names one.
pub fn jam_list(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    series::table
        .filter(series::origin.eq(FROM_CONFIG))
        .filter(series::recurring.eq(true))
        .filter(series::list_slug.is_not_null())
        .order(series::slug.asc())
        .select(series::list_slug)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
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
