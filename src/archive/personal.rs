//! Materials that name the person as presenter: listed in an export; on
//! erasure the presenter's name removed (the material stays: it is the
//! session's, not the person's).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{materials, sessions};
use crate::db::DbConnection;
use crate::people::{scrub_text, PersonalData, Subject};

pub struct Materials;

/// The ids of materials whose presenter is one of the person's names.
fn presented_by(conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<i64>> {
    let named: Vec<(i64, String)> = materials::table
        .filter(materials::presenter.ne(""))
        .select((materials::id, materials::presenter))
        .load(conn)?;
    Ok(named
        .into_iter()
        .filter(|(_, presenter)| who.is_named(presenter))
        .map(|(id, _)| id)
        .collect())
}

impl PersonalData for Materials {
    fn tables(&self) -> &'static [&'static str] {
        &["materials"]
    }

    fn key(&self) -> &'static str {
        "materials"
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let ids = presented_by(conn, who)?;
        let rows: Vec<(i64, i64, String, String, String, bool)> = materials::table
            .inner_join(sessions::table)
            .filter(materials::id.eq_any(&ids))
            .order(materials::id)
            .select((
                materials::id,
                materials::session_id,
                sessions::title,
                materials::kind,
                materials::title,
                materials::published,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(id, session, session_title, kind, title, published)| {
                json!({
                    "id": id,
                    "session_id": session,
                    "session_title": session_title,
                    "kind": kind,
                    "title": title,
                    "published": published,
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
        scrub_text(conn, "materials", &["title"], who)?;
        let ids = presented_by(conn, who)?;
        diesel::update(materials::table.filter(materials::id.eq_any(&ids)))
            .set((materials::presenter.eq(""), materials::updated_at.eq(now)))
            .execute(conn)
    }
}
