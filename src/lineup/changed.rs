//! What presenters hear when an organizer changes their session.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::config::PublicUrl;
use crate::db::DbConnection;
use crate::mail::outbox;
use crate::series::model::{Series, Session};

/// Confirmed presenters hold the session in their calendars too: they get
/// the update (or the cancellation). Presenters invited but yet to answer
/// get their invitation again with the new details (or the cancellation).
pub fn tell_presenters(
    conn: &mut DbConnection,
    public_url: &PublicUrl,
    before: &Session,
    after: &Session,
    series: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::lineup::domain::{CONFIRMED, INVITED};
    let mut queued = 0;
    for slot in crate::lineup::store::for_session(conn, after.id)? {
        let letter = crate::lineup::messages::Letter {
            public_url,
            slot: &slot,
            session: after,
            series,
        };
        let msg = match slot.status.as_str() {
            CONFIRMED => letter.session_changed(),
            INVITED if slot.token_expires_at.is_some_and(|at| at > now) => {
                letter.invitation_changed(before)
            }
            _ => continue,
        };
        if outbox::enqueue(conn, &msg, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}
