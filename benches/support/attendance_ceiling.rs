//! The machine's own ceiling for what an attendance import writes: the
//! same rows into the same tables of a database in the same state (the
//! same registrants), in one transaction, as plainly as each backend takes
//! rows — PostgreSQL's binary `COPY … FROM STDIN` (diesel's `copy_from`),
//! SQLite prepared multi-row `INSERT`s (a fixed shape, prepared once): the
//! `put!` of `bulk.rs`. The people not yet known and one attendance row per
//! person, with the values the import writes (its import,
//! `registered_here`, the role). Whatever the import has to find out (who
//! is new, their ids, who registered) is worked out before the clock
//! starts: no staging, no matching, no merging, only the writes.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use convene::attendance::parse::{Attendee, Role};
use convene::db::schema::{attendance, attendance_imports, people, registrations};
use convene::db::DbConnection;
use diesel::prelude::*;

use crate::bulk::Person;

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

fn role(role: Role) -> &'static str {
    match role {
        Role::Host => "host",
        Role::Panelist => "panelist",
        Role::Attendee => "attendee",
    }
}

/// Writes `attendees` (merged, one per address) as the import would into
/// `session_id` of a database holding the bench's registrants: the people
/// not yet known, then everyone's attendance, in one transaction. How long
/// the transaction took (what is worked out before it is not counted).
pub fn write(conn: &mut DbConnection, session_id: i64, attendees: &[Attendee]) -> Duration {
    let now = chrono::Utc::now().naive_utc();
    // Worked out first: who is known, the ids the new get, who registered.
    let known: HashMap<String, i64> = people::table
        .select((people::email, people::id))
        .load::<(String, i64)>(conn)
        .unwrap()
        .into_iter()
        .collect();
    let registered: HashSet<i64> = registrations::table
        .filter(registrations::session_id.eq(session_id))
        .filter(registrations::status.ne("cancelled"))
        .select(registrations::person_id)
        .load::<i64>(conn)
        .unwrap()
        .into_iter()
        .collect();
    let import_id: i64 = diesel::insert_into(attendance_imports::table)
        .values((
            attendance_imports::session_id.eq(session_id),
            attendance_imports::source.eq("zoom-webinar"),
            attendance_imports::file_sha256.eq("ceiling"),
            attendance_imports::attendees.eq(attendees.len() as i32),
            attendance_imports::imported_by.eq("bench"),
            attendance_imports::created_at.eq(now),
        ))
        .returning(attendance_imports::id)
        .get_result(conn)
        .unwrap();
    let mut next = known.values().max().copied().unwrap_or(0);
    let mut ids = Vec::with_capacity(attendees.len());
    let mut persons = Vec::new();
    for a in attendees {
        if let Some(&id) = known.get(&a.email) {
            ids.push(id);
            continue;
        }
        next += 1;
        ids.push(next);
        let (first_name, last_name) = a.name.split_once(' ').unwrap_or((&a.name, ""));
        persons.push(Person {
            id: next,
            email: a.email.clone(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            organization: String::new(),
            job_title: "",
            sector: "",
            state: "",
            created_at: now,
            updated_at: now,
        });
    }
    let rows: Vec<Row> = attendees
        .iter()
        .zip(&ids)
        .map(|(a, &person_id)| Row {
            session_id,
            person_id,
            import_id: Some(import_id),
            attended: a.attended,
            first_join: a.first_join,
            last_leave: a.last_leave,
            minutes: a.minutes as i32,
            joins: a.joins as i32,
            registered_here: registered.contains(&person_id),
            role: role(a.role),
            adjusted_by: None,
            adjust_reason: None,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let started = Instant::now();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        put!(conn, people::table, &persons);
        put!(conn, attendance::table, &rows);
        Ok(())
    })
    .expect("the ceiling's rows are written");
    started.elapsed()
}
