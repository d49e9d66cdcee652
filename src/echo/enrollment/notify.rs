//! When a cohort's session moves or is cancelled, its approved participants
//! hear of it (their calendars hold it from the cohort's file), and a
//! case scheduled into a cancelled session goes back to the review queue.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::calendar::ics::Method;
use crate::config::PublicUrl;
use crate::db::schema::{applications, cases};
use crate::db::DbConnection;
use crate::echo::cases::{ACCEPTED, SUBMITTED};
use crate::echo::cohorts;
use crate::echo::participants::{self as apps, APPROVED};
use crate::mail::outbox::{self, CalendarPart, NewMessage};
use crate::series::model::{Series, Session};

/// Tells every approved participant of the session's cohort what changed
/// (the updated event, or its cancellation, for their calendar); returns
/// how many messages were queued. Not a cohort's session: nothing.
pub fn session_changed(
    conn: &mut DbConnection,
    public_url: &PublicUrl,
    before: &Session,
    after: &Session,
    program: &Series,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let Some((echo, cohort)) = cohorts::echo_session(conn, after.id)? else {
        return Ok(0);
    };
    let scheduled: Vec<(i64, String)> = cases::table
        .filter(cases::session_id.eq(after.id))
        .filter(cases::status.eq(ACCEPTED))
        .select((cases::application_id, cases::title))
        .load(conn)?;
    if after.is_cancelled() {
        // Its cases need another session: back to the facilitators.
        diesel::update(
            cases::table
                .filter(cases::session_id.eq(after.id))
                .filter(cases::status.eq(ACCEPTED)),
        )
        .set((
            cases::status.eq(SUBMITTED),
            cases::session_id.eq(None::<i64>),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    }
    let ids: Vec<i64> = applications::table
        .filter(applications::cohort_id.eq(cohort.id))
        .filter(applications::status.eq(APPROVED))
        .select(applications::id)
        .load(conn)?;
    let mut queued = 0;
    for id in ids {
        let Some(who) = apps::find(conn, id)? else {
            continue;
        };
        let token = who.application.link_placeholder();
        let case = scheduled
            .iter()
            .find(|(app, _)| *app == id)
            .map(|(_, title)| title.clone());
        let event = after.calendar_event(
            program,
            apps::session_description(after, &echo, public_url, &token),
            None,
            0,
        );
        let msg = NewMessage {
            key: format!("echo-session:{}:{}:{id}", after.id, after.sequence),
            template: "echo_session_changed",
            recipient: who.email.clone(),
            context: json!({
                "first_name": who.first_name,
                "cohort": cohort.name,
                "title": after.title,
                "when": after.when(),
                "other_zones": after.other_zones(),
                "before": before.when(),
                "before_other_zones": before.other_zones(),
                "moved": before.starts_at != after.starts_at || before.ends_at != after.ends_at,
                "cancelled": after.is_cancelled(),
                "reason": after.cancel_reason.clone().unwrap_or_default(),
                "case": case,
                "join_url": after.join_url,
                "page_url": apps::page_url(public_url, &token),
                "cohort_url": public_url.join(&format!("/echo/{}", cohort.slug)),
            }),
            calendar: Some(CalendarPart {
                method: if after.is_cancelled() {
                    Method::Cancel
                } else {
                    Method::Publish
                },
                events: vec![event],
            }),
        };
        if outbox::enqueue(conn, &msg, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}
