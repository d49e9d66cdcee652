//! A session's numbered places: each registered registration holds one,
//! unique per session (`registrations_session_place`), so registrations
//! running at once claim different places instead of queueing on the
//! session row (the argument is in the parent module's header).

use diesel::prelude::*;
use rand::Rng;

use crate::db::schema::registrations;
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
/// tried first, without looking (nor counting: a claim within the capacity
/// that holds is right whatever else is held); only when it is taken are
/// the held places counted, and then the first free one after it tried
/// (wrapping). Registrations running at once thus seldom try the same one.
pub(super) fn claim<T>(
    conn: &mut DbConnection,
    session_id: i64,
    capacity: i32,
    mut take: impl FnMut(&mut DbConnection, i32) -> QueryResult<Option<T>>,
) -> QueryResult<Option<T>> {
    if capacity < 1 {
        return Ok(None);
    }
    loop {
        let start = rand::rng().random_range(1..=capacity);
        if let Some(done) = take(conn, start)? {
            return Ok(Some(done));
        }
        if held(conn, session_id, capacity)? >= i64::from(capacity) {
            return Ok(None);
        }
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
/// capacity are registered.
pub(crate) fn refit(conn: &mut DbConnection, session_id: i64, capacity: i32) -> QueryResult<()> {
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

#[cfg(test)]
mod tests {
    use super::gaps;

    #[test]
    fn gaps_are_the_numbers_not_held() {
        let taken = [1, 2, 4, 7];
        assert_eq!(gaps(&taken, 1, 8).collect::<Vec<_>>(), vec![3, 5, 6, 8]);
        assert_eq!(gaps(&taken, 4, 6).collect::<Vec<_>>(), vec![5, 6]);
        assert_eq!(gaps(&taken, 1, 2).count(), 0);
        assert_eq!(gaps(&[], 1, 3).collect::<Vec<_>>(), vec![1, 2, 3]);
    }
}
