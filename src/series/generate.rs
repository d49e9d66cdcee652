//! Keeps the database in step with the configured series: each series row
//! matches its config, and its sessions exist for the coming months —
//! created once, never duplicated, whichever instance gets there first.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamp};

use crate::config::SeriesSettings;
use crate::db::{self, DbConnection};
use crate::registration::token;

/// Writes the configured series (insert, or update to match the config);
/// returns its id. One statement, so instances starting together cannot
/// collide.
pub fn sync_series(
    conn: &mut DbConnection,
    slug: &str,
    s: &SeriesSettings,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let sql = conn.sql(
        "INSERT INTO series (slug, kind, title, description, timezone, start_time, duration_minutes, rule, \
         capacity, join_url, organizer_name, organizer_email, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (slug) DO UPDATE SET kind = excluded.kind, title = excluded.title, \
         description = excluded.description, timezone = excluded.timezone, start_time = excluded.start_time, \
         duration_minutes = excluded.duration_minutes, rule = excluded.rule, capacity = excluded.capacity, \
         join_url = excluded.join_url, organizer_name = excluded.organizer_name, \
         organizer_email = excluded.organizer_email, updated_at = excluded.updated_at \
         RETURNING id",
    );
    let row: db::ReturnedId = diesel::sql_query(sql)
        .bind::<Text, _>(slug)
        .bind::<Text, _>(s.kind.as_str())
        .bind::<Text, _>(&s.title)
        .bind::<Text, _>(&s.description)
        .bind::<Text, _>(s.timezone.name())
        .bind::<Text, _>(s.start_time.format("%H:%M").to_string())
        .bind::<Integer, _>(s.duration_minutes.min(i32::MAX as u32) as i32)
        .bind::<Text, _>(s.rule.to_string())
        .bind::<Integer, _>(s.capacity.min(i32::MAX as u32) as i32)
        .bind::<Text, _>(s.join_url.as_str())
        .bind::<Text, _>(&s.organizer_name)
        .bind::<Text, _>(s.organizer_email.to_string())
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .get_result(conn)?;
    Ok(row.id)
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
    let stamp = now.naive_utc();
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
