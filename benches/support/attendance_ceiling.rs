//! The machine's own ceiling for what an attendance import writes: the
//! same people and attendance rows put into the same tables of a fresh
//! database in one transaction, as plainly as each backend takes rows —
//! PostgreSQL's binary `COPY … FROM STDIN` (diesel's `copy_from`), SQLite
//! one prepared `INSERT` per row (diesel keeps the statement prepared).
//! No matching, no merging, no upserts: only the writes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use convene::attendance::parse::Attendee;
use convene::db::schema::{attendance, people};
use convene::db::DbConnection;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = people, treat_none_as_default_value = false)]
struct Person<'a> {
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    organization: &'a str,
    job_title: &'a str,
    sector: &'a str,
    state: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = attendance, treat_none_as_default_value = false)]
struct Row {
    session_id: i64,
    person_id: i64,
    import_id: Option<i64>,
    attended: bool,
    first_join: Option<NaiveDateTime>,
    last_leave: Option<NaiveDateTime>,
    minutes: i32,
    joins: i32,
    registered_here: bool,
    role: &'static str,
    adjusted_by: Option<String>,
    adjust_reason: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Writes `attendees` (merged, one per address) as people and their
/// attendance of `session_id`, in one transaction: how long it took.
pub fn write(conn: &mut DbConnection, session_id: i64, attendees: &[Attendee]) -> Duration {
    let now = chrono::Utc::now().naive_utc();
    let started = Instant::now();
    let persons: Vec<Person<'_>> = attendees
        .iter()
        .map(|a| {
            let (first_name, last_name) = a.name.split_once(' ').unwrap_or((&a.name, ""));
            Person {
                email: &a.email,
                first_name,
                last_name,
                organization: "",
                job_title: "",
                sector: "",
                state: "",
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    let rows = |ids: &HashMap<String, i64>| -> Vec<Row> {
        attendees
            .iter()
            .map(|a| Row {
                session_id,
                person_id: ids[&a.email],
                import_id: None,
                attended: a.attended,
                first_join: a.first_join,
                last_leave: a.last_leave,
                minutes: a.minutes as i32,
                joins: a.joins as i32,
                registered_here: false,
                role: "attendee",
                adjusted_by: None,
                adjust_reason: None,
                created_at: now,
                updated_at: now,
            })
            .collect()
    };
    let ids = |conn: &mut DbConnection| -> QueryResult<HashMap<String, i64>> {
        let found: Vec<(i64, String)> = people::table
            .select((people::id, people::email))
            .load(conn)?;
        Ok(found.into_iter().map(|(id, email)| (email, id)).collect())
    };
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        match conn {
            DbConnection::Postgres(pg) => {
                use diesel::ExecuteCopyFromDsl;
                diesel::copy_from(people::table)
                    .from_insertable(&persons)
                    .execute(pg)?;
            }
            DbConnection::Sqlite(lite) => {
                for p in &persons {
                    diesel::insert_into(people::table).values(p).execute(lite)?;
                }
            }
        }
        let rows = rows(&ids(conn)?);
        match conn {
            DbConnection::Postgres(pg) => {
                use diesel::ExecuteCopyFromDsl;
                diesel::copy_from(attendance::table)
                    .from_insertable(&rows)
                    .execute(pg)?;
            }
            DbConnection::Sqlite(lite) => {
                for r in &rows {
                    diesel::insert_into(attendance::table)
                        .values(r)
                        .execute(lite)?;
                }
            }
        }
        Ok(())
    })
    .expect("the ceiling's rows are written");
    started.elapsed()
}
