//! Importing subscribers whose consent was given elsewhere (issue 17): a
//! CSV file streamed, a few thousand rows per transaction, each address a
//! confirmed subscription of the list with the organizer's words for where
//! the consent comes from. Idempotent: people are created or have only
//! their blank details filled; a subscription already confirmed is left
//! as it is, and one that was ended (unsubscribed) is never touched. No
//! mail is sent. Bad rows are reported by line; `strict` refuses the file
//! whole, before anything is written, if any row is bad.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::db::schema::{people, subscriptions};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::error::ApiError;
use crate::lists::file::{self, BadRow, Row};
use crate::lists::store::{CONFIRMED, PENDING};
use crate::web::links::LinkKey;

/// Rows written per transaction: large enough that 100 000 rows take
/// seconds, small enough that a transaction never holds the SQLite writer
/// for long.
pub const BATCH: usize = 2_000;

/// Refused rows listed in an answer; the rest are counted.
pub const LISTED: usize = 100;

/// The longest consent text kept.
const CONSENT_MAX: usize = 500;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[schema(as = ListImport)]
pub struct Imported {
    /// The list's slug.
    pub list: String,
    /// Rows of people read (blank rows aside).
    pub rows: usize,
    /// Now confirmed subscribers of the list: new, or who had asked and
    /// not yet confirmed.
    pub added: usize,
    /// Already confirmed subscribers: left as they were.
    pub already_subscribed: usize,
    /// Unsubscribed (or otherwise ended) subscriptions: never re-subscribed
    /// by an import.
    pub kept_unsubscribed: usize,
    /// Rows whose address an earlier row of the file already gave.
    pub duplicates: usize,
    /// Rows that could not be imported.
    pub refused: usize,
    /// The first 100 of them, by line.
    pub refused_rows: Vec<BadRow>,
}

/// What an import is asked.
#[derive(Debug, Clone)]
pub struct Asked {
    pub list: String,
    /// Where the subscribers' consent comes from, kept on each subscription.
    pub consent: String,
    /// Any bad row refuses the whole file, and nothing is written.
    pub strict: bool,
}

impl Asked {
    /// Checks the list (one of `lists`: else 404) and the consent text (one
    /// line, required: else 422 on `consent`).
    pub fn new(
        lists: &std::collections::BTreeMap<String, crate::config::ListSettings>,
        list: &str,
        consent: Option<&str>,
        strict: bool,
    ) -> Result<Self, ApiError> {
        if !lists.contains_key(list) {
            return Err(ApiError::NotFound(format!("no list `{list}`")));
        }
        let consent = consent
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let problem = if consent.is_empty() {
            Some("say where these subscribers' consent comes from (e.g. \"signed up at the 2025 conference\")".to_string())
        } else if consent.chars().count() > CONSENT_MAX {
            Some(format!("at most {CONSENT_MAX} characters"))
        } else {
            crate::web::hygiene::check(&consent)
                .err()
                .map(|p| p.to_string())
        };
        if let Some(problem) = problem {
            return Err(ApiError::fields(vec![("consent".into(), problem)]));
        }
        Ok(Self {
            list: list.to_string(),
            consent,
            strict,
        })
    }
}

fn unreadable(e: file::FileError) -> ApiError {
    let message = e.to_string();
    ApiError::Invalid {
        message: format!("The file was not imported: {message}"),
        fields: vec![("file".into(), message)],
    }
}

/// Runs blocking file work off the executor.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the import stopped: {e}")))?
}

/// Reads every row: the refused ones (the first `LISTED`) and their count.
fn check_all<R: Read>(input: R) -> Result<(Vec<BadRow>, usize), ApiError> {
    let mut rows = file::open(input).map_err(unreadable)?;
    let (mut listed, mut count) = (Vec::new(), 0);
    while let Some(row) = rows.next_row().map_err(unreadable)? {
        if let Err(bad) = row {
            count += 1;
            if listed.len() < LISTED {
                listed.push(bad);
            }
        }
    }
    Ok((listed, count))
}

/// Imports the file `open` reads into the list, as `actor`, as `asked`:
/// read once (twice when `strict`: first every row checked), written
/// `BATCH` rows per transaction, then audited. A file that cannot be read
/// from its start is refused whole (422); one that stops reading midway
/// keeps the batches written (importing it again completes it).
pub async fn import<R, O>(
    pool: &Pool,
    links: LinkKey,
    actor: Actor,
    asked: Asked,
    open: O,
    now: NaiveDateTime,
) -> Result<Imported, ApiError>
where
    R: Read + 'static,
    O: Fn() -> std::io::Result<R> + Send + Sync + 'static,
{
    let reading =
        |e: std::io::Error| ApiError::Internal(anyhow::Error::from(e).context("reading the file"));
    let open = std::sync::Arc::new(open);
    if asked.strict {
        let again = open.clone();
        let (listed, count) = blocking(move || check_all(again().map_err(reading)?)).await?;
        if count > 0 {
            let lines: Vec<String> = listed
                .iter()
                .take(10)
                .map(|b| format!("line {}: {}", b.line, b.message))
                .collect();
            return Err(ApiError::Invalid {
                message: format!(
                    "The file was not imported: {count} row(s) cannot be imported, and nothing is written while any is bad (strict)."
                ),
                fields: vec![("file".into(), lines.join("; "))],
            });
        }
    }
    let (batches, received) = tokio::sync::mpsc::channel::<Vec<Row>>(2);
    let reader = blocking(move || {
        let mut rows = file::open(open().map_err(reading)?).map_err(unreadable)?;
        let mut done = Imported::default();
        let mut seen = HashSet::new();
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(row) = rows.next_row().map_err(unreadable)? {
            done.rows += 1;
            match row {
                Err(bad) => {
                    done.refused += 1;
                    if done.refused_rows.len() < LISTED {
                        done.refused_rows.push(bad);
                    }
                }
                Ok(row) if seen.contains(row.email.as_str()) => done.duplicates += 1,
                Ok(row) => {
                    seen.insert(row.email.as_str().to_string());
                    batch.push(row);
                    if batch.len() == BATCH
                        && batches.blocking_send(std::mem::take(&mut batch)).is_err()
                    {
                        return Ok(done); // the writer stopped: it says why
                    }
                }
            }
        }
        if !batch.is_empty() {
            let _ = batches.blocking_send(batch);
        }
        Ok(done)
    });
    // The receiver lives in this future: if a write fails, it goes, and the
    // reader stops at its next batch instead of waiting for room.
    let writing = async {
        let mut received = received;
        let mut counts = Counts::default();
        while let Some(batch) = received.recv().await {
            let batch = Batch::new(&batch, &links);
            let (list, consent) = (asked.list.clone(), asked.consent.clone());
            let n = db::write(pool, move |conn| {
                write_batch(conn, &list, &consent, &batch, now).map_err(DbError::from)
            })
            .await?;
            counts.add(n);
        }
        Ok::<_, ApiError>(counts)
    };
    let (read, written) = tokio::join!(reader, writing);
    let (read, written) = (read?, written?);
    let done = Imported {
        list: asked.list.clone(),
        added: written.added,
        already_subscribed: written.already,
        kept_unsubscribed: written.kept,
        ..read
    };
    let (summary, subject) = (
        json!({
            "consent": asked.consent, "rows": done.rows, "added": done.added,
            "already_subscribed": done.already_subscribed,
            "kept_unsubscribed": done.kept_unsubscribed,
            "duplicates": done.duplicates, "refused": done.refused,
        }),
        format!("list:{}", asked.list),
    );
    db::write(pool, move |conn| {
        audit::record(
            conn,
            &actor,
            "list.import",
            &subject,
            None,
            Some(summary.clone()),
            now,
        )
        .map_err(DbError::from)
    })
    .await?;
    Ok(done)
}

/// A batch as the database takes it: the people as the JSON array one
/// bind carries, their addresses, and the link (hash, sealed) each
/// subscription gets if it is new.
struct Batch {
    people: String,
    emails: Vec<String>,
    links: Vec<(String, String)>,
}

impl Batch {
    fn new(rows: &[Row], key: &LinkKey) -> Self {
        let people: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "email": r.email.as_str(), "first_name": r.first_name, "last_name": r.last_name,
                    "organization": r.organization, "sector": r.sector, "state": r.state,
                })
            })
            .collect();
        Self {
            people: serde_json::Value::from(people).to_string(),
            emails: rows.iter().map(|r| r.email.as_str().to_string()).collect(),
            links: rows
                .iter()
                .map(|_| {
                    let link = key.issue();
                    (link.hash, link.sealed)
                })
                .collect(),
        }
    }
}

/// What one batch found and did.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    added: usize,
    already: usize,
    kept: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.added += other.added;
        self.already += other.already;
        self.kept += other.kept;
    }
}

/// Writes one batch (distinct addresses): the people, created or with
/// their blank details filled (a row whose details add nothing leaves
/// the person untouched); then their subscriptions to `list`: new ones
/// confirmed, pending ones confirmed, confirmed and ended ones left alone.
fn write_batch(
    conn: &mut DbConnection,
    list: &str,
    consent: &str,
    batch: &Batch,
    now: NaiveDateTime,
) -> QueryResult<Counts> {
    let Batch {
        people: rows,
        emails,
        links,
    } = batch;
    const DETAILS: [&str; 5] = ["first_name", "last_name", "organization", "sector", "state"];
    let fill: Vec<String> = DETAILS
        .iter()
        .map(|c| format!("{c} = CASE WHEN people.{c} = '' THEN excluded.{c} ELSE people.{c} END"))
        .collect();
    let fills: Vec<String> = DETAILS
        .iter()
        .map(|c| format!("(people.{c} = '' AND excluded.{c} <> '')"))
        .collect();
    let person_columns = [
        ("email", "text"),
        ("first_name", "text"),
        ("last_name", "text"),
        ("organization", "text"),
        ("sector", "text"),
        ("state", "text"),
    ];
    // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    let people = conn.sql(&format!(
        "INSERT INTO people (email, first_name, last_name, organization, job_title, sector, state, created_at, updated_at) \
         SELECT v.email, v.first_name, v.last_name, v.organization, '', v.sector, v.state, ?, ? FROM {} WHERE true \
         ON CONFLICT (email) DO UPDATE SET {}, updated_at = excluded.updated_at WHERE {}",
        conn.json_rows(&person_columns),
        fill.join(", "),
        fills.join(" OR "),
    ));
    diesel::sql_query(people)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(rows)
        .execute(conn)?;
    // The batch's people by id, looked up through the e-mail index: a join
    // of the JSON rows with people was planned as a scan by PostgreSQL
    // (its row estimate for the JSON is a guess), 2 s a batch.
    let ids: HashMap<String, i64> = people::table
        .filter(people::email.eq_any(emails))
        .select((people::email, people::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let person_ids: Vec<i64> = ids.values().copied().collect();
    // Their subscriptions to any list, picked by person (the unique index):
    // asked for this list's alone, SQLite walked the list's whole index.
    let before: Vec<(String, String)> = subscriptions::table
        .filter(subscriptions::person_id.eq_any(&person_ids))
        .select((subscriptions::list_slug, subscriptions::status))
        .load(conn)?;
    let before: Vec<&String> = before
        .iter()
        .filter(|s| s.0 == list)
        .map(|s| &s.1)
        .collect();
    let of = |status: &str| before.iter().filter(|s| **s == status).count();
    let ended = before.len() - of(CONFIRMED) - of(PENDING);
    let new: Vec<serde_json::Value> = emails
        .iter()
        .zip(links)
        .filter_map(|(email, (hash, sealed))| {
            let id = ids.get(email)?;
            Some(json!({ "person_id": id, "token_hash": hash, "token_sealed": sealed }))
        })
        .collect();
    let insert = conn.sql(&format!(
        "INSERT INTO subscriptions (person_id, list_slug, status, token_hash, token_sealed, \
         confirmed_at, created_at, updated_at, consent_source, consent_at) \
         SELECT v.person_id, ?, '{CONFIRMED}', v.token_hash, v.token_sealed, ?, ?, ?, ?, ? FROM {} \
         WHERE true ON CONFLICT (person_id, list_slug) DO NOTHING",
        conn.json_rows(&[
            ("person_id", "bigint"),
            ("token_hash", "text"),
            ("token_sealed", "text")
        ]),
    ));
    let inserted = diesel::sql_query(insert)
        .bind::<Text, _>(list)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Nullable<Text>, _>(Some(consent))
        .bind::<Nullable<Timestamp>, _>(Some(now))
        .bind::<Text, _>(serde_json::Value::from(new).to_string())
        .execute(conn)?;
    // Someone who asked and has not confirmed yet: the consent given
    // elsewhere confirms them; their pending link stops working.
    let confirmed = diesel::update(
        subscriptions::table
            .filter(subscriptions::list_slug.eq(list))
            .filter(subscriptions::status.eq(PENDING))
            .filter(subscriptions::person_id.eq_any(&person_ids)),
    )
    .set((
        subscriptions::status.eq(CONFIRMED),
        subscriptions::confirmed_at.eq(Some(now)),
        subscriptions::consent_source.eq(Some(consent)),
        subscriptions::consent_at.eq(Some(now)),
        subscriptions::confirm_token_hash.eq(None::<String>),
        subscriptions::confirm_token_sealed.eq(None::<String>),
        subscriptions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(Counts {
        added: inserted + confirmed,
        already: of(CONFIRMED),
        kept: ended,
    })
}
