//! A message an organizer writes to a group of people (a session's
//! registrants, a working group): its checked subject and plain-text body,
//! how the templates show that text safely, and the record that makes a
//! form sent twice send once. Which group, and who is in it, is the
//! feature's.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::db::DbConnection;

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;

/// A subject (one line) and a body (plain text) as an organizer wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMessage {
    pub subject: String,
    pub body: String,
}

impl GroupMessage {
    /// Checks both, a message per field at fault (`subject`, `body`).
    pub fn parse(subject: Option<&str>, body: Option<&str>) -> Result<Self, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let subject = subject.unwrap_or_default().trim();
        if subject.is_empty() {
            errors.push(("subject".into(), "Write a subject.".into()));
        } else if subject.chars().count() > SUBJECT_MAX {
            errors.push((
                "subject".into(),
                format!("Keep the subject to {SUBJECT_MAX} characters or fewer."),
            ));
        } else if let Err(e) = crate::web::hygiene::one_line(subject) {
            errors.push(("subject".into(), format!("The subject {e}.")));
        }
        // Line breaks as the browser sends them (CRLF) or not, kept as LF.
        let body = body.unwrap_or_default().replace("\r\n", "\n");
        let body = body.trim();
        if body.is_empty() {
            errors.push(("body".into(), "Write the message.".into()));
        } else if body.chars().count() > BODY_MAX {
            errors.push((
                "body".into(),
                format!("Keep the message to {BODY_MAX} characters or fewer."),
            ));
        }
        match errors.is_empty() {
            true => Ok(Self {
                subject: subject.to_string(),
                body: body.to_string(),
            }),
            false => Err(errors),
        }
    }

    /// [`parse`](Self::parse), with the caller's idempotency key (blank
    /// when none; one line of at most 200 characters) checked beside.
    pub fn parse_with_key(
        subject: Option<&str>,
        body: Option<&str>,
        key: Option<String>,
    ) -> Result<(Self, String), Vec<(String, String)>> {
        let parsed = Self::parse(subject, body);
        let key = key.unwrap_or_default();
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        if key.chars().count() > 200 || crate::web::hygiene::one_line(&key).is_err() {
            errors.push((
                "idempotency_key".into(),
                "One line of up to 200 characters.".into(),
            ));
        }
        match parsed {
            Ok(message) if errors.is_empty() => Ok((message, key)),
            _ => Err(errors),
        }
    }

    /// The body as the templates take it: `text` as written (for the plain
    /// part), and `paragraphs`, each a list of lines, which the HTML part
    /// writes through the escaping renderer: no HTML of the writer's gets in.
    pub fn context(&self) -> Value {
        let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new()];
        for line in self.body.lines().map(str::trim_end) {
            match (line.trim().is_empty(), paragraphs.last_mut()) {
                (true, Some(last)) if last.is_empty() => {}
                (true, _) => paragraphs.push(Vec::new()),
                (false, Some(last)) => last.push(line),
                (false, None) => paragraphs.push(vec![line]),
            }
        }
        paragraphs.retain(|p| !p.is_empty());
        json!({ "subject": self.subject, "text": self.body, "paragraphs": paragraphs })
    }

    /// What tells this message apart for `scope` (e.g. `session:12`) and
    /// `audience`: the same form sent twice (same `nonce`) has the same
    /// key; without a nonce, the same words to the same people do.
    pub fn key(&self, scope: &str, audience: &str, nonce: &str) -> String {
        let hash = crate::web::links::hash(&format!(
            "{scope}\n{audience}\n{nonce}\n{}\n{}",
            self.subject, self.body
        ));
        hash[..24].to_string()
    }
}

/// Where a group message went.
pub struct Target<'a> {
    pub session_id: Option<i64>,
    pub lever: Option<&'a str>,
    pub audience: &'a str,
}

/// Records the message under `key` unless it is recorded already; whether
/// it was new (and is to be sent). Runs in the transaction that sends it.
pub fn record(
    conn: &mut DbConnection,
    key: &str,
    target: &Target,
    message: &GroupMessage,
    recipients: i64,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    let sql = conn.sql(
        "INSERT INTO group_messages (message_key, session_id, lever, audience, subject, body, recipients, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_key) DO NOTHING",
    );
    let added = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<Nullable<BigInt>, _>(target.session_id)
        .bind::<Nullable<Text>, _>(target.lever)
        .bind::<Text, _>(target.audience)
        .bind::<Text, _>(&message.subject)
        .bind::<Text, _>(&message.body)
        .bind::<BigInt, _>(recipients)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
    Ok(added == 1)
}

/// A message as recorded.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = crate::db::schema::group_messages)]
pub struct Recorded {
    pub id: i64,
    pub audience: String,
    pub subject: String,
    pub recipients: i64,
    pub created_at: NaiveDateTime,
}

/// The latest `limit` messages sent to session `session_id`'s people (or,
/// with `None`, to working group `lever`), newest first.
pub fn history(
    conn: &mut DbConnection,
    session_id: Option<i64>,
    lever: Option<&str>,
    limit: i64,
) -> diesel::QueryResult<Vec<Recorded>> {
    use crate::db::schema::group_messages as m;
    use diesel::prelude::*;
    let mut query = m::table
        .select(Recorded::as_select())
        .order(m::id.desc())
        .limit(limit)
        .into_boxed();
    query = match (session_id, lever) {
        (Some(id), _) => query.filter(m::session_id.eq(id)),
        (None, Some(lever)) => query.filter(m::lever.eq(lever.to_string())),
        (None, None) => query,
    };
    query.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_needs_a_one_line_subject_and_a_body() {
        let errors = GroupMessage::parse(Some("  "), None).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["subject", "body"]);
        let errors = GroupMessage::parse(Some("a\nb"), Some("x")).unwrap_err();
        assert_eq!(errors[0].0, "subject", "a line break in the subject");
        let long = "x".repeat(BODY_MAX + 1);
        assert!(GroupMessage::parse(Some("s"), Some(&long)).is_err());
    }

    #[test]
    fn the_body_becomes_paragraphs_of_lines_as_text() {
        let m = GroupMessage::parse(Some("Hi"), Some("One\r\nTwo\r\n\r\n\r\n<b>Three</b>\r\n"))
            .unwrap();
        assert_eq!(m.body, "One\nTwo\n\n\n<b>Three</b>");
        let c = m.context();
        assert_eq!(c["paragraphs"], json!([["One", "Two"], ["<b>Three</b>"]]));
    }

    #[test]
    fn the_key_follows_the_nonce_the_words_and_the_audience() {
        let m = GroupMessage::parse(Some("Hi"), Some("Body")).unwrap();
        let k = m.key("session:1", "registered", "n1");
        assert_eq!(k, m.key("session:1", "registered", "n1"));
        assert_ne!(k, m.key("session:1", "registered", "n2"));
        assert_ne!(k, m.key("session:1", "both", "n1"));
        assert_ne!(k, m.key("session:2", "registered", "n1"));
    }
}
