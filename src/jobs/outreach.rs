//! The scheduler's mail: invitations to a series' mailing list and
//! reminders to a session's registrants, each at configured offsets before
//! the session. Fan-out is set-based — one `INSERT … SELECT` per batch of
//! subscribers, the database writing each personalized row — and every row's
//! idempotency key names (session or registration, offset, recipient), so
//! any number of schedulers, or a restart mid-tick, enqueue each once.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use serde_json::json;

use crate::config::{Offset, Settings};
use crate::db::schema::{series, sessions, subscriptions};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::lists::store::CONFIRMED;
use crate::mail::outbox as mail_outbox;
use crate::series::model::{Series, Session, SCHEDULED};
use crate::series::registrants::{queue_to_registrants, ToRegistrants};

/// Key of the invitation for `session` starting at `start` (a reschedule
/// invites again for the new time), `offset` before, to subscription `sub`.
fn invitation_key_prefix(session: &Session, offset: Offset) -> String {
    format!(
        "invitation:{}:{}m:{}:",
        session.id,
        offset.minutes(),
        session.starts_at.and_utc().timestamp()
    )
}

/// Drops the invitations and reminders of a session still queued (it was
/// moved or cancelled, so they name the wrong time); returns how many.
pub fn drop_queued_for_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<usize> {
    let mut dropped = mail_outbox::skip_pending(
        conn,
        &format!("invitation:{session_id}:%"),
        "session changed",
    )?;
    let sql = conn.sql(
        "UPDATE outbox SET status = 'skipped', last_error = 'session changed'          WHERE status = 'pending' AND template = 'session_reminder' AND EXISTS          (SELECT 1 FROM registrations r WHERE r.session_id = ?           AND outbox.idempotency_key LIKE 'registration:' || CAST(r.id AS TEXT) || ':reminder:%')",
    );
    dropped += diesel::sql_query(sql)
        .bind::<BigInt, _>(session_id)
        .execute(conn)?;
    Ok(dropped)
}

/// Subscribers written per transaction: keeps each write short, so
/// registrations never wait long behind a fan-out.
pub const BATCH: i64 = 5_000;

/// Of the offsets whose moment (`starts_at - offset`) has come, the latest
/// one; none once the session has started. Only the latest is sent: a
/// scheduler that was down does not send a stale "in 7 days" on the eve.
pub fn due_offset(
    offsets: &[Offset],
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Offset> {
    if now >= starts_at {
        return None;
    }
    offsets
        .iter()
        .copied()
        .filter(|o| starts_at - o.duration() <= now)
        .min()
}

/// How a reminder names the time left: "tomorrow", "in 7 days", "in 1 hour".
pub fn lead(offset: Offset) -> String {
    let m = offset.minutes();
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("in 1 {unit}")
        } else {
            format!("in {n} {unit}s")
        }
    };
    if m % 1440 == 0 {
        if m == 1440 {
            "tomorrow".into()
        } else {
            plural(m / 1440, "day")
        }
    } else if m % 60 == 0 {
        plural(m / 60, "hour")
    } else {
        plural(m, "minute")
    }
}

/// Scheduled sessions starting within `within` of `now`, with their series.
fn starting_soon(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    within: Duration,
) -> QueryResult<Vec<(Session, Series)>> {
    sessions::table
        .inner_join(series::table)
        .filter(sessions::status.eq(SCHEDULED))
        .filter(sessions::starts_at.gt(now))
        .filter(sessions::starts_at.le(now + within))
        .order(sessions::starts_at.asc())
        .select((Session::as_select(), Series::as_select()))
        .load(conn)
}

/// The longest offset of any series' invitations or reminders: how far
/// ahead a tick looks.
fn longest(series: &[Series]) -> Duration {
    series
        .iter()
        .flat_map(|s| {
            s.invitation_offsets()
                .into_iter()
                .chain(s.reminder_offsets())
        })
        .map(|o| o.duration())
        .max()
        .unwrap_or_else(Duration::zero)
}

/// Enqueues the invitations and reminders due at `now`, as each series'
/// row says (its offsets, its list); returns how many rows were added (0
/// when another scheduler got there first).
pub async fn enqueue_due(
    pool: &Pool,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<(usize, usize), DbError> {
    let all = db::run(pool, |conn| {
        crate::series::model::all_series(conn).map_err(DbError::from)
    })
    .await?;
    let within = longest(&all);
    if within <= Duration::zero() {
        return Ok((0, 0));
    }
    let naive = now.naive_utc();
    let soon = db::run(pool, move |conn| {
        starting_soon(conn, naive, within).map_err(DbError::from)
    })
    .await?;
    let (mut invited, mut reminded) = (0, 0);
    for (session, series) in soon {
        let reminders = series.reminder_offsets();
        if let Some(offset) = due_offset(&reminders, session.starts_at_utc(), now) {
            reminded += enqueue_reminders(pool, settings, &session, &series, offset, now).await?;
        }
        let Some(list_slug) = series.list_slug.clone() else {
            continue;
        };
        let invitations = series.invitation_offsets();
        if let Some(offset) = due_offset(&invitations, session.starts_at_utc(), now) {
            let last_chance = invitations.len() > 1 && invitations.iter().min() == Some(&offset);
            invited += enqueue_invitations(
                pool,
                settings,
                &session,
                &series,
                &list_slug,
                offset,
                last_chance,
                now,
            )
            .await?;
        }
    }
    Ok((invited, reminded))
}

/// One invitation per confirmed subscriber of `list_slug` not registered
/// for the session, in batches of `BATCH` subscription ids.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue_invitations(
    pool: &Pool,
    settings: &Settings,
    session: &Session,
    series: &Series,
    list_slug: &str,
    offset: Offset,
    last_chance: bool,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let slug = list_slug.to_string();
    let range: (Option<i64>, Option<i64>) = db::run(pool, move |conn| {
        subscriptions::table
            .filter(subscriptions::list_slug.eq(&slug))
            .filter(subscriptions::status.eq(CONFIRMED))
            .select((
                diesel::dsl::min(subscriptions::id),
                diesel::dsl::max(subscriptions::id),
            ))
            .first(conn)
            .map_err(DbError::from)
    })
    .await?;
    let (Some(first), Some(last)) = range else {
        return Ok(0);
    };
    // Confirmed presenters, in order, for the invitation's "Presenters".
    let session_id = session.id;
    let lineup: Vec<serde_json::Value> = db::run(pool, move |conn| {
        crate::lineup::store::confirmed(conn, session_id).map_err(DbError::from)
    })
    .await?
    .iter()
    .map(|p| json!({ "name": p.name, "role": p.role, "talk_title": p.talk_title }))
    .collect();
    let list_name = settings
        .lists
        .get(list_slug)
        .map(|l| l.name.clone())
        .unwrap_or_else(|| list_slug.to_string());
    let public = &settings.http.public_url;
    let host = public.host();
    let base = json!({
        "session_title": session.title,
        "series_title": series.title,
        "description": session.description,
        "when": session.when(),
        "timezone": session.timezone,
        "other_zones": session.other_zones(),
        "starts_at": session.starts_machine(),
        "session_url": public.join(&format!("/sessions/{}", session.id)),
        "last_chance": last_chance,
        "lineup": lineup,
        "list_name": list_name,
        "postal_address": settings.mail.postal_address,
    });
    let base = db::open_json_object(&base);
    let job = std::sync::Arc::new(InvitationBatch {
        key_prefix: invitation_key_prefix(session, offset),
        base,
        register_prefix: public.join(&format!(
            "/sessions/{}?invite={}",
            session.id,
            crate::web::links::PLACEHOLDER_SQL_OPEN
        )),
        unsubscribe_prefix: public.join(&format!("/u/{}", crate::web::links::PLACEHOLDER_SQL_OPEN)),
        list_id: format!("{list_name} <{list_slug}.{host}>"),
        list_slug: list_slug.to_string(),
        session_id: session.id,
        now: now.naive_utc(),
    });
    let mut added = 0;
    let mut from = first;
    while from <= last {
        let to = from.saturating_add(BATCH);
        let job = job.clone();
        added += db::write(pool, move |conn| {
            job.insert(conn, from, to).map_err(DbError::from)
        })
        .await?;
        from = to;
    }
    Ok(added)
}

struct InvitationBatch {
    key_prefix: String,
    base: String,
    register_prefix: String,
    unsubscribe_prefix: String,
    list_id: String,
    list_slug: String,
    session_id: i64,
    now: NaiveDateTime,
}

impl InvitationBatch {
    /// Subscriptions with `from <= id < to`.
    fn insert(&self, conn: &mut DbConnection, from: i64, to: i64) -> QueryResult<usize> {
        let context = conn.json_extend(
            "?",
            &[
                ("first_name", "p.first_name"),
                ("register_url", "? || s.token_sealed || '~'"),
                ("unsubscribe_url", "? || s.token_sealed || '~'"),
            ],
        );
        let sql = conn.sql(&format!(
            "INSERT INTO outbox (idempotency_key, template, recipient, context, calendar, status, attempts, \
             next_attempt_at, created_at, subscription_id, list_id, unsubscribe_url) \
             SELECT ? || CAST(s.id AS TEXT), 'session_invitation', p.email, {context}, NULL, 'pending', 0, \
             ?, ?, s.id, ?, ? || s.token_sealed || '~' \
             FROM subscriptions s JOIN people p ON p.id = s.person_id \
             WHERE s.list_slug = ? AND s.status = 'confirmed' AND s.id >= ? AND s.id < ? \
             AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.session_id = ? \
                             AND r.person_id = s.person_id AND r.status <> 'cancelled') \
             ON CONFLICT (idempotency_key) DO NOTHING"
        ));
        diesel::sql_query(sql)
            .bind::<Text, _>(&self.key_prefix)
            .bind::<Text, _>(&self.base)
            .bind::<Text, _>(&self.register_prefix)
            .bind::<Text, _>(&self.unsubscribe_prefix)
            .bind::<Timestamp, _>(self.now)
            .bind::<Timestamp, _>(self.now)
            .bind::<Nullable<Text>, _>(Some(&self.list_id))
            .bind::<Text, _>(&self.unsubscribe_prefix)
            .bind::<Text, _>(&self.list_slug)
            .bind::<BigInt, _>(from)
            .bind::<BigInt, _>(to)
            .bind::<BigInt, _>(self.session_id)
            .execute(conn)
    }
}

/// One reminder per registration that was `registered` before the
/// offset's moment (a later registrant is not reminded late).
pub async fn enqueue_reminders(
    pool: &Pool,
    settings: &Settings,
    session: &Session,
    series: &Series,
    offset: Offset,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let public = &settings.http.public_url;
    let base = json!({
        "session_title": session.title,
        "series_title": series.title,
        "description": session.description,
        "when": session.when(),
        "timezone": session.timezone,
        "other_zones": session.other_zones(),
        "starts_at": session.starts_machine(),
        "join_url": session.join_url,
        "lead": lead(offset),
        "session_url": public.join(&format!("/sessions/{}", session.id)),
    });
    let base = db::open_json_object(&base);
    // The start is in the key: after a reschedule, reminders go again.
    let key_suffix = format!(
        ":reminder:{}m:{}",
        offset.minutes(),
        session.starts_at.and_utc().timestamp()
    );
    let public = public.clone();
    let moment = session.starts_at - offset.duration();
    let session_id = session.id;
    let now = now.naive_utc();
    db::write(pool, move |conn| {
        let to = ToRegistrants {
            session_id,
            statuses: "('registered')",
            registered_by: Some(moment),
            condition: "1 = 1",
            template: "session_reminder",
            key_suffix: &key_suffix,
            base: &base,
            public: &public,
            now,
        };
        queue_to_registrants(conn, &to).map_err(DbError::from)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn only_the_latest_passed_offset_is_due_and_none_after_the_start() {
        let offsets = [Offset::days(7), Offset::days(1), Offset::hours(1)];
        let start = at("2027-01-19T18:00:00Z");
        assert_eq!(
            due_offset(&offsets, start, at("2027-01-10T00:00:00Z")),
            None
        );
        assert_eq!(
            due_offset(&offsets, start, at("2027-01-12T18:00:00Z")),
            Some(Offset::days(7))
        );
        assert_eq!(
            due_offset(&offsets, start, at("2027-01-19T00:00:00Z")),
            Some(Offset::days(1))
        );
        assert_eq!(
            due_offset(&offsets, start, at("2027-01-19T17:30:00Z")),
            Some(Offset::hours(1))
        );
        assert_eq!(due_offset(&offsets, start, start), None);
    }

    #[test]
    fn leads_read_naturally() {
        assert_eq!(lead(Offset::days(7)), "in 7 days");
        assert_eq!(lead(Offset::days(1)), "tomorrow");
        assert_eq!(lead(Offset::hours(1)), "in 1 hour");
        assert_eq!(lead(Offset::hours(3)), "in 3 hours");
        assert_eq!(lead(Offset::parse("90m").unwrap()), "in 90 minutes");
    }
}
