//! Lineup slots at the person's address: listed in an export; on erasure
//! their name, address and bio replaced and the answer link killed. The
//! slot stays in its session's lineup.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{lineup_slots, sessions};
use crate::db::DbConnection;
use crate::people::{iso, scrub_text, subjects, PersonalData, Subject, ERASED_NAME};

pub struct LineupSlots;

/// The invitation's answer links lead nowhere.
fn kill_links(conn: &mut DbConnection, email: &str) -> QueryResult<usize> {
    diesel::update(lineup_slots::table.filter(lineup_slots::email.eq(email)))
        .set((
            lineup_slots::response_token_hash.eq(None::<String>),
            lineup_slots::response_token_sealed.eq(None::<String>),
            lineup_slots::token_expires_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

impl PersonalData for LineupSlots {
    fn tables(&self) -> &'static [&'static str] {
        &["lineup_slots"]
    }

    fn key(&self) -> &'static str {
        "lineup_slots"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        let ids = lineup_slots::table
            .filter(lineup_slots::email.eq(&who.email))
            .select(lineup_slots::id)
            .load(conn)?;
        Ok(subjects("lineup_slot", ids))
    }

    fn names(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        lineup_slots::table
            .filter(lineup_slots::email.eq(&who.email))
            .select(lineup_slots::name)
            .load(conn)
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            NaiveDateTime,
        );
        let rows: Vec<Row> = lineup_slots::table
            .inner_join(sessions::table)
            .filter(lineup_slots::email.eq(&who.email))
            .order(lineup_slots::id)
            .select((
                lineup_slots::id,
                lineup_slots::session_id,
                sessions::title,
                lineup_slots::name,
                lineup_slots::role,
                lineup_slots::talk_title,
                lineup_slots::talk_abstract,
                lineup_slots::bio,
                lineup_slots::status,
                lineup_slots::created_at,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, session, title, name, role, talk, abstract_, bio, status, created)| {
                    json!({
                        "id": id,
                        "session_id": session,
                        "session_title": title,
                        "name": name,
                        "role": role,
                        "talk_title": talk,
                        "abstract": abstract_,
                        "bio": bio,
                        "status": status,
                        "created_at": iso(created),
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
        kill_links(conn, &who.email)?;
        // The talk stays on the programme, without the name in it.
        scrub_text(conn, "lineup_slots", &["talk_title", "abstract"], who)?;
        diesel::update(lineup_slots::table.filter(lineup_slots::email.eq(&who.email)))
            .set((
                lineup_slots::name.eq(ERASED_NAME),
                lineup_slots::email.eq(&who.placeholder),
                lineup_slots::bio.eq(""),
                lineup_slots::updated_at.eq(now),
            ))
            .execute(conn)
    }
}
