//! An organizer's own message to a session's registrants and/or its
//! waitlist: one outbox row per person, written with the audit entry in one
//! transaction, keyed so that the same form sent twice sends once.
//! Cancelled registrations and erased people get nothing.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Text};
use diesel::RunQueryDsl;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::config::PublicUrl;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::mail::group::{self, GroupMessage, Target};
use crate::mail::outbox::ERASED_DOMAIN;
use crate::series::model;

use crate::series::registrants::{queue_to_registrants, ToRegistrants};

/// Who of a session's people a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Registered,
    Waitlisted,
    Both,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Self::Registered, Self::Waitlisted, Self::Both];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Waitlisted => "waitlisted",
            Self::Both => "both",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Registered => "Registered people",
            Self::Waitlisted => "The waitlist",
            Self::Both => "Registered people and the waitlist",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The registration statuses it covers, as SQL.
    fn statuses(self) -> &'static str {
        match self {
            Self::Registered => "('registered')",
            Self::Waitlisted => "('waitlisted')",
            Self::Both => "('registered', 'waitlisted')",
        }
    }
}

/// How many people of session `id` the audience is (who would get it).
pub fn count(
    conn: &mut DbConnection,
    session_id: i64,
    audience: Audience,
) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = conn.sql(&format!(
        "SELECT COUNT(*) AS n FROM registrations r JOIN people p ON p.id = r.person_id \
         WHERE r.session_id = ? AND r.status IN {} AND p.email NOT LIKE ?",
        audience.statuses()
    ));
    let n: N = diesel::sql_query(sql)
        .bind::<BigInt, _>(session_id)
        .bind::<Text, _>(format!("%{ERASED_DOMAIN}"))
        .get_result(conn)?;
    Ok(n.n)
}

/// What was asked: the message, to whom, and the form's nonce (blank from
/// the API unless the caller gives its own idempotency key).
#[derive(Debug, Clone)]
pub struct Asked {
    pub audience: Audience,
    pub message: GroupMessage,
    pub nonce: String,
    /// Count only; send nothing.
    pub preview: bool,
}

/// What a message to registrants did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Who it goes (or would go) to.
    pub recipients: i64,
    /// E-mails queued now: 0 for a preview or a repeat.
    pub queued: usize,
    /// The same message was sent before: nothing new went.
    pub repeat: bool,
    pub key: String,
}

/// Sends (or, for a preview, counts) `asked` to session `session_id`'s
/// audience, audited, in the caller's transaction.
pub fn send(
    conn: &mut DbConnection,
    actor: &Actor,
    public: &PublicUrl,
    session_id: i64,
    asked: &Asked,
    now: NaiveDateTime,
) -> Result<Sent, ApiError> {
    let Some((session, series)) = model::find_session(conn, session_id)? else {
        return Err(ApiError::NotFound(format!("No session {session_id}.")));
    };
    if session.is_cancelled() {
        return Err(ApiError::Conflict(
            "session_closed",
            "This session is cancelled: its registrants were told.".into(),
        ));
    }
    let audience = asked.audience;
    let scope = format!("session:{session_id}");
    let key = asked.message.key(&scope, audience.as_str(), &asked.nonce);
    // Registrations do not change under the count while it is sent.
    model::lock_session(conn, session_id)?;
    let recipients = count(conn, session_id, audience)?;
    let nothing = |repeat| Sent {
        recipients,
        queued: 0,
        repeat,
        key: key.clone(),
    };
    if asked.preview {
        return Ok(nothing(false));
    }
    let target = Target {
        session_id: Some(session_id),
        lever: None,
        audience: audience.as_str(),
    };
    if !group::record(conn, &key, &target, &asked.message, recipients, now)? {
        return Ok(nothing(true));
    }
    let mut base = asked.message.context();
    base["session_title"] = json!(session.title);
    base["series_title"] = json!(series.title);
    base["when"] = json!(session.when());
    base["other_zones"] = json!(session.other_zones());
    base["session_url"] = json!(public.join(&format!("/sessions/{}", session.id)));
    let queued = queue_to_registrants(
        conn,
        &ToRegistrants {
            session_id,
            statuses: audience.statuses(),
            registered_by: None,
            condition: "1 = 1",
            template: "registrants_message",
            key_suffix: &format!(":message:{key}"),
            base: &db::open_json_object(&base),
            public,
            now,
        },
    )?;
    audit::record(
        conn,
        actor,
        "session.message",
        &scope,
        None,
        Some(json!({
            "audience": audience.as_str(),
            "subject": asked.message.subject,
            "recipients": recipients,
            "key": key,
        })),
        now,
    )?;
    Ok(Sent {
        recipients,
        queued,
        repeat: false,
        key,
    })
}
