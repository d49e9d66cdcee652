//! Keeps the database in step with the configured series: each series row
//! follows its config — except the defaults an organizer has taken over
//! (`series::defaults`) — and its sessions exist for the coming months,
//! made from the row: created once, never duplicated, whichever instance
//! gets there first.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};

use crate::config::{offsets_text, SeriesSettings};
use crate::db::DbConnection;
use crate::series::defaults::{Defaults, Field};
use crate::series::model::Series;
use crate::web::token;

/// The upsert's `SET` list: the schedule always from config; each
/// organizer-editable default from config unless the row's
/// `edited_fields` names it (`LIKE '%,title,%'`, on both backends).
fn upsert_set() -> String {
    let mut set: Vec<String> = [
        "kind",
        "timezone",
        "start_time",
        "rule",
        "baseline",
        "list_slug",
        "invitations",
        "reminders",
        "recurring",
        "updated_at",
    ]
    .iter()
    .map(|c| format!("{c} = excluded.{c}"))
    .collect();
    set.extend(Field::ALL.iter().map(|f| {
        let c = f.name();
        format!(
            "{c} = CASE WHEN series.edited_fields LIKE '%,{c},%' THEN series.{c} ELSE excluded.{c} END"
        )
    }));
    set.join(", ")
}

/// Writes the configured series (insert, or update to match the config
/// where the organizer has not taken a default over); returns the row as
/// it now is, or `None` when organizers created a series of that slug in
/// the database (config never takes one over). One statement, so
/// instances starting together cannot collide.
pub fn sync_series(
    conn: &mut DbConnection,
    slug: &str,
    s: &SeriesSettings,
    now: NaiveDateTime,
) -> QueryResult<Option<Series>> {
    let sql = conn.sql(&format!(
        "INSERT INTO series (slug, kind, title, description, timezone, start_time, duration_minutes, rule, \
         capacity, join_url, organizer_name, organizer_email, created_at, updated_at, \
         baseline, list_slug, invitations, reminders, recurring, origin) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'config') \
         ON CONFLICT (slug) DO UPDATE SET {} WHERE series.origin = 'config' RETURNING *",
        upsert_set()
    ));
    let d = Defaults::from_config(s);
    diesel::sql_query(sql)
        .bind::<Text, _>(slug)
        .bind::<Text, _>(s.kind.as_str())
        .bind::<Text, _>(d.title)
        .bind::<Text, _>(d.description)
        .bind::<Text, _>(s.timezone.name())
        .bind::<Text, _>(s.start_time.format("%H:%M").to_string())
        .bind::<Integer, _>(d.duration_minutes)
        .bind::<Text, _>(s.rule.to_string())
        .bind::<Integer, _>(d.capacity)
        .bind::<Text, _>(d.join_url)
        .bind::<Text, _>(d.organizer_name)
        .bind::<Text, _>(d.organizer_email)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Nullable<Integer>, _>(s.baseline.map(|b| b.min(i32::MAX as u32) as i32))
        .bind::<Nullable<Text>, _>(s.list.as_deref())
        .bind::<Text, _>(offsets_text(&s.invitations))
        .bind::<Text, _>(offsets_text(&s.reminders))
        .bind::<Bool, _>(true)
        .get_result(conn)
        .optional()
}

/// Creates the sessions of the coming `months` that do not exist yet, with
/// the series row's current defaults (title, description, capacity, join
/// link, length) on its rule, zone and start time; returns how many it
/// created (none for a one-off event). Safe to run anywhere, any number of
/// times.
pub fn ensure_sessions(
    conn: &mut DbConnection,
    series: &Series,
    host: &str,
    now: DateTime<Utc>,
    months: u32,
) -> QueryResult<usize> {
    let Some(timetable) = series.timetable() else {
        return Ok(0);
    };
    let mut created = 0;
    let stamp = now.naive_utc();
    for o in timetable.upcoming(now, months) {
        let sql = conn.sql(
            "INSERT INTO sessions (series_id, uid, title, description, starts_at, ends_at, timezone, capacity, \
             join_url, status, sequence, occurrence_date, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', 0, ?, ?, ?) \
             ON CONFLICT (series_id, occurrence_date) DO NOTHING",
        );
        created += diesel::sql_query(sql)
            .bind::<BigInt, _>(series.id)
            .bind::<Text, _>(format!("{}@{host}", token::new_token()))
            .bind::<Text, _>(&series.title)
            .bind::<Text, _>(&series.description)
            .bind::<Timestamp, _>(o.starts_at.naive_utc())
            .bind::<Timestamp, _>(o.ends_at.naive_utc())
            .bind::<Text, _>(&series.timezone)
            .bind::<Integer, _>(series.capacity)
            .bind::<Text, _>(&series.join_url)
            .bind::<Date, _>(o.local_date)
            .bind::<Timestamp, _>(stamp)
            .bind::<Timestamp, _>(stamp)
            .execute(conn)?;
    }
    Ok(created)
}

/// Whether `ensure_sessions` would create anything: a read, so a
/// scheduler tick with no session to add writes nothing.
pub fn sessions_missing(
    conn: &mut DbConnection,
    series: &Series,
    now: DateTime<Utc>,
    months: u32,
) -> QueryResult<bool> {
    use crate::db::schema::sessions;
    let Some(timetable) = series.timetable() else {
        return Ok(false);
    };
    let wanted: Vec<chrono::NaiveDate> = timetable
        .upcoming(now, months)
        .into_iter()
        .map(|o| o.local_date)
        .collect();
    if wanted.is_empty() {
        return Ok(false);
    }
    let have: i64 = sessions::table
        .filter(sessions::series_id.eq(series.id))
        .filter(sessions::occurrence_date.eq_any(wanted.iter().copied().map(Some)))
        .count()
        .get_result(conn)?;
    Ok(have < wanted.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_keeps_each_edited_default_and_always_takes_the_schedule() {
        let set = upsert_set();
        for f in Field::ALL {
            let c = f.name();
            assert!(
                set.contains(&format!(
                    "{c} = CASE WHEN series.edited_fields LIKE '%,{c},%' THEN series.{c} ELSE excluded.{c} END"
                )),
                "{c} should be kept when edited: {set}"
            );
        }
        for c in [
            "kind",
            "timezone",
            "start_time",
            "rule",
            "list_slug",
            "reminders",
        ] {
            assert!(
                set.contains(&format!("{c} = excluded.{c}")),
                "{c} always follows config: {set}"
            );
        }
        assert!(
            !set.contains("edited_fields ="),
            "config never writes the edits"
        );
    }
}
