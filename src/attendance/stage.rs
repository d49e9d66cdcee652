//! Writing an import's people in chunks through a staging table: each
//! chunk (one row per address, rejoins merged by `parse::Roster`) is
//! loaded into a temporary table with binds the database does not parse as
//! text — PostgreSQL's binary `COPY … FROM STDIN`, SQLite's multi-row
//! `INSERT` of a prepared shape — and merged into people and attendance
//! with one set-based statement each, in the caller's transaction.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use crate::attendance::parse::Attendee;
use crate::attendance::store::{role_name, split_name, utc};
use crate::db::DbConnection;

diesel::table! {
    /// A chunk of an import being written: a temporary table of the
    /// connection, emptied before each chunk. Not in `schema.rs`: no
    /// migration makes it.
    attendance_stage (email) {
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        attended -> Bool,
        first_join -> Nullable<Timestamp>,
        last_leave -> Nullable<Timestamp>,
        minutes -> Integer,
        joins -> Integer,
        role -> Text,
    }
}

/// People written per statement pair, and the most held in memory.
pub(super) const CHUNK: usize = 5_000;

/// Rows per SQLite `INSERT` into the stage: 9 binds each, under SQLite's
/// 32 766 binds a statement.
const SQLITE_ROWS: usize = 3_000;

/// An attendee as a row of the stage: names split, times in UTC.
#[derive(Insertable)]
#[diesel(table_name = attendance_stage, treat_none_as_default_value = false)]
pub(super) struct Staged<'a> {
    email: &'a str,
    first_name: String,
    last_name: String,
    attended: bool,
    first_join: Option<NaiveDateTime>,
    last_leave: Option<NaiveDateTime>,
    minutes: i32,
    joins: i32,
    role: &'static str,
}

impl<'a> Staged<'a> {
    pub(super) fn new(tz: Tz, a: &'a Attendee) -> Self {
        let (first_name, last_name) = split_name(&a.name);
        Self {
            email: &a.email,
            first_name,
            last_name,
            attended: a.attended,
            first_join: utc(tz, a.first_join),
            last_leave: utc(tz, a.last_leave),
            minutes: a.minutes.min(i32::MAX as u32) as i32,
            joins: a.joins.min(i32::MAX as u32) as i32,
            role: role_name(a.role),
        }
    }
}

/// Makes the connection's (empty) stage. It lives as long as the
/// connection (PostgreSQL: emptied at each commit), and goes with a
/// rolled-back transaction that made it.
pub(super) fn open(conn: &mut DbConnection) -> QueryResult<()> {
    let columns = "email TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL, \
                   attended BOOLEAN NOT NULL, first_join TIMESTAMP, last_leave TIMESTAMP, \
                   minutes INTEGER NOT NULL, joins INTEGER NOT NULL, role TEXT NOT NULL";
    let on_commit = if conn.is_postgres() {
        " ON COMMIT DELETE ROWS"
    } else {
        ""
    };
    conn.batch_execute(&format!(
        "CREATE TEMPORARY TABLE IF NOT EXISTS attendance_stage ({columns}){on_commit}"
    ))?;
    empty(conn)
}

fn empty(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => c.batch_execute("TRUNCATE attendance_stage"),
        DbConnection::Sqlite(c) => c.batch_execute("DELETE FROM attendance_stage"),
    }
}

/// Loads `rows` (one per address) into the empty stage.
fn load(conn: &mut DbConnection, rows: &[Staged<'_>]) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => {
            use diesel::ExecuteCopyFromDsl;
            diesel::copy_from(attendance_stage::table)
                .from_insertable(rows)
                .execute(c)?;
            // A temporary table has no statistics (autovacuum never reads
            // it): without them the merge may scan people whole.
            c.batch_execute("ANALYZE attendance_stage")
        }
        DbConnection::Sqlite(c) => {
            for part in rows.chunks(SQLITE_ROWS) {
                diesel::insert_into(attendance_stage::table)
                    .values(part)
                    .execute(c)?;
            }
            Ok(())
        }
    }
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
pub(super) fn write_chunk(
    conn: &mut DbConnection,
    session_id: i64,
    import_id: i64,
    rows: &[Staged<'_>],
    now: NaiveDateTime,
) -> QueryResult<()> {
    empty(conn)?;
    load(conn, rows)?;
    let fill = |col: &str| {
        format!("{col} = CASE WHEN people.{col} = '' THEN excluded.{col} ELSE people.{col} END")
    };
    // `WHERE true`: SQLite's parser needs it between a SELECT and ON
    // CONFLICT. A person whose names are both there is left as is (no row
    // version written for nothing).
    let people = conn.sql(&format!(
        "INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT v.email, v.first_name, v.last_name, '', '', '', '', ?, ? FROM attendance_stage v WHERE true \
         ON CONFLICT (email) DO UPDATE SET {}, {} \
         WHERE people.first_name = '' OR people.last_name = ''",
        fill("first_name"),
        fill("last_name"),
    ));
    diesel::sql_query(people)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    let attendance = conn.sql(&format!(
        "INSERT INTO attendance (session_id, person_id, import_id, attended, first_join, last_leave, \
         minutes, joins, registered_here, role, created_at, updated_at) \
         SELECT ?, p.id, ?, v.attended, v.first_join, v.last_leave, v.minutes, v.joins, \
         EXISTS (SELECT 1 FROM registrations r WHERE r.session_id = ? AND r.person_id = p.id \
                 AND r.status <> 'cancelled'), \
         v.role, ?, ? FROM attendance_stage v JOIN people p ON p.email = v.email WHERE true \
         ON CONFLICT (session_id, person_id) DO UPDATE SET \
           attended = attendance.attended OR excluded.attended, \
           first_join = CASE WHEN attendance.first_join IS NULL OR excluded.first_join < attendance.first_join \
                        THEN excluded.first_join ELSE attendance.first_join END, \
           last_leave = CASE WHEN attendance.last_leave IS NULL OR excluded.last_leave > attendance.last_leave \
                        THEN excluded.last_leave ELSE attendance.last_leave END, \
           minutes = {}, joins = {}, \
           role = CASE WHEN {} > {} THEN excluded.role ELSE attendance.role END \
         WHERE attendance.import_id = excluded.import_id",
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
        .execute(conn)?;
    Ok(())
}
