//! Attendance rows: listed in an export; on erasure kept (a session's
//! figures stay right, the person record being anonymous) with any reason
//! an organizer typed for a change by hand removed, as it may name them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{attendance, sessions};
use crate::db::DbConnection;
use crate::people::{iso, scrub_text, PersonalData, Subject};

pub struct Attendance;

impl PersonalData for Attendance {
    fn tables(&self) -> &'static [&'static str] {
        &["attendance", "attendance_imports"]
    }

    fn key(&self) -> &'static str {
        "attendance"
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        type Row = (
            i64,
            String,
            bool,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            i32,
            i32,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = attendance::table
            .inner_join(sessions::table)
            .filter(attendance::person_id.eq(person))
            .order(attendance::id)
            .select((
                attendance::session_id,
                sessions::title,
                attendance::attended,
                attendance::first_join,
                attendance::last_leave,
                attendance::minutes,
                attendance::joins,
                attendance::role,
                attendance::adjust_reason,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(session, title, attended, first, last, minutes, joins, role, reason)| {
                    json!({
                        "session_id": session,
                        "session_title": title,
                        "attended": attended,
                        "first_join": first.map(iso),
                        "last_leave": last.map(iso),
                        "minutes": minutes,
                        "joins": joins,
                        "role": role,
                        "adjust_reason": reason,
                    })
                },
            )
            .collect())
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let Some(person) = who.person_id() else {
            return scrub_text(conn, "attendance_imports", &["imported_by"], who);
        };
        diesel::update(
            attendance::table
                .filter(attendance::person_id.eq(person))
                .filter(attendance::adjust_reason.is_not_null()),
        )
        .set((
            attendance::adjust_reason.eq(Some("erased")),
            attendance::updated_at.eq(now),
        ))
        .execute(conn)?;
        let held = attendance::table
            .filter(attendance::person_id.eq(person))
            .count()
            .get_result::<i64>(conn)? as usize;
        // An organizer who imported a report is named by their sign-in.
        Ok(held + scrub_text(conn, "attendance_imports", &["imported_by"], who)?)
    }
}
