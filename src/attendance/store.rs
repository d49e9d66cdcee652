//! Writing an imported report: each attendee matched to a person by
//! normalized e-mail (created if new) and to their registration for the
//! session, if any; people who came without registering here are counted
//! and flagged. One transaction: a report is imported whole or not at all.
//! The same file again changes nothing; a different report for the session
//! replaces the earlier import's rows (rows marked by hand stay).

use std::collections::HashSet;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::attendance::measures::ATTENDEE;
use crate::attendance::parse;
use crate::audit::{self, Actor};
use crate::db::schema::{attendance, attendance_imports, registrations};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::lists::{self, Subscriber};
use crate::mail::address::EmailAddress;
use crate::series::model::{lock_session, Session};

pub(super) fn role_name(role: parse::Role) -> &'static str {
    match role {
        parse::Role::Host => "host",
        parse::Role::Panelist => "panelist",
        parse::Role::Attendee => ATTENDEE,
    }
}

/// A report's wall-clock time, read in the session's zone, as UTC.
pub(super) fn utc(tz: Tz, local: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    local
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.naive_utc())
}

/// "Ada King Lovelace" → ("Ada", "King Lovelace"); runs of whitespace
/// read as one space. A name written that way already (as nearly every
/// name in a report is) is split in place: one allocation, the last name.
pub(super) fn split_name(name: String) -> (String, String) {
    let plain = name
        .split(' ')
        .all(|w| !w.is_empty() && !w.contains(char::is_whitespace));
    let mut name = if plain {
        name
    } else {
        name.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    match name.find(' ') {
        Some(i) => {
            let last = name[i + 1..].to_owned();
            name.truncate(i);
            (name, last)
        }
        None => (name, String::new()),
    }
}

/// The person with `email` (created if new, with `name` filling blanks)
/// and whether they hold a registration for the session.
fn person_for(
    conn: &mut DbConnection,
    session_id: i64,
    email: EmailAddress,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<(i64, bool)> {
    let (first_name, last_name) = split_name(name.to_owned());
    let person_id = lists::upsert_subscriber(
        conn,
        &Subscriber {
            first_name,
            last_name,
            email,
            organization: String::new(),
            sector: "",
            state: "",
            lists: Vec::new(),
        },
        now,
    )?;
    let registered = diesel::select(diesel::dsl::exists(
        registrations::table
            .filter(registrations::session_id.eq(session_id))
            .filter(registrations::person_id.eq(person_id))
            .filter(registrations::status.ne("cancelled")),
    ))
    .get_result(conn)?;
    Ok((person_id, registered))
}

/// Why a report was not imported (422, the line and the problem under
/// `file`).
pub fn refused(message: String) -> ApiError {
    ApiError::Invalid {
        message: format!("The file was not imported: {message}"),
        fields: vec![("file".into(), message)],
    }
}

/// The addresses of the people whose attendance of the session was marked
/// by hand (an import leaves those rows alone).
pub(super) fn marked_by_hand(
    conn: &mut DbConnection,
    session_id: i64,
) -> QueryResult<HashSet<String>> {
    use crate::db::schema::people;
    let emails: Vec<String> = attendance::table
        .inner_join(people::table)
        .filter(attendance::session_id.eq(session_id))
        .filter(attendance::import_id.is_null())
        .select(people::email)
        .load(conn)?;
    Ok(emails.into_iter().collect())
}

/// One person's attendance of a session, as the API lists it.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = AttendanceRow)]
pub struct Row {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub attended: bool,
    /// UTC, without an offset (`2027-01-19T18:00:00`).
    #[schema(value_type = Option<String>)]
    pub first_join: Option<NaiveDateTime>,
    /// UTC, without an offset (`2027-01-19T18:00:00`).
    #[schema(value_type = Option<String>)]
    pub last_leave: Option<NaiveDateTime>,
    pub minutes: i32,
    pub joins: i32,
    pub registered_here: bool,
    pub role: String,
}

/// A session's attendance, by e-mail.
pub fn for_session(conn: &mut DbConnection, session_id: i64) -> QueryResult<Vec<Row>> {
    use crate::db::schema::people;
    attendance::table
        .inner_join(people::table)
        .filter(attendance::session_id.eq(session_id))
        .order(people::email.asc())
        .select((
            people::email,
            people::first_name,
            people::last_name,
            attendance::attended,
            attendance::first_join,
            attendance::last_leave,
            attendance::minutes,
            attendance::joins,
            attendance::registered_here,
            attendance::role,
        ))
        .load(conn)
}

/// Marks (or corrects) one person's attendance by hand, with the reason;
/// the row keeps who did it, and a later import leaves it alone.
#[allow(clippy::too_many_arguments)]
pub fn mark(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &Session,
    email: &EmailAddress,
    attended: bool,
    minutes: Option<i32>,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    if !lock_session(conn, session.id)? {
        return Err(ApiError::NotFound(format!("no session {}", session.id)));
    }
    let (person_id, registered) = person_for(conn, session.id, email.clone(), "", now)?;
    let before: Option<(bool, i32)> = attendance::table
        .filter(attendance::session_id.eq(session.id))
        .filter(attendance::person_id.eq(person_id))
        .select((attendance::attended, attendance::minutes))
        .first(conn)
        .optional()?;
    diesel::delete(
        attendance::table
            .filter(attendance::session_id.eq(session.id))
            .filter(attendance::person_id.eq(person_id)),
    )
    .execute(conn)?;
    let minutes = minutes.unwrap_or(if attended {
        before.map_or(0, |(_, m)| m)
    } else {
        0
    });
    diesel::insert_into(attendance::table)
        .values((
            attendance::session_id.eq(session.id),
            attendance::person_id.eq(person_id),
            attendance::attended.eq(attended),
            attendance::minutes.eq(minutes),
            attendance::joins.eq(i32::from(attended)),
            attendance::registered_here.eq(registered),
            attendance::role.eq(ATTENDEE),
            attendance::adjusted_by.eq(Some(&actor.label)),
            attendance::adjust_reason.eq(Some(reason)),
            attendance::created_at.eq(now),
            attendance::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "attendance.mark",
        &format!("session:{}", session.id),
        before.map(|(a, m)| json!({ "attended": a, "minutes": m })),
        Some(json!({ "attended": attended, "minutes": minutes, "reason": reason })),
        now,
    )?;
    Ok(())
}

/// A session's attendance in numbers, for its organizer page. Staff (host,
/// co-hosts, panelists) are counted apart, not among those who attended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub attended: i64,
    pub registered_here: i64,
    pub walk_ins: i64,
    pub staff: i64,
    pub adjusted: i64,
    /// The latest import: (source, when).
    pub last_import: Option<(String, NaiveDateTime)>,
}

pub fn summary(conn: &mut DbConnection, session_id: i64) -> QueryResult<Summary> {
    let rows: Vec<(bool, bool, Option<String>, String)> = attendance::table
        .filter(attendance::session_id.eq(session_id))
        .select((
            attendance::attended,
            attendance::registered_here,
            attendance::adjusted_by,
            attendance::role,
        ))
        .load(conn)?;
    let last_import = attendance_imports::table
        .filter(attendance_imports::session_id.eq(session_id))
        .order(attendance_imports::id.desc())
        .select((attendance_imports::source, attendance_imports::created_at))
        .first(conn)
        .optional()?;
    let (staff, attended): (Vec<_>, Vec<_>) = rows
        .iter()
        .filter(|r| r.0)
        .partition(|r| crate::attendance::measures::is_staff(&r.3));
    Ok(Summary {
        attended: attended.len() as i64,
        registered_here: attended.iter().filter(|r| r.1).count() as i64,
        walk_ins: attended.iter().filter(|r| !r.1).count() as i64,
        staff: staff.len() as i64,
        adjusted: rows.iter().filter(|r| r.2.is_some()).count() as i64,
        last_import,
    })
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn a_name_splits_at_its_first_space_whitespace_runs_read_as_one() {
        let cases = [
            ("Ada King Lovelace", "Ada", "King Lovelace"),
            ("Ada", "Ada", ""),
            ("", "", ""),
            ("  Ada \t King\nLovelace  ", "Ada", "King Lovelace"),
            ("Ada  Lovelace", "Ada", "Lovelace"),
            ("Zoë\u{a0}Ünal", "Zoë", "Ünal"),
            (" ", "", ""),
        ];
        for (name, first, last) in cases {
            let (f, l) = split_name(name.to_owned());
            assert_eq!((f.as_str(), l.as_str()), (first, last), "{name:?}");
        }
    }
}
