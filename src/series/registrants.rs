//! Messages to a session's registrants, queued straight from the
//! registrations table: what the registration feature, the archive's
//! follow-ups and the scheduler's reminders share.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::PublicUrl;
use crate::db::DbConnection;
use crate::mail::outbox;
use crate::web::links::PLACEHOLDER_SQL_OPEN;

/// One message to each of a session's registrations, queued in a single
/// `INSERT … SELECT` (no loop per person): the organizers' message to
/// registrants, the scheduler's reminders and the follow-ups.
pub struct ToRegistrants<'a> {
    pub session_id: i64,
    /// A SQL list of statuses: `('registered')`, `('registered', 'waitlisted')`.
    pub statuses: &'static str,
    /// Only those registered by then (a later registrant is not reminded late).
    pub registered_by: Option<NaiveDateTime>,
    /// A further SQL condition on `r` (the registration), or `1 = 1`.
    pub condition: &'a str,
    pub template: &'a str,
    /// After `registration:<id>` in each row's idempotency key.
    pub key_suffix: &'a str,
    /// The context every message shares, as `db::open_json_object` gives it;
    /// each row adds the person's `first_name`, `manage_url` and
    /// `feedback_url` (their own evaluation of the session, `/r/…/feedback`).
    pub base: &'a str,
    /// Where each registration's manage link (`/r/…`) points.
    pub public: &'a PublicUrl,
    pub now: NaiveDateTime,
}

/// Queues `to`'s messages; erased people get none, and a key already in
/// the outbox is left as it is. Answers how many were queued.
pub fn queue_to_registrants(conn: &mut DbConnection, to: &ToRegistrants) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    let context = conn.json_extend(
        "?",
        &[
            ("first_name", "p.first_name"),
            ("manage_url", "? || r.token_sealed || '~'"),
            ("feedback_url", "? || r.token_sealed || '~/feedback'"),
        ],
    );
    let sql = conn.sql(&format!(
        "INSERT INTO outbox (idempotency_key, template, recipient, context, calendar, status, attempts, \
         next_attempt_at, created_at) \
         SELECT 'registration:' || CAST(r.id AS TEXT) || ?, ?, p.email, {context}, \
         NULL, 'pending', 0, ?, ? \
         FROM registrations r JOIN people p ON p.id = r.person_id \
         WHERE r.session_id = ? AND r.status IN {} AND (? IS NULL OR r.registered_at <= ?) \
         AND p.email NOT LIKE ? AND {} \
         ON CONFLICT (idempotency_key) DO NOTHING",
        to.statuses, to.condition
    ));
    let link = to.public.join(&format!("/r/{}", PLACEHOLDER_SQL_OPEN));
    diesel::sql_query(sql)
        .bind::<Text, _>(to.key_suffix)
        .bind::<Text, _>(to.template)
        .bind::<Text, _>(to.base)
        .bind::<Text, _>(&link)
        .bind::<Text, _>(&link)
        .bind::<Timestamp, _>(to.now)
        .bind::<Timestamp, _>(to.now)
        .bind::<BigInt, _>(to.session_id)
        .bind::<Nullable<Timestamp>, _>(to.registered_by)
        .bind::<Nullable<Timestamp>, _>(to.registered_by)
        .bind::<Text, _>(format!("%{}", outbox::ERASED_DOMAIN))
        .execute(conn)
}
