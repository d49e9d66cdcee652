//! A person's data across every table: one person put in each table that
//! can hold a person by driving the real app, the export listing every
//! part, then erasure (API or CLI) leaving no trace of the address or the
//! name in any text column the database catalogue lists, nor in the mail
//! and archive folders, while the counts stay and every old link dies.
//! Also: facilitators revoking and reissuing ECHO links, and sent mail
//! losing its content after `mail.retention_days`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use convene::clock::Clock;
use convene::config::MailTransportKind;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{send, with_conn, TestApp};

mod echo_links;
mod erase;
mod everywhere;
mod retention;

const WHO: &str = "zebulon.quillfeather@example.org";
const FIRST: &str = "Zebulon";
const LAST: &str = "Quillfeather";
/// What must be nowhere after erasure (compared ignoring case).
const NEEDLES: [&str; 3] = [WHO, "quillfeather", "zebulon"];
const OTHER: &str = "stays@example.org";

fn october() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
}

/// An app on a manual clock (ECHO applications open) whose mail goes to
/// `.eml` files in the test's folder.
async fn app_with_mail_files() -> TestApp {
    TestApp::spawn_with_clock(Clock::manual(october()), |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.file_dir = s.archive.dir.parent().unwrap().join("mail");
    })
    .await
}

async fn call(app: &TestApp, method: Method, path: &str, t: &str, body: Option<Value>) -> Value {
    let (status, body) = send(app, method.clone(), path, Some(t), body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path} answered {status}: {body}"
    );
    body
}

/// Waits (bounded) until the mail worker has sent everything queued.
async fn all_mail_sent(app: &TestApp) {
    for _ in 0..300 {
        let pending: i64 = with_conn(&app.pool, |c| {
            use convene::db::schema::outbox::dsl::*;
            outbox
                .filter(status.eq("pending"))
                .count()
                .get_result(c)
                .unwrap()
        });
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the outbox still had pending mail after 15 s");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Files under `dir` whose name or content mentions `needle`.
fn files_mentioning(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let needle = needle.to_lowercase();
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            p.to_string_lossy().to_lowercase().contains(&needle)
                || String::from_utf8_lossy(&bytes)
                    .to_lowercase()
                    .contains(&needle)
        })
        .collect()
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = Text)]
    c: String,
    #[diesel(sql_type = Text)]
    ty: String,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// Every `table.column` (text, JSON or binary, as the database's own
/// catalogue lists them) holding `needle`, ignoring case.
fn columns_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    with_conn(&app.pool, |c| {
        let postgres = c.is_postgres();
        let catalogue = if postgres {
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        } else {
            "SELECT m.name AS t, p.name AS c, p.type AS ty \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        };
        let columns: Vec<Column> = diesel::sql_query(catalogue).load(c).unwrap();
        assert!(
            columns
                .iter()
                .any(|col| col.t == "lineup_slots" && col.c == "bio"),
            "the catalogue lists the tables"
        );
        let mut found = Vec::new();
        for col in columns {
            let ty = col.ty.to_lowercase();
            let expr = if postgres && ty == "bytea" {
                format!("encode(\"{}\", 'escape')", col.c)
            } else if ["text", "char", "clob", "blob", "json"]
                .iter()
                .any(|k| ty.contains(k))
                || ty.is_empty()
            {
                format!("CAST(\"{}\" AS TEXT)", col.c)
            } else {
                continue;
            };
            let cells: Vec<Cell> =
                diesel::sql_query(format!("SELECT {expr} AS v FROM \"{}\"", col.t))
                    .load(c)
                    .unwrap_or_else(|e| panic!("reading {}.{}: {e}", col.t, col.c));
            let n = cells
                .iter()
                .filter(|cell| {
                    cell.v
                        .as_deref()
                        .is_some_and(|v| v.to_lowercase().contains(&needle))
                })
                .count();
            if n > 0 {
                found.push(format!("{}.{} ({n})", col.t, col.c));
            }
        }
        found
    })
}

/// Cohort 3 of the ECHO, open for applications in October 2026.
async fn create_cohort(app: &TestApp, hub: &str) {
    call(
        app,
        Method::POST,
        "/api/v1/echo/cohorts",
        hub,
        Some(json!({
            "slug": "cohort-3", "name": "Cohort 3", "starts_on": "2026-11-01", "ends_on": "2027-04-30",
            "applications_open_on": "2026-09-15", "applications_close_on": "2026-10-31",
        })),
    )
    .await;
}

/// `email` applies to cohort 3 as a participant through the public form.
async fn apply(app: &TestApp, email: &str, first: &str, last: &str, organization: &str) {
    let applied = app
        .post_form(
            "/echo/cohort-3/apply",
            &[
                ("first_name", first),
                ("last_name", last),
                ("email", email),
                ("organization", organization),
                ("organization_type", "cmhc"),
                ("state", "NY"),
                ("job_title", "Director"),
                ("role", "participant"),
                ("hopes_to_bring", "A rural crisis team's experience."),
                ("hopes_to_learn", "How to keep peer specialists."),
            ],
        )
        .await;
    assert_eq!(applied.status().as_u16(), 303, "{email} applied");
}
