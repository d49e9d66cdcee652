//! One sending rate shared by every worker, in every process: a single
//! row holds the next free send slot, and a worker reserves slots for a
//! batch by moving it forward in the transaction that claims the batch.
//! Concurrent reservations serialize on that row, so together the workers
//! never exceed the configured rate. Slots are real time (`Utc::now`), not
//! the service clock: the provider's limit is physical.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;

#[derive(QueryableByName)]
struct NextAt {
    #[diesel(sql_type = BigInt)]
    next_at_us: i64,
}

/// Microseconds between two sends at `per_second`.
pub fn interval(per_second: u32) -> Duration {
    Duration::microseconds(1_000_000 / i64::from(per_second.max(1)))
}

/// Reserves `n` consecutive send slots at `per_second` and returns the
/// first; the i-th message may go at `first + i * interval(per_second)`.
pub fn reserve(
    conn: &mut DbConnection,
    n: usize,
    per_second: u32,
    now: DateTime<Utc>,
) -> QueryResult<DateTime<Utc>> {
    let span = interval(per_second).num_microseconds().unwrap_or(0) * n as i64;
    let now_us = now.timestamp_micros();
    let sql = conn.sql(
        "INSERT INTO send_rate (name, next_at_us) VALUES ('mail', ?) \
         ON CONFLICT (name) DO UPDATE SET next_at_us = \
         (CASE WHEN send_rate.next_at_us > ? THEN send_rate.next_at_us ELSE ? END) + ? \
         RETURNING next_at_us",
    );
    let row: NextAt = diesel::sql_query(sql)
        .bind::<BigInt, _>(now_us + span)
        .bind::<BigInt, _>(now_us)
        .bind::<BigInt, _>(now_us)
        .bind::<BigInt, _>(span)
        .get_result(conn)?;
    let first_us = row.next_at_us - span;
    Ok(DateTime::from_timestamp_micros(first_us).unwrap_or(now))
}
