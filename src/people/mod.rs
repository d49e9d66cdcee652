//! Personal data held about one e-mail address, across every table: the
//! interface each feature implements for its own tables (`PersonalData`),
//! and export (a subject access request) and erase over a list of them —
//! the list is composed in `crate::privacy`. Erasing keeps what is counted
//! (registrations, attendance, applications) once nothing in it identifies
//! anyone, and kills every link the person was sent.

pub mod contact;
mod kernel;
mod person;

pub use kernel::{Accounts, AuditTrail, Messages};
pub use person::Person;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Map, Value};

use crate::audit::{self, Actor};
use crate::db::schema::people;
use crate::db::{DbConnection, DbError};
use crate::mail::outbox::ERASED_DOMAIN;

/// What stands in for an erased name.
pub const ERASED_NAME: &str = "Erased";

/// One table (or a few that go together) of a feature, as seen by a
/// subject access or erasure request. Each feature implements it for the
/// tables it owns; `crate::privacy::PARTS` lists them all.
pub trait PersonalData: Sync {
    /// This part's key in the export document.
    fn key(&self) -> &'static str;

    /// The tables this part answers for: every table in the schema is some
    /// part's or named as holding no one (`privacy::HOLDS_NO_ONE`), which a
    /// test checks, so a new table cannot be forgotten.
    fn tables(&self) -> &'static [&'static str];

    /// Names typed beside the address in this part's tables (a presenter's
    /// name on a lineup slot), so that other parts find them too.
    fn names(&self, _conn: &mut DbConnection, _who: &Subject) -> QueryResult<Vec<String>> {
        Ok(Vec::new())
    }

    /// How the audit log names this part's rows about the person
    /// (`application:<id>`): their entries may quote what was said to them.
    fn records(&self, _conn: &mut DbConnection, _who: &Subject) -> QueryResult<Vec<String>> {
        Ok(Vec::new())
    }

    /// What this part holds about the person, one JSON object per row;
    /// never a link's token. Empty when it holds nothing.
    fn export(&self, conn: &mut DbConnection, who: &Subject) -> QueryResult<Vec<Value>>;

    /// Scrubs whatever identifies the person from this part's rows and
    /// kills their links; rows that are counted stay. Returns how many rows
    /// it changed or removed.
    fn erase(
        &self,
        conn: &mut DbConnection,
        who: &Subject,
        now: NaiveDateTime,
    ) -> QueryResult<usize>;
}

/// The person a request is about, as found before anything changes.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The address, normalized.
    pub email: String,
    /// Their person record, if there is one: (id, first name, last name).
    pub person: Option<(i64, String, String)>,
    /// Every name they are known by here: their record's, and names typed
    /// beside their address elsewhere.
    pub names: Vec<String>,
    /// The address that replaces theirs: `erased-<id>@invalid`.
    pub placeholder: String,
    /// The audit log's subjects for their records (`registration:<id>`).
    pub records: Vec<String>,
}

impl Subject {
    /// The person record's id, if any.
    pub fn person_id(&self) -> Option<i64> {
        self.person.as_ref().map(|p| p.0)
    }

    /// The strings to scrub from free text, each with what replaces it:
    /// the address, then each name long enough not to be a common word.
    pub fn needles(&self) -> Vec<(&str, &str)> {
        let mut out = vec![(self.email.as_str(), self.placeholder.as_str())];
        out.extend(
            self.names
                .iter()
                .filter(|n| n.chars().count() >= 4)
                .map(|n| (n.as_str(), ERASED_NAME)),
        );
        out
    }

    /// `needles`, and each word of each name on its own: for text about
    /// their own records only ("Welcome, Zebulon!"), where a first name
    /// alone is theirs.
    pub fn own_needles(&self) -> Vec<(&str, &str)> {
        let mut out = self.needles();
        let words = self.names.iter().flat_map(|n| n.split_whitespace());
        out.extend(
            words
                .filter(|w| w.chars().count() >= 2)
                .map(|w| (w, ERASED_NAME)),
        );
        out
    }

    /// Whether `name` is one of the person's names (ignoring case and
    /// surrounding space).
    pub fn is_named(&self, name: &str) -> bool {
        let name = name.trim();
        !name.is_empty() && self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The audit log's subject for this person.
    fn audit_subject(&self) -> String {
        match self.person_id() {
            Some(id) => format!("person:{id}"),
            None => format!(
                "address:{}",
                self.placeholder.trim_end_matches(ERASED_DOMAIN)
            ),
        }
    }
}

/// Replaces each of `who`'s needles in `columns` of `table` (free text,
/// JSON or a key); returns how many rows changed. The statement is built
/// from names in this crate, never from input.
pub fn scrub_text(
    conn: &mut DbConnection,
    table: &str,
    columns: &[&str],
    who: &Subject,
) -> QueryResult<usize> {
    scrub_where(conn, table, columns, &who.needles(), None)
}

/// Replaces each `(needle, with)` in `columns` of `table`, in every row or
/// only in those whose `key` column is one of `values`.
pub fn scrub_where(
    conn: &mut DbConnection,
    table: &str,
    columns: &[&str],
    needles: &[(&str, &str)],
    only: Option<(&str, &[String])>,
) -> QueryResult<usize> {
    if only.is_some_and(|(_, values)| values.is_empty()) {
        return Ok(0);
    }
    let mut changed = 0;
    for (needle, with) in needles {
        let set = columns
            .iter()
            .map(|c| format!("{c} = REPLACE({c}, ?, ?)"))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = columns
            .iter()
            .map(|c| format!("{c} LIKE ? ESCAPE '\\'"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let within = match only {
            Some((key, values)) => {
                format!(" AND {key} IN ({})", vec!["?"; values.len()].join(", "))
            }
            None => String::new(),
        };
        let sql = conn.sql(&format!(
            "UPDATE {table} SET {set} WHERE ({filter}){within}"
        ));
        let like = containing(needle);
        let mut query = diesel::sql_query(sql).into_boxed();
        for _ in columns {
            query = query.bind::<Text, _>(*needle).bind::<Text, _>(*with);
        }
        for _ in columns {
            query = query.bind::<Text, _>(like.clone());
        }
        for value in only.map_or(&[][..], |(_, values)| values) {
            query = query.bind::<Text, _>(value.clone());
        }
        changed += query.execute(conn)?;
    }
    Ok(changed)
}

/// A `LIKE` pattern (escaped with a backslash) for text containing `needle`
/// as it is: an address's `_` matches only itself.
pub fn containing(needle: &str) -> String {
    let mut out = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The audit log's subjects `<kind>:<id>` for `ids`.
pub fn subjects(kind: &str, ids: Vec<i64>) -> Vec<String> {
    ids.into_iter().map(|id| format!("{kind}:{id}")).collect()
}

/// An RFC 3339 UTC timestamp, as every export shows them.
pub fn iso(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

type PersonRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

fn person_row(conn: &mut DbConnection, email: &str) -> QueryResult<Option<PersonRow>> {
    people::table
        .filter(people::email.eq(email))
        .select((
            people::id,
            people::email,
            people::first_name,
            people::last_name,
            people::organization,
            people::job_title,
            people::sector,
            people::state,
            people::created_at,
            people::updated_at,
        ))
        .first(conn)
        .optional()
}

/// Who `email` (already normalized) is, with the names every part knows
/// them by.
pub fn subject(
    conn: &mut DbConnection,
    parts: &[&dyn PersonalData],
    email: &str,
) -> QueryResult<Subject> {
    let row = person_row(conn, email)?;
    let mut who = Subject {
        email: email.to_string(),
        person: row
            .as_ref()
            .map(|r| (r.0, r.2.trim().to_string(), r.3.trim().to_string())),
        names: Vec::new(),
        records: Vec::new(),
        placeholder: match &row {
            Some(r) => format!("erased-{}{ERASED_DOMAIN}", r.0),
            // Nobody's record: a name that cannot be traced back.
            None => format!(
                "erased-{}{ERASED_DOMAIN}",
                &crate::web::token::new_token()[..16]
            ),
        },
    };
    if let Some((_, first, last)) = &who.person {
        who.names.push(format!("{first} {last}").trim().to_string());
    }
    for part in parts {
        let more = part.names(conn, &who)?;
        who.names.extend(more);
        let more = part.records(conn, &who)?;
        who.records.extend(more);
    }
    if let Some(id) = who.person_id() {
        who.records.push(format!("person:{id}"));
    }
    // Longest first, so "Ada King Lovelace" goes before "Ada King".
    who.names.retain(|n| !n.trim().is_empty());
    who.names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    who.names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    Ok(who)
}

/// A subject access request's answer.
#[derive(Debug, Clone)]
pub struct Export {
    /// The audit log's subject (`person:<id>`).
    pub audit_subject: String,
    pub document: Value,
}

/// Everything held about `email` (already normalized) as one JSON
/// document: `person` (or null), then one array per part. `None` when
/// nothing is held. Messages are listed by template and dates, not bodies.
pub fn export(
    conn: &mut DbConnection,
    parts: &[&dyn PersonalData],
    email: &str,
) -> QueryResult<Option<Export>> {
    let who = subject(conn, parts, email)?;
    let mut document = Map::new();
    let person = person_row(conn, email)?;
    let mut held = person.is_some();
    document.insert(
        "person".into(),
        match person {
            Some((id, email, first, last, org, job, sector, state, created, updated)) => json!({
                "id": id,
                "email": email,
                "first_name": first,
                "last_name": last,
                "organization": org,
                "job_title": job,
                "sector_label": crate::people::contact::sector_label(&sector),
                "sector": sector,
                "state": state,
                "created_at": iso(created),
                "updated_at": iso(updated),
            }),
            None => Value::Null,
        },
    );
    for part in parts {
        let rows = part.export(conn, &who)?;
        held |= !rows.is_empty();
        document.insert(part.key().into(), Value::Array(rows));
    }
    Ok(held.then(|| Export {
        audit_subject: who.audit_subject(),
        document: Value::Object(document),
    }))
}

/// What erasing touched, by number only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The person record kept (its details replaced), if there was one.
    pub person_id: Option<i64>,
    /// Rows changed or removed, per part, in the parts' order.
    pub counts: Vec<(&'static str, usize)>,
}

impl Erased {
    /// How many rows part `key` changed.
    pub fn count(&self, key: &str) -> usize {
        self.counts
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, n)| *n)
    }

    /// `{"person_id": …, "<part>": <rows>, …}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("person_id".into(), json!(self.person_id));
        for (key, n) in &self.counts {
            out.insert((*key).into(), json!(n));
        }
        Value::Object(out)
    }
}

/// Erases everything held about `email` (already normalized), part by
/// part, then the person record (kept, its details replaced, so the rows
/// that count it still do). Audited by ids and counts only. `None` when
/// nothing is held. Call inside `db::write`.
pub fn erase(
    conn: &mut DbConnection,
    parts: &[&dyn PersonalData],
    actor: &Actor,
    email: &str,
    now: NaiveDateTime,
) -> Result<Option<Erased>, DbError> {
    conn.transaction(|conn| {
        let who = subject(conn, parts, email)?;
        let mut counts = Vec::with_capacity(parts.len());
        for part in parts {
            counts.push((part.key(), part.erase(conn, &who, now)?));
        }
        if let Some(id) = who.person_id() {
            diesel::update(people::table.find(id))
                .set((
                    people::email.eq(&who.placeholder),
                    people::first_name.eq(ERASED_NAME),
                    people::last_name.eq(ERASED_NAME),
                    people::organization.eq(""),
                    people::job_title.eq(""),
                    people::updated_at.eq(now),
                ))
                .execute(conn)?;
        } else if counts.iter().all(|(_, n)| *n == 0) {
            return Ok(None);
        }
        let erased = Erased {
            person_id: who.person_id(),
            counts,
        };
        let mut summary = erased.to_json();
        if let Some(map) = summary.as_object_mut() {
            map.remove("person_id");
        }
        audit::record(
            conn,
            actor,
            "person.erase",
            &who.audit_subject(),
            None,
            Some(summary),
            now,
        )?;
        Ok(Some(erased))
    })
}
