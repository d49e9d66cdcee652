//! Keeps the database in step with the configured series: each series row
//! matches its config, and its sessions exist for the coming months —
//! created once, never duplicated, whichever instance gets there first.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamp};

use crate::config::SeriesSettings;
use crate::db::schema::series;
use crate::db::{self, DbConnection};
use crate::registration::token;

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = series)]
struct SeriesValues<'a> {
    slug: &'a str,
    kind: &'a str,
    title: &'a str,
    description: &'a str,
    timezone: &'a str,
    start_time: String,
    duration_minutes: i32,
    rule: String,
    capacity: i32,
    join_url: &'a str,
    organizer_name: &'a str,
    organizer_email: String,
    updated_at: NaiveDateTime,
}

/// Writes the configured series; returns its id.
pub fn sync_series(
    conn: &mut DbConnection,
    slug: &str,
    s: &SeriesSettings,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let values = SeriesValues {
        slug,
        kind: s.kind.as_str(),
        title: &s.title,
        description: &s.description,
        timezone: s.timezone.name(),
        start_time: s.start_time.format("%H:%M").to_string(),
        duration_minutes: s.duration_minutes as i32,
        rule: s.rule.to_string(),
        capacity: s.capacity.min(i32::MAX as u32) as i32,
        join_url: s.join_url.as_str(),
        organizer_name: &s.organizer_name,
        organizer_email: s.organizer_email.to_string(),
        updated_at: now,
    };
    let updated = diesel::update(series::table.filter(series::slug.eq(slug)))
        .set(&values)
        .execute(conn)?;
    if updated == 0 {
        let inserted = diesel::insert_into(series::table)
            .values((&values, series::created_at.eq(now)))
            .execute(conn);
        match inserted {
            // Another instance inserted it between our update and insert.
            Err(e) if db::is_unique_violation(&e) => {}
            other => {
                other?;
            }
        }
    }
    series::table
        .filter(series::slug.eq(slug))
        .select(series::id)
        .first(conn)
}

/// Creates the sessions of the coming `months` that do not exist yet;
/// returns how many it created. Safe to run anywhere, any number of times.
pub fn ensure_sessions(
    conn: &mut DbConnection,
    series_id: i64,
    s: &SeriesSettings,
    host: &str,
    now: DateTime<Utc>,
    months: u32,
) -> QueryResult<usize> {
    let mut created = 0;
    let stamp = db::now();
    for o in s.timetable().upcoming(now, months) {
        let sql = conn.sql(
            "INSERT INTO sessions (series_id, uid, title, description, starts_at, ends_at, timezone, capacity, \
             join_url, status, sequence, occurrence_date, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', 0, ?, ?, ?) \
             ON CONFLICT (series_id, occurrence_date) DO NOTHING",
        );
        created += diesel::sql_query(sql)
            .bind::<BigInt, _>(series_id)
            .bind::<Text, _>(format!("{}@{host}", token::new_token()))
            .bind::<Text, _>(&s.title)
            .bind::<Text, _>(&s.description)
            .bind::<Timestamp, _>(o.starts_at.naive_utc())
            .bind::<Timestamp, _>(o.ends_at.naive_utc())
            .bind::<Text, _>(s.timezone.name())
            .bind::<Integer, _>(s.capacity.min(i32::MAX as u32) as i32)
            .bind::<Text, _>(s.join_url.as_str())
            .bind::<Date, _>(o.local_date)
            .bind::<Timestamp, _>(stamp)
            .bind::<Timestamp, _>(stamp)
            .execute(conn)?;
    }
    Ok(created)
}
