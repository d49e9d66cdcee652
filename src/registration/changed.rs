//! What registrants hear when an organizer changes their session.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{people, registrations};
use crate::db::DbConnection;
use crate::mail::outbox;
use crate::registration::store::{self, Person, Policy, Registration, REGISTERED, WAITLISTED};
use crate::series::model::{Series, Session};

/// One message per registered or waitlisted person: the update (or the
/// cancellation), with the calendar part only for those holding an
/// invitation. Cancelled registrations hold nothing and hear nothing.
pub fn tell_registrants(
    conn: &mut DbConnection,
    policy: &Policy,
    before: &Session,
    after: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let people: Vec<(Registration, Person)> = registrations::table
        .inner_join(people::table)
        .filter(registrations::session_id.eq(after.id))
        .filter(registrations::status.eq_any([REGISTERED, WAITLISTED]))
        .order(registrations::id.asc())
        .select((Registration::as_select(), Person::as_select()))
        .load(conn)?;
    let mut queued = 0;
    for (reg, person) in &people {
        let letter = store::letter(
            policy,
            after,
            series,
            reg,
            &person.first_name,
            &person.last_name,
            &person.email,
        );
        let invited = reg.status == REGISTERED;
        let msg = match &after.cancel_reason {
            Some(reason) if after.is_cancelled() => letter.session_cancelled(reason, invited),
            _ => letter.updated(before, invited),
        };
        if outbox::enqueue(conn, &msg, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}
