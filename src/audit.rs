//! The audit log: every change an organizer (or an operator at the command
//! line) makes, written in the same transaction as the change — who, what,
//! when, and a before/after summary. Admins read it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_log;
use crate::db::DbConnection;

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The user's e-mail, or `cli` for the command line.
    pub label: String,
}

impl Actor {
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_default();
        Self {
            user_id: None,
            label: if who.is_empty() {
                "cli".into()
            } else {
                format!("cli:{who}")
            },
        }
    }
}

/// One change as the log keeps it (and the admin API shows it).
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
#[schema(as = AuditEntry)]
pub struct Entry {
    pub id: i64,
    pub user_id: Option<i64>,
    /// The user's e-mail, or `cli:<unix user>`.
    pub actor: String,
    /// E.g. `session.reschedule`, `user.disable`.
    pub action: String,
    /// E.g. `session:12`.
    pub subject: String,
    /// JSON summaries.
    pub before: Option<String>,
    pub after: Option<String>,
    /// UTC, without an offset (`2027-01-19T18:00:00`).
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
}

/// Records one change. `before`/`after` are short JSON summaries (never
/// passwords).
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::user_id.eq(actor.user_id),
            audit_log::actor.eq(&actor.label),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
            audit_log::before.eq(before.map(|v| v.to_string())),
            audit_log::after.eq(after.map(|v| v.to_string())),
            audit_log::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Newest first, `limit` entries older than entry `before_id` (paging).
pub fn list(
    conn: &mut DbConnection,
    limit: i64,
    before_id: Option<i64>,
) -> QueryResult<Vec<Entry>> {
    let mut query = audit_log::table
        .select(Entry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(id) = before_id {
        query = query.filter(audit_log::id.lt(id));
    }
    query.load(conn)
}
