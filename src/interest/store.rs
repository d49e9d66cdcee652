//! Interest submissions and the proposals queue. Each write is one
//! transaction with its e-mails and, for organizers' decisions, its audit
//! entry.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::db::schema::{people, proposals, working_group_interests};
use crate::db::DbConnection;
use crate::interest::domain::Interest;
use crate::lineup::levers;
use crate::lists::{self, ListPolicy, Subscriber};
use crate::mail::outbox;
use crate::mail::NewMessage;

pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";
pub const DECLINED: &str = "declined";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: i64,
    pub person_id: i64,
    pub topic: String,
    pub abstract_: String,
    pub levers: String,
    pub preferred_months: String,
    pub status: String,
    pub decision_message: Option<String>,
    pub session_id: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A proposal as the organizer's queue shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ProposalItem {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organization: String,
    pub topic: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// `[{code, label}]`
    pub levers: Vec<levers::LeverTag>,
    /// "YYYY-MM"
    pub preferred_months: Vec<String>,
    /// pending, accepted or declined
    pub status: String,
    pub decision_message: Option<String>,
    pub session_id: Option<i64>,
    pub created_at: String,
}

/// A proposal with who made it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub proposal: ProposalRow,
    pub name: String,
    pub email: String,
    pub organization: String,
}

impl Queued {
    /// As the organizer's queue shows it.
    pub fn item(&self) -> ProposalItem {
        let p = &self.proposal;
        ProposalItem {
            id: p.id,
            name: self.name.clone(),
            email: self.email.clone(),
            organization: self.organization.clone(),
            topic: p.topic.clone(),
            abstract_text: p.abstract_.clone(),
            levers: levers::tags(&levers::from_column(&p.levers)),
            preferred_months: p
                .preferred_months
                .split(',')
                .filter(|m| !m.is_empty())
                .map(String::from)
                .collect(),
            status: p.status.clone(),
            decision_message: p.decision_message.clone(),
            session_id: p.session_id,
            created_at: p.created_at.and_utc().to_rfc3339(),
        }
    }

    /// `item` as JSON, for the queue page.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.item()).unwrap_or_default()
    }
}

/// Writes a submission: the person (filling only blanks), the list
/// request, the proposal, the working-group interest, and a receipt.
pub fn submit(
    conn: &mut DbConnection,
    interest: &Interest,
    list: Option<&str>,
    policy: &ListPolicy,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let p = &interest.person;
    let subscriber = Subscriber {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        organization: p.organization.clone(),
        sector: p.sector,
        state: p.state,
        lists: Vec::new(),
    };
    let person_id = lists::upsert_subscriber(conn, &subscriber, now)?;
    if let (true, Some(list)) = (interest.join_list, list) {
        lists::ask_to_confirm(conn, person_id, &[list.to_string()], policy, now)?;
    }
    let mut asked = Vec::new();
    if let Some(proposal) = &interest.proposal {
        diesel::insert_into(proposals::table)
            .values((
                proposals::person_id.eq(person_id),
                proposals::topic.eq(&proposal.topic),
                proposals::abstract_.eq(&proposal.abstract_text),
                proposals::levers.eq(proposal.levers.join(",")),
                proposals::preferred_months.eq(proposal.months.join(",")),
                proposals::status.eq(PENDING),
                proposals::created_at.eq(now),
                proposals::updated_at.eq(now),
            ))
            .execute(conn)?;
        // Not the topic itself: whoever posted may have typed someone
        // else's address, and the receipt must not carry their words.
        asked.push("to present at a Jam".to_string());
    }
    if let Some(lever) = interest.working_group {
        let sql = conn.sql(
            "INSERT INTO working_group_interests (person_id, lever, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (person_id, lever) DO NOTHING",
        );
        diesel::sql_query(sql)
            .bind::<diesel::sql_types::BigInt, _>(person_id)
            .bind::<diesel::sql_types::Text, _>(lever)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(conn)?;
        asked.push(format!(
            "to join the {} working group",
            levers::label(lever).unwrap_or(lever)
        ));
    }
    if !asked.is_empty() {
        let message = NewMessage {
            key: format!(
                "person:{person_id}:interest:{}",
                now.and_utc().timestamp_micros()
            ),
            template: "interest_received",
            recipient: p.email.as_str().to_string(),
            context: json!({
                "first_name": p.first_name,
                "asked": asked,
                "subscribe_url": policy.public_url.join("/interest"),
            }),
            calendar: None,
        };
        outbox::enqueue_public(conn, &message, policy.mail_cap, now)?;
    }
    Ok(person_id)
}

/// The queue, oldest first, optionally of one status.
pub fn list(conn: &mut DbConnection, status: Option<&str>) -> QueryResult<Vec<Queued>> {
    let mut query = proposals::table
        .inner_join(people::table)
        .select((
            ProposalRow::as_select(),
            people::first_name,
            people::last_name,
            people::email,
            people::organization,
        ))
        .order(proposals::created_at.asc())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(proposals::status.eq(status.to_string()));
    }
    Ok(query
        .load::<(ProposalRow, String, String, String, String)>(conn)?
        .into_iter()
        .map(|(proposal, first, last, email, organization)| Queued {
            proposal,
            name: format!("{first} {last}"),
            email,
            organization,
        })
        .collect())
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Queued>> {
    Ok(list(conn, None)?.into_iter().find(|q| q.proposal.id == id))
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("no proposal {0}")]
    NotFound(i64),
    #[error("proposal {0} was already {1}")]
    Decided(i64, String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<diesel::result::Error> for DecideError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

fn pending(conn: &mut DbConnection, id: i64) -> Result<Queued, DecideError> {
    let q = find(conn, id)?.ok_or(DecideError::NotFound(id))?;
    if q.proposal.status != PENDING {
        return Err(DecideError::Decided(id, q.proposal.status.clone()));
    }
    Ok(q)
}

/// Declines with a message to the proposer.
pub fn decline(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    message: &str,
    now: NaiveDateTime,
) -> Result<(), DecideError> {
    let q = pending(conn, id)?;
    diesel::update(proposals::table.find(id))
        .set((
            proposals::status.eq(DECLINED),
            proposals::decision_message.eq(Some(message)),
            proposals::decided_at.eq(Some(now)),
            proposals::updated_at.eq(now),
        ))
        .execute(conn)?;
    let first_name = q.name.split(' ').next().unwrap_or("").to_string();
    outbox::enqueue(
        conn,
        &NewMessage {
            key: format!("proposal:{id}:declined"),
            template: "proposal_declined",
            recipient: q.email.clone(),
            context: json!({ "first_name": first_name, "topic": q.proposal.topic, "message": message }),
            calendar: None,
        },
        now,
    )?;
    audit::record(
        conn,
        actor,
        "proposal.decline",
        &format!("proposal:{id}"),
        Some(json!({ "status": PENDING })),
        Some(json!({ "status": DECLINED })),
        now,
    )?;
    Ok(())
}

/// Marks a proposal accepted into `session_id` (the lineup slot is made by
/// the caller in the same transaction).
pub fn mark_accepted(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    session_id: i64,
    now: NaiveDateTime,
) -> Result<Queued, DecideError> {
    let q = pending(conn, id)?;
    diesel::update(proposals::table.find(id))
        .set((
            proposals::status.eq(ACCEPTED),
            proposals::session_id.eq(Some(session_id)),
            proposals::decided_at.eq(Some(now)),
            proposals::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "proposal.accept",
        &format!("proposal:{id}"),
        Some(json!({ "status": PENDING })),
        Some(json!({ "status": ACCEPTED, "session_id": session_id })),
        now,
    )?;
    Ok(q)
}

/// People who would join a lever's working group.
pub fn working_group(conn: &mut DbConnection, lever: &str) -> QueryResult<Vec<(String, String)>> {
    working_group_interests::table
        .inner_join(people::table)
        .filter(working_group_interests::lever.eq(lever))
        .order(working_group_interests::created_at.asc())
        .select((people::email, people::organization))
        .load(conn)
}
