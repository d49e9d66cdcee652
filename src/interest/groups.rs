//! Working groups as organizers see them: who signed up on each lever of
//! change (erased people left out), marked contacted (audited), and one
//! message to a lever's group through the outbox as list mail, whose
//! one-click unsubscribe link takes that person out of that group.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::config::PublicUrl;
use crate::db::schema::{people, spent_group_links, working_group_interests as wgi};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::lineup::levers;
use crate::mail::group::{self, GroupMessage, Target};
use crate::mail::outbox::{self, ERASED_DOMAIN};
use crate::web::links::{self, LinkKey};

/// One person's sign-up to a working group.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    /// The sign-up's id (what `contacted` is marked on).
    pub id: i64,
    pub lever: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    /// When they signed up (UTC).
    #[schema(value_type = String)]
    pub joined_at: NaiveDateTime,
    /// When an organizer marked them contacted (UTC); null until then.
    #[schema(value_type = Option<String>)]
    pub contacted_at: Option<NaiveDateTime>,
}

type MemberRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

impl Member {
    fn of(r: MemberRow) -> Self {
        let (id, lever, first_name, last_name, email, organization, joined_at, contacted_at) = r;
        Self {
            id,
            lever,
            first_name,
            last_name,
            email,
            organization,
            joined_at,
            contacted_at,
        }
    }
}

/// The members' columns, in `MemberRow`'s order.
macro_rules! member_columns {
    () => {
        (
            wgi::id,
            wgi::lever,
            people::first_name,
            people::last_name,
            people::email,
            people::organization,
            wgi::created_at,
            wgi::contacted_at,
        )
    };
}

/// The lever `code` names, or a 404 naming the levers.
pub fn lever(code: &str) -> Result<&'static str, ApiError> {
    levers::LEVERS
        .iter()
        .map(|(c, _)| *c)
        .find(|c| *c == code)
        .ok_or_else(|| ApiError::NotFound(format!("No lever of change `{code}`.")))
}

fn erased() -> String {
    format!("%{ERASED_DOMAIN}")
}

/// A lever's group, in the order people signed up.
pub fn members(conn: &mut DbConnection, lever: &str) -> QueryResult<Vec<Member>> {
    wgi::table
        .inner_join(people::table)
        .filter(wgi::lever.eq(lever))
        .filter(people::email.not_like(erased()))
        .order((wgi::created_at.asc(), wgi::id.asc()))
        .select(member_columns!())
        .load::<MemberRow>(conn)
        .map(|rows| rows.into_iter().map(Member::of).collect())
}

/// Per lever code: (members, of them contacted).
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64, i64)>> {
    let rows: Vec<(String, Option<NaiveDateTime>)> = wgi::table
        .inner_join(people::table)
        .filter(people::email.not_like(erased()))
        .select((wgi::lever, wgi::contacted_at))
        .load(conn)?;
    Ok(levers::LEVERS
        .iter()
        .map(|(code, _)| {
            let of: Vec<_> = rows.iter().filter(|(l, _)| l == code).collect();
            let contacted = of.iter().filter(|(_, c)| c.is_some()).count();
            (code.to_string(), of.len() as i64, contacted as i64)
        })
        .collect())
}

/// Marks sign-up `id` contacted now (a second mark keeps the first time),
/// audited; the member as it stands.
pub fn mark_contacted(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Member, ApiError> {
    let find = |conn: &mut DbConnection| {
        wgi::table
            .inner_join(people::table)
            .filter(wgi::id.eq(id))
            .filter(people::email.not_like(erased()))
            .select(member_columns!())
            .first::<MemberRow>(conn)
            .optional()
            .map(|row| row.map(Member::of))
    };
    let Some(before) = find(conn)? else {
        return Err(ApiError::NotFound(format!(
            "No working group sign-up {id}."
        )));
    };
    if before.contacted_at.is_some() {
        return Ok(before);
    }
    diesel::update(wgi::table.find(id))
        .set(wgi::contacted_at.eq(Some(now)))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "working_group.contacted",
        &format!("working_group_interest:{id}"),
        Some(json!({ "lever": before.lever, "contacted": false })),
        Some(json!({ "lever": before.lever, "contacted": true })),
        now,
    )?;
    Ok(find(conn)?.unwrap_or(before))
}

/// What a message to a working group did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub recipients: i64,
    pub queued: usize,
    pub repeat: bool,
}

/// A message to a working group as asked: the form's `nonce` makes the
/// same form sent twice send once; `preview` counts and sends nothing.
#[derive(Debug, Clone)]
pub struct Asked {
    pub message: GroupMessage,
    pub nonce: String,
    pub preview: bool,
}

/// What the list mail of a working group needs from settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub public: PublicUrl,
    pub postal_address: String,
    pub key: LinkKey,
}

/// Sends `message` to lever `code`'s group (or, `preview`, counts it):
/// each member's leave link made if they have none yet, one outbox row
/// each with `List-Unsubscribe`, the record and the audit entry, in the
/// caller's transaction. The same form sent twice (`nonce`) sends once.
pub fn send(
    conn: &mut DbConnection,
    actor: &Actor,
    settings: &MailSettings,
    code: &str,
    asked: &Asked,
    now: NaiveDateTime,
) -> Result<Sent, ApiError> {
    let Asked {
        message,
        nonce,
        preview,
    } = asked;
    let lever = lever(code)?;
    let members = members(conn, lever)?;
    let recipients = members.len() as i64;
    if *preview {
        return Ok(Sent {
            recipients,
            queued: 0,
            repeat: false,
        });
    }
    let scope = format!("working-group:{lever}");
    let key = message.key(&scope, "working_group", nonce);
    let target = Target {
        session_id: None,
        lever: Some(lever),
        audience: "working_group",
    };
    if !group::record(conn, &key, &target, message, recipients, now)? {
        return Ok(Sent {
            recipients,
            queued: 0,
            repeat: true,
        });
    }
    // Sign-ups from before links were made get theirs now.
    let without: Vec<i64> = wgi::table
        .inner_join(people::table)
        .filter(wgi::lever.eq(lever))
        .filter(wgi::token_hash.is_null())
        .filter(people::email.not_like(erased()))
        .select(wgi::id)
        .load(conn)?;
    for id in without {
        let link = settings.key.issue();
        diesel::update(wgi::table.find(id))
            .set((
                wgi::token_hash.eq(Some(&link.hash)),
                wgi::token_sealed.eq(Some(&link.sealed)),
            ))
            .execute(conn)?;
    }
    let label = levers::label(lever).unwrap_or(lever);
    let list_name = format!("the {label} working group");
    let mut base = message.context();
    base["list_name"] = json!(list_name);
    base["lever"] = json!(label);
    base["postal_address"] = json!(settings.postal_address);
    let unsubscribe_prefix = settings
        .public
        .join(&format!("/wg/{}", links::PLACEHOLDER_SQL_OPEN));
    let context = conn.json_extend(
        "?",
        &[
            ("first_name", "p.first_name"),
            ("unsubscribe_url", "? || w.token_sealed || '~'"),
        ],
    );
    let sql = conn.sql(&format!(
        "INSERT INTO outbox (idempotency_key, template, recipient, context, calendar, status, attempts, \
         next_attempt_at, created_at, list_id, unsubscribe_url) \
         SELECT 'working-group:' || CAST(w.id AS TEXT) || ?, 'working_group_message', p.email, {context}, \
         NULL, 'pending', 0, ?, ?, ?, ? || w.token_sealed || '~' \
         FROM working_group_interests w JOIN people p ON p.id = w.person_id \
         WHERE w.lever = ? AND p.email NOT LIKE ? \
         ON CONFLICT (idempotency_key) DO NOTHING"
    ));
    let queued = diesel::sql_query(sql)
        .bind::<Text, _>(format!(":message:{key}"))
        .bind::<Text, _>(db::open_json_object(&base))
        .bind::<Text, _>(&unsubscribe_prefix)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(format!(
            "Working group {label} <wg-{lever}.{}>",
            settings.public.host()
        ))
        .bind::<Text, _>(&unsubscribe_prefix)
        .bind::<Text, _>(lever)
        .bind::<Text, _>(erased())
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "working_group.message",
        &scope,
        None,
        Some(json!({ "subject": message.subject, "recipients": recipients, "key": key })),
        now,
    )?;
    Ok(Sent {
        recipients,
        queued,
        repeat: false,
    })
}

/// Who a leave link is for: (sign-up id, lever, e-mail).
fn find_by_token(
    conn: &mut DbConnection,
    token: &str,
) -> QueryResult<Option<(i64, String, String)>> {
    wgi::table
        .inner_join(people::table)
        .filter(wgi::token_hash.eq(links::hash(token)))
        .select((wgi::id, wgi::lever, people::email))
        .first(conn)
        .optional()
}

/// What a leave link finds.
#[derive(Debug, PartialEq, Eq)]
pub enum Leave {
    /// Someone in the group: (lever, e-mail).
    Member(String, String),
    /// A link already used to leave the group of this lever; who it was
    /// for is not kept.
    Spent(String),
    /// A link that never was, or whose person was erased.
    Unknown,
}

/// Whom a leave link is for, or which group it already took someone out of.
pub fn look_up(conn: &mut DbConnection, token: &str) -> QueryResult<Leave> {
    if let Some((_, lever, email)) = find_by_token(conn, token)? {
        return Ok(Leave::Member(lever, email));
    }
    spent(conn, token)
}

fn spent(conn: &mut DbConnection, token: &str) -> QueryResult<Leave> {
    Ok(spent_group_links::table
        .find(links::hash(token))
        .select(spent_group_links::lever)
        .first(conn)
        .optional()?
        .map_or(Leave::Unknown, Leave::Spent))
}

/// Takes the link's person out of its working group, drops the group's
/// mail still waiting for them, and keeps the link as spent; what the link
/// found before.
pub fn leave(conn: &mut DbConnection, token: &str, now: NaiveDateTime) -> QueryResult<Leave> {
    let Some((id, lever, email)) = find_by_token(conn, token)? else {
        return spent(conn, token);
    };
    if diesel::delete(wgi::table.find(id)).execute(conn)? == 0 {
        // The same link's other click, committed while this one waited.
        return spent(conn, token);
    }
    outbox::skip_pending(
        conn,
        &format!("working-group:{id}:%"),
        "left the working group",
    )?;
    diesel::insert_into(spent_group_links::table)
        .values((
            spent_group_links::token_hash.eq(links::hash(token)),
            spent_group_links::lever.eq(&lever),
            spent_group_links::left_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Leave::Member(lever, email))
}
