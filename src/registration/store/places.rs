//! A session's numbered places: each registered registration holds one,
//! unique per session (`registrations_session_place`), so registrations
//! running at once claim different places instead of queueing on the
//! session row (the argument is in the parent module's header). A new
//! registration takes, in the statement that writes it, the first free
//! place from a random one on (`Join`: if any within the capacity is
//! free, else the waitlist); `claim` searches when that place was taken
//! meanwhile.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Integer, Text, Timestamp};
use rand::Rng;

use crate::db::schema::{full_sessions, registrations};
use crate::db::DbConnection;

/// The numbers of `from..=to` missing from `taken` (ascending), in order.
fn gaps(taken: &[i32], from: i32, to: i32) -> impl Iterator<Item = i32> + '_ {
    let start = taken.partition_point(|&t| t < from);
    let mut held = taken[start..].iter().copied().peekable();
    (from..=to).filter(move |&n| {
        while held.next_if(|&t| t < n).is_some() {}
        held.next_if_eq(&n).is_none()
    })
}

/// How many places within `1..=capacity` are held: an index-only count,
/// where loading them would cost a row each.
fn held(conn: &mut DbConnection, session_id: i64, capacity: i32) -> QueryResult<i64> {
    registrations::table
        .filter(registrations::session_id.eq(session_id))
        .filter(registrations::place.le(capacity))
        .count()
        .get_result(conn)
}

/// Free places in `from..=to`, ascending, at most `limit`, as this
/// snapshot sees them: the places held from `from` on are read in order,
/// a window at a time, until enough are missing (the index walks only the
/// held places before the last one found).
fn free_in(
    conn: &mut DbConnection,
    session_id: i64,
    from: i32,
    to: i32,
    limit: usize,
) -> QueryResult<Vec<i32>> {
    const WINDOW: usize = 64;
    let mut found = Vec::new();
    let mut next = from;
    while next <= to && found.len() < limit {
        let held: Vec<i32> = registrations::table
            .filter(registrations::session_id.eq(session_id))
            .filter(registrations::place.ge(next))
            .filter(registrations::place.le(to))
            .order(registrations::place.asc())
            .select(registrations::place)
            .limit(WINDOW as i64)
            .load::<Option<i32>>(conn)?
            .into_iter()
            .flatten()
            .collect();
        // A full window may stop short of `to`: look past it next time.
        let end = match held.last() {
            Some(&last) if held.len() == WINDOW => last,
            _ => to,
        };
        found.extend(gaps(&held, next, end).take(limit - found.len()));
        next = end.saturating_add(1);
    }
    Ok(found)
}

/// Free places in `1..=capacity`, ascending, at most `limit`.
pub(super) fn free(
    conn: &mut DbConnection,
    session_id: i64,
    capacity: i32,
    limit: usize,
) -> QueryResult<Vec<i32>> {
    free_in(conn, session_id, 1, capacity, limit)
}

/// The first free place in `from..=to`.
fn first_free(
    conn: &mut DbConnection,
    session_id: i64,
    from: i32,
    to: i32,
) -> QueryResult<Option<i32>> {
    Ok(free_in(conn, session_id, from, to, 1)?.first().copied())
}

/// Claims a free place within the capacity with `take`, which answers
/// `None` when the place turned out to be held by another registration
/// (committed after this statement's snapshot: PostgreSQL makes the claim
/// wait for the other transaction, and if it rolls back the claim
/// succeeds). Tries again until a claim holds or no place is free (`None`).
///
/// Most places are free most of the time, so a place picked at random is
/// tried first, without looking; then the first free one after it
/// (wrapping). Registrations running at once thus seldom try the same one.
/// `tried`: a place already tried and found held (`Join`'s), searched on
/// from instead of a first random one.
pub(super) fn claim<T>(
    conn: &mut DbConnection,
    session_id: i64,
    capacity: i32,
    mut tried: Option<i32>,
    mut take: impl FnMut(&mut DbConnection, i32) -> QueryResult<Option<T>>,
) -> QueryResult<Option<T>> {
    while held(conn, session_id, capacity)? < i64::from(capacity) {
        let start = match tried.take() {
            Some(place) => place,
            None => {
                let place = any_within(capacity);
                if let Some(done) = take(conn, place)? {
                    return Ok(Some(done));
                }
                place
            }
        };
        let next = match first_free(conn, session_id, start + 1, capacity)? {
            Some(place) => Some(place),
            None => first_free(conn, session_id, 1, start - 1)?,
        };
        if let Some(place) = next {
            if let Some(done) = take(conn, place)? {
                return Ok(Some(done));
            }
        }
    }
    Ok(None)
}

/// Sets a registration's place in a savepoint, `None` if another
/// registration holds it (the unique index refused), leaving the
/// surrounding transaction usable.
pub(super) fn set(
    conn: &mut DbConnection,
    registration_id: i64,
    place: i32,
) -> QueryResult<Option<()>> {
    let done = conn.transaction(|conn| {
        diesel::update(registrations::table.find(registration_id))
            .set(registrations::place.eq(Some(place)))
            .execute(conn)
    });
    match done {
        Ok(_) => Ok(Some(())),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Under the session's exclusive lock (`lock_session`): moves registrations
/// holding places past the capacity (after it was lowered, or an
/// organizer's override) into free places within it, highest first, so
/// that a place past the capacity is held only while every place within
/// it is. Registrations then find room exactly when fewer than the
/// capacity are registered. Takes the session off `full_sessions` too.
pub(crate) fn refit(conn: &mut DbConnection, session_id: i64, capacity: i32) -> QueryResult<()> {
    // Whatever freed or added places calls this first: the session may
    // have room now.
    reopen(conn, session_id)?;
    let over: Vec<i64> = registrations::table
        .filter(registrations::session_id.eq(session_id))
        .filter(registrations::place.gt(capacity))
        .order(registrations::place.desc())
        .select(registrations::id)
        .load(conn)?;
    if over.is_empty() {
        return Ok(());
    }
    let free = free(conn, session_id, capacity, over.len())?;
    for (id, place) in over.into_iter().zip(free) {
        diesel::update(registrations::table.find(id))
            .set(registrations::place.eq(Some(place)))
            .execute(conn)?;
    }
    Ok(())
}

/// Under the session's exclusive lock: the lowest free place within the
/// capacity, else the next one past every place held (an organizer's
/// override into a full session).
pub(super) fn any_place(
    conn: &mut DbConnection,
    session_id: i64,
    capacity: i32,
) -> QueryResult<i32> {
    if let Some(place) = free(conn, session_id, capacity, 1)?.first() {
        return Ok(*place);
    }
    let highest: Option<i32> = registrations::table
        .filter(registrations::session_id.eq(session_id))
        .select(diesel::dsl::max(registrations::place))
        .first(conn)?;
    Ok(highest.unwrap_or(0).max(capacity) + 1)
}

/// A random place within `1..=capacity`, to try first.
pub(super) fn any_within(capacity: i32) -> i32 {
    rand::rng().random_range(1..=capacity.max(1))
}

/// How many places `Join` looks at from its random one for a free one: as
/// a session fills, the place picked at random is more and more often
/// held (at 60 % full, six tries in ten), and each miss used to cost the
/// search in `claim`, three statements more.
const WALK: i32 = 64;

/// Lists the session as full (`full_sessions`): a registration found every
/// place within the capacity held, so they stay held while it runs (see
/// the parent module) and once it commits the session is full until a
/// write under its exclusive lock frees a place ([`reopen`]). Registrations
/// then join the waitlist without counting the places.
pub(super) fn mark_full(conn: &mut DbConnection, session_id: i64) -> QueryResult<()> {
    crate::on_backend!(conn, c => diesel::insert_into(full_sessions::table)
        .values(full_sessions::session_id.eq(session_id))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Takes the session off `full_sessions`: under its exclusive lock, by
/// whatever frees a place or raises the capacity. The next registration
/// that finds every place held lists it again.
pub(super) fn reopen(conn: &mut DbConnection, session_id: i64) -> QueryResult<()> {
    diesel::delete(full_sessions::table.find(session_id)).execute(conn)?;
    Ok(())
}

/// A new registration in one statement, as the common case needs: holding
/// the first free place from `place` on (within `WALK` and the capacity),
/// else waitlisted when the session is listed full or every place within
/// the capacity is held. Each step is evaluated only when the one before
/// decided nothing: a full session costs one probe of `full_sessions`, a
/// free place a probe or a few, and only a crowded stretch of places costs
/// the count. Nothing is written, and no row comes back, when the walk
/// found no free place but the count says one is free elsewhere (`place`
/// itself is written, and is held), or when the person already has a
/// registration for the session (any unique key: `ON CONFLICT DO
/// NOTHING`); `claim` then takes over.
///
/// One fixed SQL text, so prepared once per connection. The choice is a
/// materialized CTE so that it is made once (as a subquery in `FROM` its
/// expression would be copied, subqueries and all, into each column that
/// uses it); `WHERE true` lets SQLite read `ON CONFLICT` after a `SELECT`.
/// Each probe is a scalar subquery, not EXISTS: PostgreSQL would plan
/// EXISTS as a join over all the session's registrations; this stays one
/// index probe.
pub(super) struct Join<'a> {
    pub session_id: i64,
    pub person_id: i64,
    pub token_hash: &'a str,
    pub token_sealed: &'a str,
    pub subscribe: bool,
    pub capacity: i32,
    pub place: i32,
    pub now: NaiveDateTime,
}

impl<DB> QueryFragment<DB> for Join<'_>
where
    DB: Backend
        + HasSqlType<BigInt>
        + HasSqlType<Text>
        + HasSqlType<Bool>
        + HasSqlType<Integer>
        + HasSqlType<Timestamp>,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
    bool: ToSql<Bool, DB>,
    i32: ToSql<Integer, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    <registrations::table as Table>::AllColumns: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Whether place `p` (an SQL expression) is held.
        fn held<'b, DB>(
            out: &mut AstPass<'_, 'b, DB>,
            join: &'b Join<'_>,
            p: &str,
        ) -> QueryResult<()>
        where
            DB: Backend + HasSqlType<BigInt>,
            i64: ToSql<BigInt, DB>,
        {
            out.push_sql("(SELECT h.place FROM registrations h WHERE h.session_id = ");
            out.push_bind_param::<BigInt, _>(&join.session_id)?;
            out.push_sql(&format!(" AND h.place = {p}) IS NOT NULL"));
            Ok(())
        }
        out.push_sql("WITH pick AS MATERIALIZED (SELECT CASE WHEN (SELECT f.session_id FROM full_sessions f WHERE f.session_id = ");
        out.push_bind_param::<BigInt, _>(&self.session_id)?;
        // Listed full: the waitlist. Else the first free place from
        // `place` on, looking at most `WALK` places and not past the
        // capacity. The walk starts from the place before, as if held.
        out.push_sql(
            ") IS NOT NULL THEN NULL ELSE COALESCE((WITH RECURSIVE walk(p, held) AS (SELECT CAST(",
        );
        out.push_bind_param::<Integer, _>(&self.place)?;
        out.push_sql(" AS INTEGER) - 1, true UNION ALL SELECT p + 1, ");
        held(&mut out, self, "walk.p + 1")?;
        out.push_sql(" FROM walk WHERE held AND p < ");
        out.push_bind_param::<Integer, _>(&self.capacity)?;
        out.push_sql(" AND p < ");
        out.push_bind_param::<Integer, _>(&self.place)?;
        // None free there: `place` again (held: nothing is written) while
        // the count finds one free elsewhere, else the waitlist.
        out.push_sql(&format!(
            " + {}) SELECT p FROM walk WHERE NOT held), CASE WHEN (SELECT COUNT(*) FROM registrations WHERE session_id = ",
            WALK - 1
        ));
        out.push_bind_param::<BigInt, _>(&self.session_id)?;
        out.push_sql(" AND place <= ");
        out.push_bind_param::<Integer, _>(&self.capacity)?;
        out.push_sql(") < ");
        out.push_bind_param::<Integer, _>(&self.capacity)?;
        out.push_sql(" THEN ");
        out.push_bind_param::<Integer, _>(&self.place)?;
        out.push_sql(
            " END) END AS place) \
             INSERT INTO registrations (session_id, person_id, token_hash, token_sealed, status, \
             subscribe, confirmations_sent, last_confirmation_at, waitlisted_at, registered_at, \
             created_at, updated_at, place) SELECT ",
        );
        out.push_bind_param::<BigInt, _>(&self.session_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.person_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.token_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.token_sealed)?;
        out.push_sql(", CASE WHEN pick.place IS NULL THEN 'waitlisted' ELSE 'registered' END, ");
        out.push_bind_param::<Bool, _>(&self.subscribe)?;
        out.push_sql(", 1, ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", CASE WHEN pick.place IS NULL THEN ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(" END, CASE WHEN pick.place IS NOT NULL THEN ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(" END, ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", pick.place FROM pick WHERE true ON CONFLICT DO NOTHING RETURNING ");
        registrations::all_columns.walk_ast(out.reborrow())
    }
}

/// One statement, whatever the values: prepared once and kept.
impl QueryId for Join<'_> {
    type QueryId = Join<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for Join<'_> {
    type SqlType = <<registrations::table as Table>::AllColumns as Expression>::SqlType;
}

impl<C> RunQueryDsl<C> for Join<'_> {}

#[cfg(test)]
mod tests {
    use super::{gaps, Join};
    use crate::db::schema::{full_sessions, registrations};
    use crate::registration::store::Registration;
    use diesel::prelude::*;

    #[test]
    fn a_join_takes_its_place_while_one_is_free_then_waitlists_and_never_writes_twice() {
        use crate::db::plans::{migrated, plan};
        let mut conn = migrated();
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        // Each post issues a link of its own (`token_hash` is unique too).
        let join = |person_id: i64, place: i32, token_hash: &'static str| Join {
            session_id: 7,
            person_id,
            token_hash,
            token_sealed: "s",
            subscribe: false,
            capacity: 2,
            place,
            now,
        };
        // Only the registrations table is under test: no series, session
        // or people rows behind it.
        diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA foreign_keys = OFF")
            .unwrap();
        let (sql, steps) = plan(&mut conn, &join(1, 1, "h"), "1");
        assert!(
            steps
                .iter()
                .any(|s| s.contains("registrations_session_place")),
            "{sql}: {steps:?}"
        );
        let mut run = |person_id: i64, place: i32, hash| {
            join(person_id, place, hash)
                .get_result::<Registration>(&mut conn)
                .optional()
                .unwrap()
                .map(|r| {
                    (
                        r.status,
                        r.place,
                        r.registered_at.is_some(),
                        r.waitlisted_at.is_some(),
                    )
                })
        };
        let placed = |place| Some(("registered".to_string(), Some(place), true, false));
        let waitlisted = Some(("waitlisted".to_string(), None, false, true));
        assert_eq!(run(1, 2, "a"), placed(2));
        assert_eq!(
            run(1, 1, "b"),
            None,
            "a person registered already writes nothing, even with a place free"
        );
        assert_eq!(run(2, 2, "c"), None, "a held place writes nothing");
        assert_eq!(run(2, 1, "d"), placed(1));
        assert_eq!(run(3, 1, "e"), waitlisted, "both places held: the waitlist");
        assert_eq!(run(3, 2, "f"), None, "waitlisted already");
        let rows: i64 = registrations::table.count().get_result(&mut conn).unwrap();
        assert_eq!(rows, 3);
        // A held place walks on to the next free one, within the capacity.
        let wide = |person_id: i64, place: i32, token_hash: &'static str| Join {
            session_id: 8,
            capacity: 4,
            ..join(person_id, place, token_hash)
        };
        let mut run = |j: Join| j.get_result::<Registration>(&mut conn).unwrap().place;
        assert_eq!(run(wide(1, 2, "g")), Some(2));
        assert_eq!(run(wide(2, 3, "h")), Some(3));
        assert_eq!(run(wide(3, 2, "i")), Some(4), "2 and 3 held: 4");
        assert_eq!(run(wide(4, 1, "j")), Some(1));
        assert_eq!(
            wide(5, 1, "k")
                .get_result::<Registration>(&mut conn)
                .unwrap()
                .status,
            "waitlisted"
        );
        // Listed full, a session waitlists without looking at its places;
        // taken off the list, it places again.
        let roomy = |person_id: i64, token_hash: &'static str| Join {
            session_id: 9,
            capacity: 4,
            ..join(person_id, 1, token_hash)
        };
        let listed = diesel::insert_into(full_sessions::table)
            .values(full_sessions::session_id.eq(9))
            .execute(&mut conn);
        assert_eq!(listed, Ok(1));
        let run = |conn: &mut diesel::SqliteConnection, j: Join| {
            let r = j.get_result::<Registration>(conn).unwrap();
            (r.status, r.place)
        };
        assert_eq!(
            run(&mut conn, roomy(1, "l")),
            ("waitlisted".to_string(), None)
        );
        diesel::delete(full_sessions::table)
            .execute(&mut conn)
            .unwrap();
        assert_eq!(
            run(&mut conn, roomy(2, "m")),
            ("registered".to_string(), Some(1))
        );
    }

    #[test]
    fn gaps_are_the_numbers_not_held() {
        let taken = [1, 2, 4, 7];
        assert_eq!(gaps(&taken, 1, 8).collect::<Vec<_>>(), vec![3, 5, 6, 8]);
        assert_eq!(gaps(&taken, 4, 6).collect::<Vec<_>>(), vec![5, 6]);
        assert_eq!(gaps(&taken, 1, 2).count(), 0);
        assert_eq!(gaps(&[], 1, 3).collect::<Vec<_>>(), vec![1, 2, 3]);
    }
}
