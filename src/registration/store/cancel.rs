//! Cancelling a registration, and the waitlist moving into freed places:
//! both under the session's exclusive lock (`lock_session`, see the parent
//! module's header).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{people, registrations};
use crate::db::{DbConnection, DbError};
use crate::mail::outbox;
use crate::series::model::{lock_session, Series, Session};

use super::{find_by_hash, letter, places, Found, Person, Policy, Registration};
use super::{CANCELLED, REGISTERED, WAITLISTED};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    AlreadyCancelled,
}

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no such registration")]
    NotFound,
    #[error("the session is over")]
    Over,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for CancelError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// Cancels the registration whose manage link hashes to `token_hash`, tells
/// the person (removing the event from their calendar), and gives freed
/// places to the waitlist.
pub fn cancel(
    conn: &mut DbConnection,
    token_hash: &str,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<CancelOutcome, CancelError> {
    // Lock the session before reading the registration's status, so two
    // cancellations cannot both promote. (A token's session never changes.)
    let session_id: i64 = registrations::table
        .filter(registrations::token_hash.eq(token_hash))
        .select(registrations::session_id)
        .first(conn)
        .optional()?
        .ok_or(CancelError::NotFound)?;
    conn.transaction(|conn| {
        lock_session(conn, session_id)?;
        let found = find_by_hash(conn, token_hash)?.ok_or(CancelError::NotFound)?;
        let Found {
            registration: reg,
            person,
            session,
            series,
        } = found;
        if reg.status == CANCELLED {
            return Ok(CancelOutcome::AlreadyCancelled);
        }
        if session.ends_at <= now {
            return Err(CancelError::Over);
        }
        let had_invitation = reg.status == REGISTERED;
        let sequence = reg.calendar_sequence + 1;
        diesel::update(registrations::table.find(reg.id))
            .set((
                registrations::status.eq(CANCELLED),
                registrations::place.eq(None::<i32>),
                registrations::cancelled_at.eq(Some(now)),
                registrations::calendar_sequence.eq(sequence),
                registrations::updated_at.eq(now),
            ))
            .execute(conn)?;
        let reg = Registration {
            calendar_sequence: sequence,
            ..reg
        };
        let msg = letter(
            policy,
            &session,
            &series,
            &reg,
            &person.first_name,
            &person.last_name,
            &person.email,
        )
        .cancelled(had_invitation);
        outbox::enqueue(conn, &msg, now)?;
        drop_queued_reminders(conn, reg.id)?;
        if had_invitation && !session.is_cancelled() {
            promote_waitlisted(conn, &session, &series, policy, now)?;
        }
        Ok(CancelOutcome::Cancelled)
    })
}

/// Drops a registration's reminders still queued (it was cancelled).
pub fn drop_queued_reminders(conn: &mut DbConnection, registration_id: i64) -> QueryResult<usize> {
    outbox::skip_pending(
        conn,
        &format!("registration:{registration_id}:reminder:%"),
        "registration cancelled",
    )
}

/// Moves waitlisted people, first come first served, into free places.
/// Under the session's exclusive lock (`lock_session`), after whatever
/// freed or added places.
pub(crate) fn promote_waitlisted(
    conn: &mut DbConnection,
    session: &Session,
    series: &Series,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    places::refit(conn, session.id, session.capacity)?;
    let waiting: i64 = registrations::table
        .filter(registrations::session_id.eq(session.id))
        .filter(registrations::status.eq(WAITLISTED))
        .count()
        .get_result(conn)?;
    if waiting == 0 {
        return Ok(0);
    }
    let free = places::free(conn, session.id, session.capacity, waiting as usize)?;
    if free.is_empty() {
        return Ok(0);
    }
    let next: Vec<(Registration, Person)> = registrations::table
        .inner_join(people::table)
        .filter(registrations::session_id.eq(session.id))
        .filter(registrations::status.eq(WAITLISTED))
        .order((registrations::waitlisted_at.asc(), registrations::id.asc()))
        .limit(free.len() as i64)
        .select((Registration::as_select(), Person::as_select()))
        .load(conn)?;
    for ((reg, person), place) in next.iter().zip(free) {
        diesel::update(registrations::table.find(reg.id))
            .set((
                registrations::status.eq(REGISTERED),
                registrations::place.eq(Some(place)),
                registrations::waitlisted_at.eq(None::<NaiveDateTime>),
                registrations::registered_at.eq(Some(now)),
                registrations::updated_at.eq(now),
            ))
            .execute(conn)?;
        let msg = letter(
            policy,
            session,
            series,
            reg,
            &person.first_name,
            &person.last_name,
            &person.email,
        )
        .promoted();
        outbox::enqueue(conn, &msg, now)?;
    }
    Ok(next.len())
}
