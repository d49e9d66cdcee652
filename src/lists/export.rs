//! A list's confirmed subscribers as a CSV that opens cleanly in a
//! spreadsheet (and imports again): each with where their consent comes
//! from when they were imported.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::schema::{people, subscriptions};
use crate::db::DbConnection;
use crate::lists::store::CONFIRMED;

/// The columns, as the import reads them back.
pub const HEADER: [&str; 9] = [
    "email",
    "first_name",
    "last_name",
    "organization",
    "sector",
    "state",
    "confirmed_at",
    "consent_source",
    "consent_at",
];

pub type Subscriber = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<String>,
    Option<NaiveDateTime>,
);

/// The list's confirmed subscribers, in the order they subscribed.
pub fn confirmed(conn: &mut DbConnection, list: &str) -> QueryResult<Vec<Subscriber>> {
    subscriptions::table
        .inner_join(people::table)
        .filter(subscriptions::list_slug.eq(list))
        .filter(subscriptions::status.eq(CONFIRMED))
        .order(subscriptions::id)
        .select((
            people::email,
            people::first_name,
            people::last_name,
            people::organization,
            people::sector,
            people::state,
            subscriptions::confirmed_at,
            subscriptions::consent_source,
            subscriptions::consent_at,
        ))
        .load(conn)
}

/// [`confirmed`], recorded in the audit log as exported by `actor`.
pub fn audited(
    conn: &mut DbConnection,
    actor: &Actor,
    list: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Subscriber>> {
    let rows = confirmed(conn, list)?;
    audit::record(
        conn,
        actor,
        "list.export",
        &format!("list:{list}"),
        None,
        Some(serde_json::json!({ "subscribers": rows.len() })),
        now,
    )?;
    Ok(rows)
}

/// The rows as CSV (UTF-8 with a BOM, CRLF, no cell a spreadsheet would
/// run as a formula); times in UTC, ISO 8601.
pub fn csv(rows: &[Subscriber]) -> anyhow::Result<Vec<u8>> {
    let at = |t: &Option<NaiveDateTime>| t.map(crate::people::iso).unwrap_or_default();
    crate::web::csv::spreadsheet_csv(
        &HEADER,
        rows.iter().map(|r| {
            vec![
                r.0.clone(),
                r.1.clone(),
                r.2.clone(),
                r.3.clone(),
                r.4.clone(),
                r.5.clone(),
                at(&r.6),
                r.7.clone().unwrap_or_default(),
                at(&r.8),
            ]
        }),
    )
}
