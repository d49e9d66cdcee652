//! Writing an import's people through a staging table: each chunk (one row
//! per address, rejoins merged by `parse::Roster`) is appended to a
//! temporary table with binds the database does not parse as text —
//! PostgreSQL's binary `COPY … FROM STDIN`, SQLite's multi-row `INSERT` of
//! one prepared shape — and once the whole file is staged it is merged into
//! people and attendance with one set-based statement each, in the
//! caller's transaction. One merge builds its hashes (people by address,
//! the session's registrations) once, not once a chunk.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use crate::attendance::parse::{Attendee, Role};
use crate::attendance::store::{role_name, split_name, utc};
use crate::db::DbConnection;

diesel::table! {
    /// An import being written: a temporary table of the connection,
    /// emptied when an import starts. Not in `schema.rs`: no migration
    /// makes it. No index: it is only ever read whole.
    attendance_stage (email) {
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        attended -> Bool,
        first_join -> Nullable<Timestamp>,
        last_leave -> Nullable<Timestamp>,
        minutes -> Integer,
        joins -> Integer,
        rank -> Integer,
        chunk -> Integer,
    }
}

/// People merged in memory before they are staged, and the most held.
pub(super) const CHUNK: usize = 5_000;

/// Rows per SQLite `INSERT` into the stage: a fixed number, so the
/// statement is prepared once and kept (diesel caches an array's insert,
/// not a slice's); 10 binds each.
const SQLITE_ROWS: usize = 500;

/// An attendee as a row of the stage: names split, times in UTC, the role
/// as its rank, and the chunk it came in (which name a later chunk may
/// fill in). Owned (diesel keeps a prepared insert only for rows that
/// borrow nothing), made from the attendee's own strings.
#[derive(Insertable)]
#[diesel(table_name = attendance_stage, treat_none_as_default_value = false)]
pub(super) struct Staged {
    email: String,
    first_name: String,
    last_name: String,
    attended: bool,
    first_join: Option<NaiveDateTime>,
    last_leave: Option<NaiveDateTime>,
    minutes: i32,
    joins: i32,
    rank: i32,
    chunk: i32,
}

impl Staged {
    pub(super) fn new(tz: Tz, chunk: i32, a: Attendee) -> Self {
        let (first_name, last_name) = split_name(a.name);
        Self {
            email: a.email,
            first_name,
            last_name,
            attended: a.attended,
            first_join: utc(tz, a.first_join),
            last_leave: utc(tz, a.last_leave),
            minutes: a.minutes.min(i32::MAX as u32) as i32,
            joins: a.joins.min(i32::MAX as u32) as i32,
            rank: a.role as i32,
            chunk,
        }
    }
}

/// `parse::Role`s in rank order, as the stage keeps them (`rank`).
const ROLES: [Role; 3] = [Role::Attendee, Role::Panelist, Role::Host];

/// Makes the connection's stage, empty. It lives as long as the
/// connection (PostgreSQL: emptied at each commit), and goes with a
/// rolled-back transaction that made it.
pub(super) fn open(conn: &mut DbConnection) -> QueryResult<()> {
    let columns = "email TEXT NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL, \
                   attended BOOLEAN NOT NULL, first_join TIMESTAMP, last_leave TIMESTAMP, \
                   minutes INTEGER NOT NULL, joins INTEGER NOT NULL, rank INTEGER NOT NULL, \
                   chunk INTEGER NOT NULL";
    match conn {
        DbConnection::Postgres(c) => c.batch_execute(&format!(
            "CREATE TEMPORARY TABLE IF NOT EXISTS attendance_stage ({columns}) ON COMMIT DELETE ROWS; \
             TRUNCATE attendance_stage"
        )),
        DbConnection::Sqlite(c) => c.batch_execute(&format!(
            "CREATE TEMPORARY TABLE IF NOT EXISTS attendance_stage ({columns}); \
             DELETE FROM attendance_stage"
        )),
    }
}

/// Appends `rows` (one per address in this chunk) to the stage.
pub(super) fn load(conn: &mut DbConnection, rows: &[Staged]) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => {
            use diesel::ExecuteCopyFromDsl;
            diesel::copy_from(attendance_stage::table)
                .from_insertable(rows)
                .execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            let mut parts = rows.chunks_exact(SQLITE_ROWS);
            for part in &mut parts {
                let part: &[Staged; SQLITE_ROWS] =
                    part.try_into().expect("chunks_exact gives whole parts");
                diesel::insert_into(attendance_stage::table)
                    .values(part)
                    .execute(c)?;
            }
            // The rest one prepared row at a time: a slice's insert would
            // be prepared anew.
            for row in parts.remainder() {
                diesel::insert_into(attendance_stage::table)
                    .values(row)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// The people to create or give a name, as a subquery (`v`): those of the
/// stage whose names are not both known already (the rest are not even
/// locked, as a conflict would). Each name is the one the first chunk
/// that has one gave (the order writing chunk after chunk filled a blank
/// name in). PostgreSQL merges the chunks' rows here (an upsert may not
/// meet the same row twice), keyed by chunk: the chunk zero-padded before
/// the name, compared as bytes. SQLite takes them in the order they were
/// staged and lets the upsert merge them, which needs no sort.
fn people(postgres: bool) -> String {
    let unknown = "FROM attendance_stage s WHERE NOT EXISTS (SELECT 1 FROM people k \
                   WHERE k.email = s.email AND k.first_name <> '' AND k.last_name <> '')";
    if !postgres {
        return format!(
            "(SELECT s.rowid AS staged, s.email, s.first_name, s.last_name {unknown}) v \
             WHERE true ORDER BY v.staged"
        );
    }
    let first = |col: &str| {
        format!(
            "COALESCE(substr(min(CASE WHEN {col} <> '' THEN lpad(chunk::text, 10, '0') || {col} END \
             COLLATE \"C\"), 11), '') AS {col}"
        )
    };
    format!(
        "(SELECT email, {}, {} {unknown} GROUP BY email) v WHERE true",
        first("first_name"),
        first("last_name"),
    )
}

/// The attendance to write, as `FROM …` and `ON CONFLICT …`: earliest
/// join, latest leave, minutes and joins summed (capped at the largest
/// INTEGER), the highest role, attended if any row did. PostgreSQL merges
/// by address first (an upsert may not meet the same row twice); SQLite's
/// upsert merges a later chunk's row into the one just written, which
/// needs no sort. The import's rows were deleted before it began: a row
/// already there (not of this import) was marked by hand, and stays.
fn attendance(postgres: bool) -> (String, String) {
    if postgres {
        let capped = |col: &str| {
            format!(
                "CASE WHEN sum({col}) > 2147483647 THEN 2147483647 ELSE sum({col}) END AS {col}"
            )
        };
        let from = format!(
            "(SELECT email, bool_or(attended) AS attended, min(first_join) AS first_join, \
             max(last_leave) AS last_leave, {}, {}, max(rank) AS rank \
             FROM attendance_stage GROUP BY email) v",
            capped("minutes"),
            capped("joins"),
        );
        return (from, "DO NOTHING".into());
    }
    let capped = |col: &str| {
        format!(
            "{col} = CASE WHEN attendance.{col} + excluded.{col} > 2147483647 THEN 2147483647 \
             ELSE attendance.{col} + excluded.{col} END"
        )
    };
    let rank = |col: &str| {
        let cases: Vec<_> = ROLES
            .iter()
            .map(|&r| format!("WHEN '{}' THEN {}", role_name(r), r as i32))
            .collect();
        format!("CASE {col} {} END", cases.join(" "))
    };
    let update = format!(
        "DO UPDATE SET attended = attendance.attended OR excluded.attended, \
         first_join = CASE WHEN attendance.first_join IS NULL OR excluded.first_join < attendance.first_join \
                      THEN excluded.first_join ELSE attendance.first_join END, \
         last_leave = CASE WHEN attendance.last_leave IS NULL OR excluded.last_leave > attendance.last_leave \
                      THEN excluded.last_leave ELSE attendance.last_leave END, \
         {}, {}, role = CASE WHEN {} > {} THEN excluded.role ELSE attendance.role END \
         WHERE attendance.import_id = excluded.import_id",
        capped("minutes"),
        capped("joins"),
        rank("excluded.role"),
        rank("attendance.role"),
    );
    ("attendance_stage v".into(), update)
}

/// Merges the whole stage: creates the people not yet known (a name fills
/// a blank one), then writes their attendance, each flagged with whether
/// they registered for the session. A person's rows from several chunks
/// (a rejoin far down the file) become one, as the parser merges rows.
pub(super) fn merge(
    conn: &mut DbConnection,
    session_id: i64,
    import_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let postgres = conn.is_postgres();
    if let DbConnection::Postgres(c) = conn {
        // A temporary table has no statistics (autovacuum never reads it):
        // without them the planner guesses 200 people. Compiling the merge
        // (JIT: PostgreSQL's default thresholds take it for a big one)
        // costs more than it saves.
        c.batch_execute("ANALYZE attendance_stage; SET LOCAL jit = off")?;
    }
    let fill = |col: &str| {
        format!("{col} = CASE WHEN people.{col} = '' THEN excluded.{col} ELSE people.{col} END")
    };
    // `WHERE true` in each: SQLite's parser needs a WHERE between a
    // SELECT and ON CONFLICT.
    let people = conn.sql(&format!(
        "INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT v.email, v.first_name, v.last_name, '', '', '', '', ?, ? FROM {} \
         ON CONFLICT (email) DO UPDATE SET {}, {} \
         WHERE people.first_name = '' OR people.last_name = ''",
        people(postgres),
        fill("first_name"),
        fill("last_name"),
    ));
    diesel::sql_query(people)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    let role: Vec<_> = ROLES
        .iter()
        .map(|&r| format!("WHEN {} THEN '{}'", r as i32, role_name(r)))
        .collect();
    let (from, on_conflict) = attendance(postgres);
    let attendance = conn.sql(&format!(
        "INSERT INTO attendance (session_id, person_id, import_id, attended, first_join, last_leave, \
         minutes, joins, registered_here, role, created_at, updated_at) \
         SELECT ?, p.id, ?, v.attended, v.first_join, v.last_leave, v.minutes, v.joins, \
         EXISTS (SELECT 1 FROM registrations r WHERE r.session_id = ? AND r.person_id = p.id \
                 AND r.status <> 'cancelled'), \
         CASE v.rank {} END, ?, ? FROM {from} JOIN people p ON p.email = v.email WHERE true \
         ON CONFLICT (session_id, person_id) {on_conflict}",
        role.join(" "),
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
