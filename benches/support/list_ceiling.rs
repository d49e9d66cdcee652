//! The machine's own ceiling for what a subscriber list import writes: the
//! same rows into the same tables of a database in the same state (the
//! bench's known people, some unsubscribed), in one transaction, as plainly
//! as each backend takes rows — PostgreSQL's binary `COPY … FROM STDIN`
//! (diesel's `copy_from`), SQLite prepared multi-row `INSERT`s (a fixed
//! shape, prepared once): the `put!` of `bulk.rs`. The people not yet
//! known, the blank details of the known ones filled, and a confirmed
//! subscription for everyone not unsubscribed, with the values the import
//! writes (a link issued by the same key, the consent). Whatever the import
//! has to find out (who is known, their ids, the new ids, who is
//! unsubscribed, the links) is worked out before the clock starts: no
//! staging, no matching, only the writes.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use convene::db::schema::{people, subscriptions};
use convene::db::DbConnection;
use convene::lists::file::{self, Row};
use convene::lists::store::CONFIRMED;
use convene::web::links::LinkKey;
use diesel::prelude::*;

use crate::bulk::Person;
use diesel::sql_types::Timestamp;

// The known people's new details, for one `UPDATE … FROM`: created in the
// transaction, dropped before it ends.
diesel::table! {
    list_fill (id) {
        id -> BigInt,
        first_name -> Text,
        last_name -> Text,
        organization -> Text,
        sector -> Text,
        state -> Text,
    }
}

#[derive(Insertable)]
#[diesel(table_name = list_fill, treat_none_as_default_value = false)]
struct Fill {
    id: i64,
    first_name: String,
    last_name: String,
    organization: String,
    sector: String,
    state: String,
}

#[derive(Insertable)]
#[diesel(table_name = subscriptions, treat_none_as_default_value = false)]
struct Subscription {
    person_id: i64,
    list_slug: String,
    status: &'static str,
    token_hash: String,
    token_sealed: String,
    confirmed_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    consent_source: String,
    consent_at: NaiveDateTime,
}

/// What the ceiling wrote, and how long its transaction took (what is
/// worked out before it is not counted).
pub struct Wrote {
    pub people: usize,
    pub filled: usize,
    pub subscriptions: usize,
    pub took: Duration,
}

/// `old` unless it is blank: the import fills blanks and keeps the rest.
fn filled(old: &str, new: &str) -> String {
    if old.is_empty() { new } else { old }.to_string()
}

/// Writes the subscriber file at `path` into `list` as the import would,
/// into a database holding the bench's people: the people not yet known,
/// the known ones' blank details, then the confirmed subscriptions, in one
/// transaction.
///
/// The details are filled set-wise, the plainest way both backends have:
/// the new values put into a temporary table as rows go in (`COPY`, or the
/// multi-row `INSERT`s), then one `UPDATE people … FROM` it by id. One
/// prepared `UPDATE` per person would be the row-at-a-time work a ceiling
/// is meant to leave out (on PostgreSQL, 25 000 round trips).
pub fn write(
    conn: &mut DbConnection,
    path: &std::path::Path,
    list: &str,
    consent: &str,
    key: &LinkKey,
) -> Wrote {
    let now = chrono::Utc::now().naive_utc();
    // Worked out first: the file's rows as the import reads them (each
    // address once), who is known and with what details, the ids the new
    // get, who has a subscription to the list already (the bench's
    // unsubscribed: the import never touches them), the links.
    let mut reading = file::open(std::fs::File::open(path).unwrap()).unwrap();
    let mut rows: Vec<Row> = Vec::new();
    let mut seen = HashSet::new();
    while let Some(row) = reading.next_row().unwrap() {
        let row = row.expect("each row is good");
        if seen.insert(row.email.as_str().to_string()) {
            rows.push(row);
        }
    }
    type Details = (i64, String, String, String, String, String);
    let known: HashMap<String, Details> = people::table
        .select((
            people::email,
            (
                people::id,
                people::first_name,
                people::last_name,
                people::organization,
                people::sector,
                people::state,
            ),
        ))
        .load::<(String, Details)>(conn)
        .unwrap()
        .into_iter()
        .collect();
    let subscribed: HashSet<i64> = subscriptions::table
        .filter(subscriptions::list_slug.eq(list))
        .select(subscriptions::person_id)
        .load::<i64>(conn)
        .unwrap()
        .into_iter()
        .collect();
    let mut next = known.values().map(|d| d.0).max().unwrap_or(0);
    let (mut persons, mut fills, mut subs) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let id = match known.get(row.email.as_str()) {
            Some((id, first, last, organization, sector, state)) => {
                let fill = Fill {
                    id: *id,
                    first_name: filled(first, &row.first_name),
                    last_name: filled(last, &row.last_name),
                    organization: filled(organization, &row.organization),
                    sector: filled(sector, row.sector),
                    state: filled(state, row.state),
                };
                // A row that adds nothing leaves the person untouched.
                let after = (
                    &fill.first_name,
                    &fill.last_name,
                    &fill.organization,
                    &fill.sector,
                    &fill.state,
                );
                if after != (first, last, organization, sector, state) {
                    fills.push(fill);
                }
                *id
            }
            None => {
                next += 1;
                persons.push(Person {
                    id: next,
                    email: row.email.as_str().to_string(),
                    first_name: row.first_name.clone(),
                    last_name: row.last_name.clone(),
                    organization: row.organization.clone(),
                    job_title: "",
                    sector: row.sector,
                    state: row.state,
                    created_at: now,
                    updated_at: now,
                });
                next
            }
        };
        if subscribed.contains(&id) {
            continue;
        }
        let link = key.issue();
        subs.push(Subscription {
            person_id: id,
            list_slug: list.to_string(),
            status: CONFIRMED,
            token_hash: link.hash,
            token_sealed: link.sealed,
            confirmed_at: now,
            created_at: now,
            updated_at: now,
            consent_source: consent.to_string(),
            consent_at: now,
        });
    }
    let update = conn.sql(
        "UPDATE people SET first_name = f.first_name, last_name = f.last_name, \
         organization = f.organization, sector = f.sector, state = f.state, updated_at = ? \
         FROM list_fill AS f WHERE people.id = f.id",
    );
    let started = Instant::now();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        put!(conn, people::table, &persons);
        diesel::sql_query(
            "CREATE TEMPORARY TABLE list_fill (id BIGINT NOT NULL, first_name TEXT NOT NULL, \
             last_name TEXT NOT NULL, organization TEXT NOT NULL, sector TEXT NOT NULL, \
             state TEXT NOT NULL)",
        )
        .execute(conn)?;
        put!(conn, list_fill::table, &fills);
        diesel::sql_query(&update)
            .bind::<Timestamp, _>(now)
            .execute(conn)?;
        diesel::sql_query("DROP TABLE list_fill").execute(conn)?;
        put!(conn, subscriptions::table, &subs);
        Ok(())
    })
    .expect("the ceiling's rows are written");
    Wrote {
        people: persons.len(),
        filled: fills.len(),
        subscriptions: subs.len(),
        took: started.elapsed(),
    }
}
