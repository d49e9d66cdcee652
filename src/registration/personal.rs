//! Registrations as personal data: listed in an export with their answers
//! to the series' questions; on erasure kept (so a session's counts stay
//! right) behind new manage links, their text answers deleted (the choices
//! stay, counted).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{registrations, series, sessions};
use crate::db::DbConnection;
use crate::people::{iso, subjects, PersonalData, Subject};
use crate::registration::store::Registration;
use crate::series::model::Session;

pub struct Registrations;

/// Old manage links lead nowhere: each registration gets a fresh token.
fn kill_links(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<()> {
    for id in ids {
        diesel::update(registrations::table.find(id))
            .set((
                registrations::token_hash.eq(crate::web::links::dead_hash()),
                registrations::token_sealed.eq(None::<String>),
                registrations::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn theirs(conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<i64>> {
    let Some(person) = who.person_id() else {
        return Ok(Vec::new());
    };
    registrations::table
        .filter(registrations::person_id.eq(person))
        .select(registrations::id)
        .load(conn)
}

impl PersonalData for Registrations {
    fn tables(&self) -> &'static [&'static str] {
        &["registrations", "registration_answers"]
    }

    fn key(&self) -> &'static str {
        "registrations"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        Ok(subjects("registration", theirs(conn, who)?))
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        let rows: Vec<(Registration, Session, String)> = registrations::table
            .inner_join(sessions::table.inner_join(series::table))
            .filter(registrations::person_id.eq(person))
            .order(registrations::id)
            .select((
                Registration::as_select(),
                Session::as_select(),
                series::title,
            ))
            .load(conn)?;
        let ids: Vec<i64> = rows.iter().map(|(r, ..)| r.id).collect();
        let sheet = crate::series::questions::store::sheet_of(conn, &ids)?;
        Ok(rows
            .iter()
            .map(|(r, s, series_title)| {
                json!({
                    "id": r.id,
                    "session_id": s.id,
                    "session_title": s.title,
                    "series_title": series_title,
                    "starts_at": s.starts_at_utc().to_rfc3339(),
                    "when": s.when(),
                    "status": r.status,
                    "subscribe": r.subscribe,
                    "created_at": iso(r.created_at),
                    "registered_at": r.registered_at.map(iso),
                    "waitlisted_at": r.waitlisted_at.map(iso),
                    "cancelled_at": r.cancelled_at.map(iso),
                    "answers": crate::registration::answers::exported(&sheet, r.id),
                })
            })
            .collect())
    }

    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let ids = theirs(conn, who)?;
        kill_links(conn, &ids, now)?;
        let answers = crate::series::questions::store::erase_text(conn, &ids)?;
        Ok(ids.len() + answers)
    }
}
