//! A session's registrations as organizers see them: one page of them
//! (searched, by status), all of them for the export, one with its person,
//! and the organizer's override that moves a waitlisted person in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::lower;
use crate::db::schema::{people, registrations};
use crate::db::{DbConnection, DbError};
use crate::mail::outbox;
use crate::people::containing;
use crate::series::model::{find_session, lock_session};

use super::{letter, Person, Policy, Registration, REGISTERED, WAITLISTED};

/// What an organizer's list of a session's registrations asks for.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Part of a name, e-mail or organization; any case.
    pub search: Option<String>,
    pub status: Option<&'static str>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

type Backend = <DbConnection as Connection>::Backend;
type Joined = diesel::helper_types::InnerJoinQuerySource<registrations::table, people::table>;

/// The filter shared by the page and its total.
fn list_condition(
    session_id: i64,
    f: &ListFilter,
) -> Box<dyn BoxableExpression<Joined, Backend, SqlType = diesel::sql_types::Bool>> {
    let mut cond: Box<dyn BoxableExpression<Joined, Backend, SqlType = diesel::sql_types::Bool>> =
        Box::new(registrations::session_id.eq(session_id));
    if let Some(status) = f.status {
        cond = Box::new(cond.and(registrations::status.eq(status)));
    }
    if let Some(search) = f.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = containing(search);
        let full_name = people::first_name.concat(" ").concat(people::last_name);
        cond = Box::new(
            cond.and(
                lower(full_name)
                    .like(lower(pattern.clone()))
                    .escape('\\')
                    .or(lower(people::email)
                        .like(lower(pattern.clone()))
                        .escape('\\'))
                    .or(lower(people::organization)
                        .like(lower(pattern))
                        .escape('\\')),
            ),
        );
    }
    cond
}

/// One page of a session's registrations, in the order people registered,
/// and how many match in all.
pub fn list(
    conn: &mut DbConnection,
    session_id: i64,
    f: &ListFilter,
) -> QueryResult<(i64, Vec<(Registration, Person)>)> {
    let total: i64 = registrations::table
        .inner_join(people::table)
        .filter(list_condition(session_id, f))
        .count()
        .get_result(conn)?;
    let rows = registrations::table
        .inner_join(people::table)
        .filter(list_condition(session_id, f))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .limit(f.per_page)
        .offset((f.page - 1).max(0) * f.per_page)
        .select((Registration::as_select(), Person::as_select()))
        .load(conn)?;
    Ok((total, rows))
}

/// Every registration for a session with its person, in the order people
/// registered (for the export).
pub fn all_for_session(
    conn: &mut DbConnection,
    session_id: i64,
) -> QueryResult<Vec<(Registration, Person)>> {
    registrations::table
        .inner_join(people::table)
        .filter(registrations::session_id.eq(session_id))
        .order((registrations::created_at.asc(), registrations::id.asc()))
        .select((Registration::as_select(), Person::as_select()))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Registration>> {
    registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

pub fn find_with_person(
    conn: &mut DbConnection,
    id: i64,
) -> QueryResult<Option<(Registration, Person)>> {
    registrations::table
        .inner_join(people::table)
        .filter(registrations::id.eq(id))
        .select((Registration::as_select(), Person::as_select()))
        .first(conn)
        .optional()
}

#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    #[error("no such registration")]
    NotFound,
    #[error("this registration is not on the waitlist")]
    NotWaitlisted,
    #[error("the session is cancelled or over")]
    Closed,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for PromoteError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// An organizer's override: moves one waitlisted person in even when the
/// session is full, and sends them the invitation.
pub fn promote(
    conn: &mut DbConnection,
    registration_id: i64,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Registration, PromoteError> {
    let session_id = find(conn, registration_id)?
        .ok_or(PromoteError::NotFound)?
        .session_id;
    conn.transaction(|conn| {
        lock_session(conn, session_id)?;
        let (reg, person) =
            find_with_person(conn, registration_id)?.ok_or(PromoteError::NotFound)?;
        if reg.status != WAITLISTED {
            return Err(PromoteError::NotWaitlisted);
        }
        let (session, series) = find_session(conn, session_id)?.ok_or(PromoteError::NotFound)?;
        if session.is_cancelled() || session.ends_at <= now {
            return Err(PromoteError::Closed);
        }
        // Over capacity when the session is full (see `places`).
        let place = super::places::any_place(conn, session_id, session.capacity)?;
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
            &session,
            &series,
            &reg,
            &person.first_name,
            &person.last_name,
            &person.email,
        )
        .promoted();
        outbox::enqueue(conn, &msg, now)?;
        find(conn, reg.id)?.ok_or(PromoteError::NotFound)
    })
}
