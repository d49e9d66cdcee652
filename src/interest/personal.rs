//! The interest form's data about a person: proposals to present (kept as
//! counted, their text scrubbed on erasure) and working-group interests
//! (kept: once the person record is anonymous they identify no one).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{proposals, working_group_interests};
use crate::db::DbConnection;
use crate::people::{iso, subjects, PersonalData, Subject, ERASED_NAME};

pub struct Proposals;

type ProposalRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

impl PersonalData for Proposals {
    fn tables(&self) -> &'static [&'static str] {
        &["proposals"]
    }

    fn key(&self) -> &'static str {
        "proposals"
    }

    fn records(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<String>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        let ids = proposals::table
            .filter(proposals::person_id.eq(person))
            .select(proposals::id)
            .load(conn)?;
        Ok(subjects("proposal", ids))
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        let rows: Vec<ProposalRow> = proposals::table
            .filter(proposals::person_id.eq(person))
            .order(proposals::id)
            .select((
                proposals::id,
                proposals::topic,
                proposals::abstract_,
                proposals::levers,
                proposals::preferred_months,
                proposals::status,
                proposals::decision_message,
                proposals::session_id,
                proposals::created_at,
                proposals::decided_at,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    topic,
                    abstract_,
                    levers,
                    months,
                    status,
                    message,
                    session,
                    created,
                    decided,
                )| {
                    json!({
                        "id": id,
                        "topic": topic,
                        "abstract": abstract_,
                        "levers": levers,
                        "preferred_months": months,
                        "status": status,
                        "decision_message": message,
                        "session_id": session,
                        "created_at": iso(created),
                        "decided_at": decided.map(iso),
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
            return Ok(0);
        };
        diesel::update(proposals::table.filter(proposals::person_id.eq(person)))
            .set((
                proposals::topic.eq(ERASED_NAME),
                proposals::abstract_.eq(""),
                proposals::decision_message.eq(None::<String>),
                proposals::updated_at.eq(now),
            ))
            .execute(conn)
    }
}

pub struct WorkingGroups;

impl PersonalData for WorkingGroups {
    fn tables(&self) -> &'static [&'static str] {
        &["working_group_interests"]
    }

    fn key(&self) -> &'static str {
        "working_group_interests"
    }

    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>> {
        let Some(person) = who.person_id() else {
            return Ok(Vec::new());
        };
        let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> =
            working_group_interests::table
                .filter(working_group_interests::person_id.eq(person))
                .order(working_group_interests::id)
                .select((
                    working_group_interests::lever,
                    working_group_interests::created_at,
                    working_group_interests::contacted_at,
                ))
                .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(lever, at, contacted)| {
                json!({ "lever": lever, "created_at": iso(at), "contacted_at": contacted.map(iso) })
            })
            .collect())
    }

    /// A lever beside an anonymous record stays (it is counted); the link
    /// that leaves the group dies.
    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        _: NaiveDateTime,
    ) -> QueryResult<usize> {
        let Some(person) = who.person_id() else {
            return Ok(0);
        };
        let linked: Vec<i64> = working_group_interests::table
            .filter(working_group_interests::person_id.eq(person))
            .filter(working_group_interests::token_hash.is_not_null())
            .select(working_group_interests::id)
            .load(conn)?;
        // One dead hash each: the column is unique.
        for id in &linked {
            diesel::update(working_group_interests::table.find(id))
                .set((
                    working_group_interests::token_hash.eq(Some(crate::web::links::dead_hash())),
                    working_group_interests::token_sealed.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok(linked.len())
    }
}
