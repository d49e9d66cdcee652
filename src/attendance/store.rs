//! Writing an imported report: each attendee matched to a person by
//! normalized e-mail (created if new) and to their registration for the
//! session, if any; people who came without registering here are counted
//! and flagged. One transaction: a report is imported whole or not at all.
//! The same file again changes nothing; a different report for the session
//! replaces the earlier import's rows (rows marked by hand stay).

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::attendance::measures::{is_staff, ATTENDEE};
use crate::attendance::parse::{self, Attendee, DateOrder, Dates, Decided, Format, Roster};
use crate::audit::{self, Actor};
use crate::db::schema::{attendance, attendance_imports, registrations};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::lists::domain::Subscriber;
use crate::lists::store as lists;
use crate::mail::address::EmailAddress;
use crate::series::model::{lock_session, Session};

/// What an import did (or, checked first, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub import_id: i64,
    /// The kind of report, as told from the file: `zoom-webinar`,
    /// `zoom-registration`, `zoom-meeting`, `teams`, `meet` or `csv`.
    pub source: String,
    /// The same, in words.
    pub report: String,
    /// How numeric dates were read: `month-first` or `day-first`.
    pub date_order: String,
    /// Why: `file` (a date in it reads only that way), `asked` or `default`.
    pub date_order_from: String,
    /// Rows of people in the file (a rejoin is another row).
    pub rows: usize,
    /// Rows merged into an earlier one for the same address.
    pub rows_merged: usize,
    /// People in the report (rejoins merged).
    pub people: usize,
    /// Attendees who came: staff apart.
    pub attended: usize,
    /// Hosts, co-hosts and panelists: kept, counted apart.
    pub staff: usize,
    /// Of those who attended, how many had registered here.
    pub registered_here: usize,
    /// Attended without registering here.
    pub walk_ins: usize,
    /// People in the report who hold a registration for the session.
    pub registrants_matched: usize,
    /// Zoom's own count of viewers, when the report gives one: it should
    /// equal `attended` on a webinar attendee report.
    pub unique_viewers: Option<u32>,
    /// Rows with no address (a dial-in, an anonymous guest): no one to
    /// match them to, so not imported.
    pub without_address: usize,
    /// Rows of an earlier import of the session that this one replaced.
    pub replaced: usize,
    /// The file is the session's current import: nothing changed.
    pub unchanged: bool,
    /// Only checked: nothing was written.
    pub dry_run: bool,
}

/// What an import is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked {
    /// The family of report the file must be; any when `None` (`auto`).
    pub format: Option<Format>,
    /// How to read numeric dates no date in the file settles.
    pub date_order: Option<DateOrder>,
    /// Check only: write nothing.
    pub dry_run: bool,
}

fn role_name(role: parse::Role) -> &'static str {
    match role {
        parse::Role::Host => "host",
        parse::Role::Panelist => "panelist",
        parse::Role::Attendee => ATTENDEE,
    }
}

/// A report's wall-clock time, read in the session's zone, as UTC.
fn utc(tz: Tz, local: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    local
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.naive_utc())
}

/// "Ada King Lovelace" → ("Ada", "King Lovelace").
fn split_name(name: &str) -> (String, String) {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.split_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (name, String::new()),
    }
}

/// The person with `email` (created if new, with `name` filling blanks)
/// and whether they hold a registration for the session.
fn person_for(
    conn: &mut DbConnection,
    session_id: i64,
    email: EmailAddress,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<(i64, bool)> {
    let (first_name, last_name) = split_name(name);
    let person_id = lists::upsert_subscriber(
        conn,
        &Subscriber {
            first_name,
            last_name,
            email,
            organization: String::new(),
            sector: "",
            state: "",
            lists: Vec::new(),
        },
        now,
    )?;
    let registered = diesel::select(diesel::dsl::exists(
        registrations::table
            .filter(registrations::session_id.eq(session_id))
            .filter(registrations::person_id.eq(person_id))
            .filter(registrations::status.ne("cancelled")),
    ))
    .get_result(conn)?;
    Ok((person_id, registered))
}

/// People written per statement pair, and the most held in memory: each
/// chunk is one JSON bind.
const CHUNK: usize = 5_000;

/// Why a report was not imported (422, the line and the problem under
/// `file`).
pub fn refused(message: String) -> ApiError {
    ApiError::Invalid {
        message: format!("The file was not imported: {message}"),
        fields: vec![("file".into(), message)],
    }
}

/// An attendee as a row of `json_rows`: times in UTC written as diesel
/// writes a timestamp.
fn json_row(tz: Tz, a: &Attendee) -> serde_json::Value {
    let (first_name, last_name) = split_name(&a.name);
    let at = |t| utc(tz, t).map(|t| t.format("%F %T%.f").to_string());
    json!({
        "email": a.email,
        "first_name": first_name,
        "last_name": last_name,
        "attended": a.attended,
        "first_join": at(a.first_join),
        "last_leave": at(a.last_leave),
        "minutes": a.minutes.min(i32::MAX as u32),
        "joins": a.joins.min(i32::MAX as u32),
        "role": role_name(a.role),
    })
}

/// `expr` capped at the largest INTEGER, computed without overflowing one.
fn capped_sum(a: &str, b: &str) -> String {
    format!("CASE WHEN CAST({a} AS BIGINT) + {b} > 2147483647 THEN 2147483647 ELSE {a} + {b} END")
}

/// A role's rank, as `parse::Role` orders them.
fn role_rank(col: &str) -> String {
    format!("CASE {col} WHEN 'host' THEN 2 WHEN 'panelist' THEN 1 ELSE 0 END")
}

/// Writes one chunk of a report (one row per address): creates the people
/// not yet known (a name fills a blank one), then their attendance, each
/// flagged with whether they registered for the session. A person already
/// written by an earlier chunk of the same import (a rejoin further down
/// the file) is merged as the parser merges rows: earliest join, latest
/// leave, minutes and joins summed, the highest role.
fn write_chunk(
    conn: &mut DbConnection,
    session_id: i64,
    import_id: i64,
    rows: &[serde_json::Value],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let rows = serde_json::Value::from(rows).to_string();
    let fill = |col: &str| {
        format!("{col} = CASE WHEN people.{col} = '' THEN excluded.{col} ELSE people.{col} END")
    };
    // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    let people = conn.sql(&format!(
        "INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT v.email, v.first_name, v.last_name, '', '', '', '', ?, ? FROM {} WHERE true \
         ON CONFLICT (email) DO UPDATE SET {}, {}",
        conn.json_rows(&[("email", "text"), ("first_name", "text"), ("last_name", "text")]),
        fill("first_name"),
        fill("last_name"),
    ));
    diesel::sql_query(people)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(&rows)
        .execute(conn)?;
    let attendance = conn.sql(&format!(
        "INSERT INTO attendance (session_id, person_id, import_id, attended, first_join, last_leave, \
         minutes, joins, registered_here, role, created_at, updated_at) \
         SELECT ?, p.id, ?, v.attended, v.first_join, v.last_leave, v.minutes, v.joins, \
         EXISTS (SELECT 1 FROM registrations r WHERE r.session_id = ? AND r.person_id = p.id \
                 AND r.status <> 'cancelled'), \
         v.role, ?, ? FROM {} JOIN people p ON p.email = v.email WHERE true \
         ON CONFLICT (session_id, person_id) DO UPDATE SET \
           attended = attendance.attended OR excluded.attended, \
           first_join = CASE WHEN attendance.first_join IS NULL OR excluded.first_join < attendance.first_join \
                        THEN excluded.first_join ELSE attendance.first_join END, \
           last_leave = CASE WHEN attendance.last_leave IS NULL OR excluded.last_leave > attendance.last_leave \
                        THEN excluded.last_leave ELSE attendance.last_leave END, \
           minutes = {}, joins = {}, \
           role = CASE WHEN {} > {} THEN excluded.role ELSE attendance.role END \
         WHERE attendance.import_id = excluded.import_id",
        conn.json_rows(&[
            ("email", "text"),
            ("attended", "boolean"),
            ("first_join", "timestamp"),
            ("last_leave", "timestamp"),
            ("minutes", "integer"),
            ("joins", "integer"),
            ("role", "text"),
        ]),
        capped_sum("attendance.minutes", "excluded.minutes"),
        capped_sum("attendance.joins", "excluded.joins"),
        role_rank("excluded.role"),
        role_rank("attendance.role"),
    ));
    diesel::sql_query(attendance)
        .bind::<BigInt, _>(session_id)
        .bind::<BigInt, _>(import_id)
        .bind::<BigInt, _>(session_id)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(&rows)
        .execute(conn)?;
    Ok(())
}

/// The addresses of the people whose attendance of the session was marked
/// by hand (an import leaves those rows alone).
fn marked_by_hand(conn: &mut DbConnection, session_id: i64) -> QueryResult<HashSet<String>> {
    use crate::db::schema::people;
    let emails: Vec<String> = attendance::table
        .inner_join(people::table)
        .filter(attendance::session_id.eq(session_id))
        .filter(attendance::import_id.is_null())
        .select(people::email)
        .load(conn)?;
    Ok(emails.into_iter().collect())
}

/// The session's current import: its id and file.
fn current_import(conn: &mut DbConnection, session_id: i64) -> QueryResult<Option<(i64, String)>> {
    attendance_imports::table
        .filter(attendance_imports::session_id.eq(session_id))
        .order(attendance_imports::id.desc())
        .select((attendance_imports::id, attendance_imports::file_sha256))
        .first(conn)
        .optional()
}

/// Imports the report that `open` reads (whose bytes hash to `sha256`)
/// into `session`, as `actor`, as `asked`. The file is read twice, as it is
/// written: first to tell its kind, settle its date order and refuse it
/// whole if any people row will not read, before anything is written; then
/// into the database, at most `CHUNK` people held at once (a rejoin
/// anywhere in the file is merged in the database). A file with no people
/// rows is refused and never replaces the current import. The file that is
/// the session's current import changes nothing; any other (one imported
/// before included) replaces it. A dry run does it all and rolls it back.
/// Audited.
pub fn import<R: std::io::Read>(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &Session,
    asked: Asked,
    open: impl Fn() -> std::io::Result<R>,
    sha256: &str,
    now: NaiveDateTime,
) -> Result<Imported, ApiError> {
    if !asked.dry_run {
        return write(conn, actor, session, asked, &open, sha256, now);
    }
    /// What rolls the dry run back: its result, or its error.
    enum Undo {
        Done(Box<Imported>),
        Failed(ApiError),
    }
    impl From<diesel::result::Error> for Undo {
        fn from(e: diesel::result::Error) -> Self {
            Undo::Failed(e.into())
        }
    }
    let tried = conn.transaction::<(), Undo, _>(|conn| {
        Err(
            match write(conn, actor, session, asked, &open, sha256, now) {
                Ok(done) => Undo::Done(Box::new(done)),
                Err(e) => Undo::Failed(e),
            },
        )
    });
    match tried {
        Err(Undo::Done(done)) => Ok(Imported {
            dry_run: true,
            ..*done
        }),
        Err(Undo::Failed(e)) => Err(e),
        Ok(()) => unreachable!("a dry run always rolls back"),
    }
}

fn write<R: std::io::Read>(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &Session,
    asked: Asked,
    open: &impl Fn() -> std::io::Result<R>,
    sha256: &str,
    now: NaiveDateTime,
) -> Result<Imported, ApiError> {
    let refuse = |e: parse::ParseError| refused(e.to_string());
    let reopen = || {
        open().map_err(|e| ApiError::Internal(anyhow::Error::from(e).context("reading the report")))
    };
    if !lock_session(conn, session.id)? {
        return Err(ApiError::NotFound(format!("no session {}", session.id)));
    }
    // The first pass: the kind, the date order, every row readable.
    let first = parse::read(reopen()?, Dates::scan(asked.date_order)).map_err(refuse)?;
    let source = first.source();
    if let Some(want) = asked.format.filter(|f| *f != source.format()) {
        return Err(refused(format!(
            "this is {}, not a {} report (import it as `{}` or `auto`)",
            source.label(),
            want.name(),
            source.format().name()
        )));
    }
    let (dates, rows) = parse::settle(first).map_err(refuse)?;
    if rows == 0 {
        return Err(refused(format!(
            "this is {} with no people in it: nothing to import",
            source.label()
        )));
    }
    let (order, decided) = dates.order();
    let mut done = Imported {
        import_id: 0,
        source: source.name().into(),
        report: source.label().into(),
        date_order: order.name().into(),
        date_order_from: match decided {
            Decided::File(_) => "file",
            Decided::Asked => "asked",
            Decided::Default => "default",
        }
        .into(),
        rows,
        rows_merged: 0,
        people: 0,
        attended: 0,
        staff: 0,
        registered_here: 0,
        walk_ins: 0,
        registrants_matched: 0,
        unique_viewers: None,
        without_address: 0,
        replaced: 0,
        unchanged: false,
        dry_run: false,
    };
    if let Some((import_id, current)) = current_import(conn, session.id)? {
        if current == sha256 {
            let counts = counted(conn, import_id)?;
            return Ok(Imported {
                import_id,
                unchanged: true,
                ..counts.into_imported(done)
            });
        }
    }
    let by_hand = marked_by_hand(conn, session.id)?;
    // A newer report replaces what earlier imports wrote.
    done.replaced = diesel::delete(
        attendance::table
            .filter(attendance::session_id.eq(session.id))
            .filter(attendance::import_id.is_not_null()),
    )
    .execute(conn)?;
    // A file imported before, then replaced, is imported again.
    diesel::delete(
        attendance_imports::table
            .filter(attendance_imports::session_id.eq(session.id))
            .filter(attendance_imports::file_sha256.eq(sha256)),
    )
    .execute(conn)?;
    let import_id: i64 = diesel::insert_into(attendance_imports::table)
        .values((
            attendance_imports::session_id.eq(session.id),
            attendance_imports::source.eq(source.name()),
            attendance_imports::file_sha256.eq(sha256),
            attendance_imports::attendees.eq(0),
            attendance_imports::imported_by.eq(&actor.label),
            attendance_imports::created_at.eq(now),
        ))
        .returning(attendance_imports::id)
        .get_result(conn)?;
    let tz = session.tz();
    let mut report = parse::read(reopen()?, dates).map_err(refuse)?;
    // People in the report whose row was marked by hand: not written.
    let mut kept = HashSet::new();
    let mut chunk = Roster::default();
    loop {
        let row = report.next().transpose().map_err(refuse)?;
        let end = row.is_none();
        match row {
            Some(row) if by_hand.contains(&row.email) => {
                kept.insert(row.email);
            }
            Some(row) => chunk.add(row),
            None => {}
        }
        if chunk.len() == CHUNK || (end && !chunk.is_empty()) {
            let rows: Vec<_> = std::mem::take(&mut chunk)
                .into_vec()
                .iter()
                .map(|a| json_row(tz, a))
                .collect();
            write_chunk(conn, session.id, import_id, &rows, now)?;
        }
        if end {
            break;
        }
    }
    let summary = report.summary();
    done.unique_viewers = summary.unique_viewers;
    done.without_address = summary.without_address;
    let mut done = counted(conn, import_id)?.into_imported(done);
    done.import_id = import_id;
    done.people += kept.len();
    done.rows_merged = done.rows.saturating_sub(done.people);
    diesel::update(attendance_imports::table.find(import_id))
        .set((
            attendance_imports::attendees.eq(done.people as i32),
            attendance_imports::meeting_id.eq(&summary.meeting_id),
            attendance_imports::topic.eq(&summary.topic),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "attendance.import",
        &format!("session:{}", session.id),
        None,
        Some(json!({
            "source": source.name(), "sha256": sha256, "people": done.people,
            "attended": done.attended, "staff": done.staff, "replaced": done.replaced,
            "date_order": done.date_order,
        })),
        now,
    )?;
    Ok(done)
}

/// What an import's rows hold, counted.
struct Counts {
    people: usize,
    attended: usize,
    staff: usize,
    registered_here: usize,
    registrants_matched: usize,
}

impl Counts {
    fn into_imported(self, done: Imported) -> Imported {
        Imported {
            people: self.people,
            attended: self.attended,
            staff: self.staff,
            registered_here: self.registered_here,
            walk_ins: self.attended - self.registered_here,
            registrants_matched: self.registrants_matched,
            ..done
        }
    }
}

/// Counts import `import_id`'s rows: staff apart from attendees.
fn counted(conn: &mut DbConnection, import_id: i64) -> QueryResult<Counts> {
    let rows: Vec<(bool, bool, String)> = attendance::table
        .filter(attendance::import_id.eq(import_id))
        .select((
            attendance::attended,
            attendance::registered_here,
            attendance::role,
        ))
        .load(conn)?;
    let attendees = || rows.iter().filter(|r| r.0 && !is_staff(&r.2));
    Ok(Counts {
        people: rows.len(),
        attended: attendees().count(),
        staff: rows.iter().filter(|r| is_staff(&r.2)).count(),
        registered_here: attendees().filter(|r| r.1).count(),
        registrants_matched: rows.iter().filter(|r| r.1).count(),
    })
}

/// One person's attendance of a session, as the API lists it.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Row {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub attended: bool,
    pub first_join: Option<NaiveDateTime>,
    pub last_leave: Option<NaiveDateTime>,
    pub minutes: i32,
    pub joins: i32,
    pub registered_here: bool,
    pub role: String,
}

/// A session's attendance, by e-mail.
pub fn for_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<Vec<Row>> {
    use crate::db::schema::people;
    attendance::table
        .inner_join(people::table)
        .filter(attendance::session_id.eq(session_id))
        .order(people::email.asc())
        .select((
            people::email,
            people::first_name,
            people::last_name,
            attendance::attended,
            attendance::first_join,
            attendance::last_leave,
            attendance::minutes,
            attendance::joins,
            attendance::registered_here,
            attendance::role,
        ))
        .load(conn)
}

/// Marks (or corrects) one person's attendance by hand, with the reason;
/// the row keeps who did it, and a later import leaves it alone.
#[allow(clippy::too_many_arguments)]
pub fn mark(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &Session,
    email: &EmailAddress,
    attended: bool,
    minutes: Option<i32>,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    if !lock_session(conn, session.id)? {
        return Err(ApiError::NotFound(format!("no session {}", session.id)));
    }
    let (person_id, registered) = person_for(conn, session.id, email.clone(), "", now)?;
    let before: Option<(bool, i32)> = attendance::table
        .filter(attendance::session_id.eq(session.id))
        .filter(attendance::person_id.eq(person_id))
        .select((attendance::attended, attendance::minutes))
        .first(conn)
        .optional()?;
    diesel::delete(
        attendance::table
            .filter(attendance::session_id.eq(session.id))
            .filter(attendance::person_id.eq(person_id)),
    )
    .execute(conn)?;
    let minutes = minutes.unwrap_or(if attended {
        before.map_or(0, |(_, m)| m)
    } else {
        0
    });
    diesel::insert_into(attendance::table)
        .values((
            attendance::session_id.eq(session.id),
            attendance::person_id.eq(person_id),
            attendance::attended.eq(attended),
            attendance::minutes.eq(minutes),
            attendance::joins.eq(i32::from(attended)),
            attendance::registered_here.eq(registered),
            attendance::role.eq(ATTENDEE),
            attendance::adjusted_by.eq(Some(&actor.label)),
            attendance::adjust_reason.eq(Some(reason)),
            attendance::created_at.eq(now),
            attendance::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "attendance.mark",
        &format!("session:{}", session.id),
        before.map(|(a, m)| json!({ "attended": a, "minutes": m })),
        Some(json!({ "attended": attended, "minutes": minutes, "reason": reason })),
        now,
    )?;
    Ok(())
}

/// A session's attendance in numbers, for its organizer page. Staff (host,
/// co-hosts, panelists) are counted apart, not among those who attended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub attended: i64,
    pub registered_here: i64,
    pub walk_ins: i64,
    pub staff: i64,
    pub adjusted: i64,
    /// The latest import: (source, when).
    pub last_import: Option<(String, NaiveDateTime)>,
}

pub fn summary(conn: &mut DbConnection, session_id: i64) -> QueryResult<Summary> {
    let rows: Vec<(bool, bool, Option<String>, String)> = attendance::table
        .filter(attendance::session_id.eq(session_id))
        .select((
            attendance::attended,
            attendance::registered_here,
            attendance::adjusted_by,
            attendance::role,
        ))
        .load(conn)?;
    let last_import = attendance_imports::table
        .filter(attendance_imports::session_id.eq(session_id))
        .order(attendance_imports::id.desc())
        .select((attendance_imports::source, attendance_imports::created_at))
        .first(conn)
        .optional()?;
    let (staff, attended): (Vec<_>, Vec<_>) = rows
        .iter()
        .filter(|r| r.0)
        .partition(|r| crate::attendance::measures::is_staff(&r.3));
    Ok(Summary {
        attended: attended.len() as i64,
        registered_here: attended.iter().filter(|r| r.1).count() as i64,
        walk_ins: attended.iter().filter(|r| !r.1).count() as i64,
        staff: staff.len() as i64,
        adjusted: rows.iter().filter(|r| r.2.is_some()).count() as i64,
        last_import,
    })
}
