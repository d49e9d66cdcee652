//! The outbox: every e-mail is a row written in the transaction that caused
//! it, with a unique idempotency key. Workers claim due rows under a lease
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`), send, then mark them sent in
//! groups (one UPDATE per group of accepted messages, see
//! `worker::MARK_GROUP`); a crash after sending and before marking resends
//! at most the accepted messages not yet marked — one group, plus those in
//! flight while it was written — each with its stable Message-ID.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::ics::{Method, SessionEvent};
use crate::db::schema::outbox;
use crate::db::DbConnection;

mod public;
pub use public::{enqueue_public, RecipientCap, CAPPED};

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// Never to be sent: list mail whose recipient unsubscribed while it waited.
pub const SKIPPED: &str = "skipped";

/// A calendar file to attach, kept as data so it is rendered at send time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarPart {
    pub method: Method,
    pub events: Vec<SessionEvent>,
}

/// A message to send after the current transaction commits.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Unique per message: enqueuing the same key twice sends once.
    pub key: String,
    /// Folder under `email_templates/`.
    pub template: &'static str,
    pub recipient: String,
    pub context: serde_json::Value,
    pub calendar: Option<CalendarPart>,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub template: String,
    pub recipient: String,
    pub context: String,
    pub calendar: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// Set on list mail: the subscription it goes to.
    pub subscription_id: Option<i64>,
    /// List mail's `List-Id` value.
    pub list_id: Option<String>,
    /// List mail's one-click unsubscribe URL.
    pub unsubscribe_url: Option<String>,
}

/// The reserved top-level domain (RFC 2606) an erased person's address is
/// moved to: nothing is ever sent there.
pub const ERASED_DOMAIN: &str = "@invalid";

/// Inserts the message unless its key is already queued or its recipient
/// was erased. Returns whether a row was added. Runs inside the caller's
/// transaction.
pub fn enqueue(conn: &mut DbConnection, msg: &NewMessage, now: NaiveDateTime) -> QueryResult<bool> {
    insert(conn, msg, None, now)
}

/// The message's context and calendar part as stored, or `None` when its
/// recipient was erased (nothing is ever written to them).
pub(super) fn stored(msg: &NewMessage) -> Option<(String, Option<String>)> {
    if msg.recipient.ends_with(ERASED_DOMAIN) {
        return None;
    }
    let calendar = msg
        .calendar
        .as_ref()
        .map(|c| serde_json::to_string(c).expect("calendar part serializes"));
    Some((msg.context.to_string(), calendar))
}

/// The INSERT, with `origin` (`None`: not caused by an anonymous form).
pub(super) fn insert(
    conn: &mut DbConnection,
    msg: &NewMessage,
    origin: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some((context, calendar)) = stored(msg) else {
        return Ok(false);
    };
    let added = crate::on_backend!(conn, db => diesel::insert_into(outbox::table)
        .values((
            outbox::idempotency_key.eq(&msg.key),
            outbox::template.eq(msg.template),
            outbox::recipient.eq(&msg.recipient),
            outbox::context.eq(&context),
            outbox::calendar.eq(&calendar),
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
            outbox::origin.eq(origin),
        ))
        .on_conflict(outbox::idempotency_key)
        .do_nothing()
        .execute(db))?;
    Ok(added == 1)
}

/// Takes up to `limit` due messages for this worker until `now + lease`,
/// counting the attempt. Other workers skip rows already taken.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease: Duration,
    limit: u32,
) -> QueryResult<Vec<OutboxRow>> {
    let skip_locked = if conn.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = conn.sql(&format!(
        "UPDATE outbox SET locked_until = ?, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? \
                      AND (locked_until IS NULL OR locked_until <= ?) \
                      ORDER BY next_attempt_at, id LIMIT ?{skip_locked}) \
         RETURNING id, idempotency_key, template, recipient, context, calendar, status, attempts, \
                   next_attempt_at, locked_until, last_error, created_at, sent_at, \
                   subscription_id, list_id, unsubscribe_url"
    ));
    let mut rows: Vec<OutboxRow> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(now + lease)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(i64::from(limit))
        .load(conn)?;
    rows.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(rows)
}

/// Marks the messages `ids` (accepted by the server) sent, in one UPDATE.
pub fn mark_sent(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(Some(now)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// What became of a message whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(NaiveDateTime),
    GaveUp,
}

/// The retry policy: the n-th failure waits `base * 2^(n-1)`, capped at
/// `max`; after `max_attempts` attempts, or on a permanent error, it stops.
pub fn after_failure(
    attempts: i32,
    permanent: bool,
    now: NaiveDateTime,
    max_attempts: u32,
    base: Duration,
    max: Duration,
) -> AfterFailure {
    if permanent || attempts.max(0) as u32 >= max_attempts {
        return AfterFailure::GaveUp;
    }
    let exponent = (attempts.max(1) - 1).min(30) as u32;
    let delay = base.checked_mul(1 << exponent).unwrap_or(max).min(max);
    AfterFailure::RetryAt(now + delay)
}

pub fn record_failure(
    conn: &mut DbConnection,
    id: i64,
    outcome: AfterFailure,
    error: &str,
) -> QueryResult<()> {
    let error: String = error.chars().take(1000).collect();
    let target = outbox::table.find(id);
    match outcome {
        AfterFailure::RetryAt(at) => diesel::update(target)
            .set((
                outbox::next_attempt_at.eq(at),
                outbox::locked_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        AfterFailure::GaveUp => diesel::update(target)
            .set((
                outbox::status.eq(FAILED),
                outbox::locked_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Marks messages still pending whose key matches the SQL `LIKE` pattern
/// as skipped (they no longer apply); returns how many.
pub fn skip_pending(conn: &mut DbConnection, key_like: &str, reason: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::status.eq(PENDING))
            .filter(outbox::idempotency_key.like(key_like)),
    )
    .set((
        outbox::status.eq(SKIPPED),
        outbox::last_error.eq(Some(reason)),
    ))
    .execute(conn)
}

/// A message's context once what it said is gone (retention, erasure):
/// its metadata stays for the outbox page, and it cannot be sent again.
pub const NO_CONTENT: &str = "{}";

/// Drops what up to `limit` finished messages (sent, failed, skipped) said
/// — context, calendar, unsubscribe link — when they finished before
/// `cutoff`; id, key, template, recipient, status, dates and attempts stay.
/// Returns how many were purged (fewer than `limit`: none are left).
pub fn purge_finished(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: u32,
) -> QueryResult<usize> {
    // `created_at < ?` lets the partial index `outbox_with_content` find
    // the candidates; a message sent later than it was queued is judged by
    // when it was sent.
    let sql = conn.sql(&format!(
        "UPDATE outbox SET context = '{{}}', calendar = NULL, unsubscribe_url = NULL \
         WHERE id IN ({PURGEABLE} ORDER BY id LIMIT ?)"
    ));
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(cutoff)
        .bind::<Timestamp, _>(cutoff)
        .bind::<BigInt, _>(i64::from(limit))
        .execute(conn)
}

/// The finished messages sent or queued before the cutoff (bound twice)
/// whose content is still kept.
const PURGEABLE: &str = "SELECT id FROM outbox WHERE context <> '{}' AND created_at < ? \
     AND status IN ('sent', 'failed', 'skipped') AND COALESCE(sent_at, created_at) < ?";

/// Whether `purge_finished` would find anything: a read, so a scheduler
/// tick with nothing to purge writes nothing.
pub fn any_to_purge(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<bool> {
    let sql = conn.sql(&format!("{PURGEABLE} LIMIT 1"));
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        #[allow(dead_code)]
        id: i64,
    }
    let found: Vec<Id> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(cutoff)
        .bind::<Timestamp, _>(cutoff)
        .load(conn)?;
    Ok(!found.is_empty())
}

/// Which of the messages `ids` still wait to be sent (not skipped
/// meanwhile), in one query. Looked up by id and told apart here: with
/// `status = 'pending'` in the query SQLite walks the `outbox_due` index
/// (status first, and covering) through every pending message for each
/// group, a whole invitation run per 32 messages.
pub fn still_pending(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(i64, String)> = statuses(ids).load(conn)?;
    Ok(found
        .into_iter()
        .filter(|(_, status)| status == PENDING)
        .map(|(id, _)| id)
        .collect())
}

/// `statuses`' query: the messages of a list of ids, with their status.
type Statuses<'a> = diesel::dsl::Select<
    diesel::dsl::Filter<outbox::table, diesel::dsl::EqAny<outbox::id, &'a [i64]>>,
    (outbox::id, outbox::status),
>;

/// The id and status of each of the messages `ids`.
fn statuses(ids: &[i64]) -> Statuses<'_> {
    outbox::table
        .filter(outbox::id.eq_any(ids))
        .select((outbox::id, outbox::status))
}

/// Failed messages, newest first.
pub fn failed(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::status.eq(FAILED))
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// How many messages are in each status.
pub fn status_counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .order(outbox::status)
        .load(conn)
}

/// Puts a failed message back in the queue with a fresh set of attempts;
/// returns the row as it was, or `None` if it is not a failed message.
pub fn retry(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    let Some(row) = outbox::table
        .find(id)
        .filter(outbox::status.eq(FAILED))
        // Nothing left to send once its content was purged or erased.
        .filter(outbox::context.ne(NO_CONTENT))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(Some(row))
}

/// When the earliest pending message may next be claimed: its
/// `next_attempt_at`, or its lease's end while another worker holds it.
/// `None` when nothing is pending.
pub fn next_due(conn: &mut DbConnection) -> QueryResult<Option<NaiveDateTime>> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
        at: Option<NaiveDateTime>,
    }
    let next: Next = diesel::sql_query(
        "SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until \
                    ELSE next_attempt_at END) AS at \
         FROM outbox WHERE status = 'pending'",
    )
    .get_result(conn)?;
    Ok(next.at)
}

/// Messages not yet sent or failed.
pub fn depth(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(PENDING))
        .count()
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed moment for the outbox's tests (and `public`'s).
    pub(super) fn t0() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let base = Duration::seconds(30);
        let max = Duration::minutes(10);
        let delays: Vec<Duration> = (1..=7)
            .map(|n| match after_failure(n, false, t0(), 10, base, max) {
                AfterFailure::RetryAt(at) => at - t0(),
                AfterFailure::GaveUp => panic!("gave up after {n}"),
            })
            .collect();
        let seconds: Vec<i64> = delays.iter().map(|d| d.num_seconds()).collect();
        assert_eq!(seconds, vec![30, 60, 120, 240, 480, 600, 600]);
    }

    #[test]
    fn still_pending_tells_pending_apart_and_looks_them_up_by_id() {
        use crate::db::plans::{migrated, plan};
        let mut conn = migrated();
        let (_, steps) = plan(&mut conn, &statuses(&[1, 2, 3]), "1");
        assert!(
            steps.iter().all(|s| s.contains("PRIMARY KEY")),
            "{steps:?}: not by id"
        );
        for (key, status) in [("a", PENDING), ("b", SENT), ("c", SKIPPED), ("d", PENDING)] {
            diesel::insert_into(outbox::table)
                .values((
                    outbox::idempotency_key.eq(key),
                    outbox::template.eq("t"),
                    outbox::recipient.eq("x@example.org"),
                    outbox::context.eq("{}"),
                    outbox::status.eq(status),
                    outbox::attempts.eq(0),
                    outbox::next_attempt_at.eq(t0()),
                    outbox::created_at.eq(t0()),
                ))
                .execute(&mut conn)
                .unwrap();
        }
        let mut conn = DbConnection::Sqlite(conn);
        let mut pending = still_pending(&mut conn, &[1, 2, 3, 4, 99]).unwrap();
        pending.sort();
        assert_eq!(pending, vec![1, 4]);
    }

    #[test]
    fn the_last_attempt_or_a_permanent_error_gives_up() {
        let (b, m) = (Duration::seconds(1), Duration::seconds(10));
        assert_eq!(after_failure(5, false, t0(), 5, b, m), AfterFailure::GaveUp);
        assert_eq!(after_failure(1, true, t0(), 5, b, m), AfterFailure::GaveUp);
        assert!(matches!(
            after_failure(4, false, t0(), 5, b, m),
            AfterFailure::RetryAt(_)
        ));
    }
}
