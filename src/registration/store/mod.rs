//! Registration writes, each one transaction that also queues its e-mails.
//!
//! Capacity stays exact across any number of instances without making
//! registrations for one session wait for each other:
//!
//! - Each registered registration holds a numbered place, unique per
//!   session (`places`); waitlisted and cancelled ones hold none. A new
//!   registration is registered exactly when it claims a free place within
//!   the capacity. On PostgreSQL a claim on a place that another running
//!   transaction just took waits for it to end: taken if it commits, ours
//!   if it rolls back. A registration that sees every place held is
//!   waitlisted, and rightly: only what has committed shows as held.
//! - `register` reads the session with its row locked in share mode
//!   (`find_session_shared`: `FOR KEY SHARE` on PostgreSQL, the lock the
//!   registration's foreign key takes anyway), for the whole transaction:
//!   registrations share it, and every other write that changes what
//!   decides a place (cancellation and its promotions, an organizer's
//!   override, a new capacity, a cancelled or moved session) takes it
//!   exclusively (`lock_session`, `FOR UPDATE`), so it waits for the
//!   registrations in flight and they for it. While registrations run,
//!   then, the capacity stays put and places are only claimed, never
//!   freed.
//! - Places past the capacity (the capacity lowered, an organizer's
//!   override) are held only while every place within it is: whatever
//!   frees a place within it first moves the highest one past it there
//!   (`places::refit`). So "a place within the capacity is free" means
//!   "fewer than the capacity are registered".
//! - A registration that finds every place held lists the session as full
//!   (`full_sessions`), and the registrations after it join the waitlist
//!   without counting the places; `places::refit`, which runs after
//!   whatever frees a place or adds one, takes it off.
//!
//! On SQLite writes run one at a time anyway (`db::write`'s writer).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::config::{PublicUrl, Settings};
use crate::db::schema::{people, registrations};
use crate::db::{DbConnection, DbError};
use crate::lists::{self, ListPolicy};
use crate::mail::outbox;
use crate::people::contact::Registrant;
pub use crate::people::Person;
use crate::registration::messages::Letter;
use crate::series::model::{
    find_session, find_session_shared, Series, Session, SharedSession, ECHO,
};
use crate::web::links::{self, LinkKey};

mod cancel;
mod places;
mod roster;

pub use cancel::*;
pub(crate) use places::refit as refit_places;
pub use roster::*;

pub const REGISTERED: &str = "registered";
pub const WAITLISTED: &str = "waitlisted";
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: i64,
    pub session_id: i64,
    pub person_id: i64,
    /// SHA-256 of the manage link's token (see `links`).
    pub token_hash: String,
    pub status: String,
    pub subscribe: bool,
    pub calendar_sequence: i32,
    pub confirmations_sent: i32,
    pub last_confirmation_at: Option<NaiveDateTime>,
    pub waitlisted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When it last became `registered`: reminders due before then are skipped.
    pub registered_at: Option<NaiveDateTime>,
    /// The manage link's token, sealed under the link key.
    pub token_sealed: Option<String>,
    /// Its numbered place while registered (see `places`).
    pub place: Option<i32>,
}

impl Registration {
    /// What stands for the manage link's token in queued mail.
    pub fn link_placeholder(&self) -> String {
        self.token_sealed
            .as_deref()
            .map(links::placeholder)
            .unwrap_or_default()
    }
}

/// What the write needs from configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub public_url: PublicUrl,
    pub resend_confirmation_after: Duration,
    pub lists: ListPolicy,
    pub links: LinkKey,
    /// Set when an anonymous form registers: its mail is capped per
    /// recipient. `None` when an organizer registers someone.
    pub mail_cap: Option<outbox::RecipientCap>,
}

impl Policy {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            public_url: s.http.public_url.clone(),
            resend_confirmation_after: Duration::seconds(i64::from(
                s.mail.resend_confirmation_after_seconds,
            )),
            lists: ListPolicy::from_settings(s),
            links: s.link_key().clone(),
            mail_cap: Some(outbox::RecipientCap::from_settings(s)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Registered,
    Waitlisted,
    /// Already registered or waitlisted: nothing new; the confirmation was
    /// queued again unless one went out very recently.
    AlreadyRegistered {
        resent: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub id: i64,
    /// The manage link's token, only when this call created the
    /// registration: only then may whoever posted the form see it (anyone
    /// can post someone else's address).
    pub token: Option<String>,
    pub status: String,
    pub outcome: Outcome,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("no such session")]
    NotFound,
    #[error("registration for this session is closed")]
    Closed,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RegisterError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// Registers `r` for the session: one transaction writes the person, the
/// registration and its confirmation e-mail. Inside the caller's
/// transaction (`db::write`'s) when there is one: nothing here needs a
/// savepoint of its own (every insert gives way on a conflict, `ON
/// CONFLICT DO NOTHING`, and a second post for the same person and
/// session finds the first one's registration).
pub fn register(
    conn: &mut DbConnection,
    session_id: i64,
    r: &Registrant,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Registered, RegisterError> {
    crate::db::atomically(conn, |conn| {
        let open = open(conn, session_id, now)?;
        register_open(conn, &open, r, policy, now)
    })
}

/// The session `session_id`, when it takes registrations now: not
/// cancelled, not over, and not a cohort's ECHO session (those are for its
/// approved participants). Read as a registration reads it (shared lock,
/// see the module's header): `register_open` it in the same transaction.
pub fn open(
    conn: &mut DbConnection,
    session_id: i64,
    now: NaiveDateTime,
) -> Result<SharedSession, RegisterError> {
    let found = find_session_shared(conn, session_id)?.ok_or(RegisterError::NotFound)?;
    let (session, series) = (&found.session, &found.series);
    if session.is_cancelled() || session.ends_at <= now || series.kind == ECHO {
        return Err(RegisterError::Closed);
    }
    Ok(found)
}

/// The columns a registration (re)joining the session sets, by status.
fn joined_at(status: &str, now: NaiveDateTime) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    (
        (status == WAITLISTED).then_some(now),
        (status == REGISTERED).then_some(now),
    )
}

/// [`register`] for a session already [`open`]ed in this transaction.
pub fn register_open(
    conn: &mut DbConnection,
    open: &SharedSession,
    r: &Registrant,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Registered, RegisterError> {
    let (session, series) = (&open.session, &open.series);
    let session_id = session.id;
    // Letters greet the person as recorded: a post may have been
    // someone else's, and its details only filled what was blank.
    let owner = lists::upsert_contact(
        conn,
        &lists::Contact {
            email: r.email.as_str(),
            first_name: &r.first_name,
            last_name: &r.last_name,
            organization: &r.organization,
            job_title: &r.job_title,
            sector: r.sector,
            state: r.state,
        },
        now,
    )?;
    let person_id = owner.id;
    if r.subscribe {
        if let Some(list) = &series.list_slug {
            lists::ask_to_confirm(
                conn,
                person_id,
                std::slice::from_ref(list),
                &policy.lists,
                now,
            )?;
        }
    }
    // A new registration is the common case: it is written first, and the
    // one this person already has is read only when the insert met it.
    let existing = match join(conn, session, open.listed_full, person_id, r, policy, now)? {
        Joined::New(reg, token) => {
            let msg = confirmation(policy, session, series, &reg, &owner, 1);
            confirm(conn, &msg, policy, now)?;
            return Ok(Registered {
                id: reg.id,
                token: Some(token),
                outcome: outcome_for(&reg.status),
                status: reg.status,
            });
        }
        Joined::Existing(reg) => reg,
    };

    let (reg, outcome) = if existing.status != CANCELLED {
        // Ticking "keep me informed" the second time still counts.
        if r.subscribe && !existing.subscribe {
            diesel::update(registrations::table.find(existing.id))
                .set(registrations::subscribe.eq(true))
                .execute(conn)?;
        }
        let recent = existing
            .last_confirmation_at
            .is_some_and(|at| now - at < policy.resend_confirmation_after);
        (existing, Outcome::AlreadyRegistered { resent: !recent })
    } else {
        // Coming back after cancelling: same manage link, a newer
        // calendar sequence so calendars accept the new invitation.
        let reg = existing;
        let placed = places::claim(conn, session_id, session.capacity, None, |conn, place| {
            places::set(conn, reg.id, place)
        })?;
        let status = if placed.is_some() {
            REGISTERED
        } else {
            WAITLISTED
        };
        let (waitlisted_at, registered_at) = joined_at(status, now);
        let changes = (
            registrations::status.eq(status),
            registrations::subscribe.eq(r.subscribe),
            registrations::calendar_sequence.eq(reg.calendar_sequence + 1),
            registrations::cancelled_at.eq(None::<NaiveDateTime>),
            registrations::waitlisted_at.eq(waitlisted_at),
            registrations::registered_at.eq(registered_at),
            registrations::updated_at.eq(now),
        );
        let reg = crate::on_backend!(conn, c => diesel::update(registrations::table.find(reg.id))
            .set(changes)
            .returning(registrations::all_columns)
            .get_result::<Registration>(c))?;
        (reg, outcome_for(status))
    };

    let send = !matches!(outcome, Outcome::AlreadyRegistered { resent: false });
    if send {
        let n = reg.confirmations_sent + 1;
        let msg = confirmation(policy, session, series, &reg, &owner, n);
        confirm(conn, &msg, policy, now)?;
        diesel::update(registrations::table.find(reg.id))
            .set((
                registrations::confirmations_sent.eq(n),
                registrations::last_confirmation_at.eq(Some(now)),
            ))
            .execute(conn)?;
    }
    Ok(Registered {
        id: reg.id,
        token: None,
        status: reg.status,
        outcome,
    })
}

/// What `join` found: the registration it wrote (with its manage link's
/// token), or the one the person already had for the session.
enum Joined {
    New(Registration, String),
    Existing(Registration),
}

/// Writes the person's registration for the session, holding a free place
/// within the capacity or else waitlisted, with its first confirmation
/// already counted; or, when they already have one, reads that instead.
/// `listed_full`: whether the session's read found it listed full; when
/// not, a registration that finds every place held lists it.
fn join(
    conn: &mut DbConnection,
    session: &Session,
    listed_full: bool,
    person_id: i64,
    r: &Registrant,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<Joined> {
    let (session_id, capacity) = (session.id, session.capacity);
    // Waitlisted while no place was free: full until a place frees.
    let full = |conn: &mut DbConnection, reg: &Registration| {
        if reg.status == WAITLISTED && !listed_full {
            places::mark_full(conn, session_id)?;
        }
        QueryResult::Ok(())
    };
    let link = policy.links.issue();
    // Nothing is written when the place is held or the person already
    // registered (any unique key): `existing` tells which.
    let insert = |conn: &mut DbConnection,
                  status: &'static str,
                  place: Option<i32>|
     -> QueryResult<Option<Joined>> {
        let (waitlisted_at, registered_at) = joined_at(status, now);
        let row = (
            registrations::session_id.eq(session_id),
            registrations::person_id.eq(person_id),
            registrations::token_hash.eq(&link.hash),
            registrations::token_sealed.eq(&link.sealed),
            registrations::status.eq(status),
            registrations::subscribe.eq(r.subscribe),
            registrations::confirmations_sent.eq(1),
            registrations::last_confirmation_at.eq(Some(now)),
            registrations::waitlisted_at.eq(waitlisted_at),
            registrations::registered_at.eq(registered_at),
            registrations::created_at.eq(now),
            registrations::updated_at.eq(now),
            registrations::place.eq(place),
        );
        let written = crate::on_backend!(conn, c => diesel::insert_into(registrations::table)
            .values(row)
            .on_conflict_do_nothing()
            .returning(registrations::all_columns)
            .get_result::<Registration>(c)
            .optional())?;
        Ok(match written {
            Some(reg) => Some(Joined::New(reg, link.token.clone())),
            None => existing(conn, session_id, person_id)?.map(Joined::Existing),
        })
    };
    // The common case, one statement: the first free place from a random
    // one on if any is free, else the waitlist.
    let place = places::any_within(capacity);
    let first = places::Join {
        session_id,
        person_id,
        token_hash: &link.hash,
        token_sealed: &link.sealed,
        subscribe: r.subscribe,
        capacity,
        place,
        now,
    };
    let written = crate::on_backend!(conn, c => first.get_result::<Registration>(c).optional())?;
    if let Some(reg) = written {
        full(conn, &reg)?;
        return Ok(Joined::New(reg, link.token.clone()));
    }
    // The place was just taken, or the person is registered already (each
    // insert below then finds their registration).
    if let Some(joined) = places::claim(conn, session_id, capacity, Some(place), |conn, place| {
        insert(conn, REGISTERED, Some(place))
    })? {
        return Ok(joined);
    }
    // Only the (session, person) key can refuse a row without a place.
    let joined = insert(conn, WAITLISTED, None)?.ok_or(diesel::result::Error::NotFound)?;
    if let Joined::New(reg, _) = &joined {
        full(conn, reg)?;
    }
    Ok(joined)
}

/// The registration `person_id` has for the session, if any.
fn existing(
    conn: &mut DbConnection,
    session_id: i64,
    person_id: i64,
) -> QueryResult<Option<Registration>> {
    registrations::table
        .filter(registrations::session_id.eq(session_id))
        .filter(registrations::person_id.eq(person_id))
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

/// The `n`th confirmation of `reg`'s status, to its person.
fn confirmation(
    policy: &Policy,
    session: &Session,
    series: &Series,
    reg: &Registration,
    owner: &Person,
    n: i32,
) -> outbox::NewMessage {
    let letter = letter(
        policy,
        session,
        series,
        reg,
        &owner.first_name,
        &owner.last_name,
        &owner.email,
    );
    if reg.status == REGISTERED {
        letter.confirmed(n)
    } else {
        letter.waitlisted(n)
    }
}

/// Queues a confirmation: capped per recipient when a public form asked.
fn confirm(
    conn: &mut DbConnection,
    msg: &outbox::NewMessage,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    match policy.mail_cap {
        Some(cap) => outbox::enqueue_public(conn, msg, cap, now),
        None => outbox::enqueue(conn, msg, now),
    }
}

fn outcome_for(status: &str) -> Outcome {
    if status == REGISTERED {
        Outcome::Registered
    } else {
        Outcome::Waitlisted
    }
}

/// The letter about `reg`, addressed to its person.
pub(crate) fn letter<'a>(
    policy: &'a Policy,
    session: &'a Session,
    series: &'a Series,
    reg: &'a Registration,
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
) -> Letter<'a> {
    Letter {
        public_url: &policy.public_url,
        session,
        series,
        registration_id: reg.id,
        token: reg.link_placeholder(),
        first_name,
        last_name,
        email,
        calendar_sequence: reg.calendar_sequence,
    }
}

/// A registration with everything its manage page shows.
pub struct Found {
    pub registration: Registration,
    pub person: Person,
    pub session: Session,
    pub series: Series,
}

/// The registration behind a manage link's token.
pub fn find_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Found>> {
    find_by_hash(conn, &links::hash(token))
}

/// The registration whose stored token hash is `hash`.
fn find_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Found>> {
    let Some((registration, person)) = registrations::table
        .inner_join(people::table)
        .filter(registrations::token_hash.eq(hash))
        .select((Registration::as_select(), Person::as_select()))
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let Some((session, series)) = find_session(conn, registration.session_id)? else {
        return Ok(None);
    };
    Ok(Some(Found {
        registration,
        person,
        session,
        series,
    }))
}

/// A waitlisted registration's place in line (1 = next), first come first
/// served; `None` when not waitlisted.
pub fn waitlist_position(conn: &mut DbConnection, reg: &Registration) -> QueryResult<Option<i64>> {
    if reg.status != WAITLISTED {
        return Ok(None);
    }
    let ahead: i64 = registrations::table
        .filter(registrations::session_id.eq(reg.session_id))
        .filter(registrations::status.eq(WAITLISTED))
        .filter(
            registrations::waitlisted_at
                .lt(reg.waitlisted_at)
                .or(registrations::waitlisted_at
                    .eq(reg.waitlisted_at)
                    .and(registrations::id.lt(reg.id))),
        )
        .count()
        .get_result(conn)?;
    Ok(Some(ahead + 1))
}
