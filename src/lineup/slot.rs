//! A place in a lineup as stored (`Slot`) and shown, and what lineup
//! writes need from configuration (`Policy`, the presenters' prep call).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::config::{PublicUrl, Settings};
use crate::db::schema::lineup_slots;
use crate::lineup::levers;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = lineup_slots)]
pub struct Slot {
    pub id: i64,
    pub session_id: i64,
    pub position: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    pub talk_title: String,
    pub talk_abstract: String,
    pub minutes: Option<i32>,
    pub bio: String,
    pub levers: String,
    pub status: String,
    /// SHA-256 of the answer links' token (see `links`).
    pub response_token_hash: Option<String>,
    pub token_expires_at: Option<NaiveDateTime>,
    pub invitations_sent: i32,
    pub invited_at: Option<NaiveDateTime>,
    pub responded_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The answer links' token, sealed under the link key.
    pub response_token_sealed: Option<String>,
}

impl Slot {
    /// For the organizer API (never the response token).
    pub fn view(&self) -> LineupSlot {
        let iso = |t: NaiveDateTime| t.and_utc().to_rfc3339();
        LineupSlot {
            id: self.id,
            session_id: self.session_id,
            position: self.position,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            talk_title: self.talk_title.clone(),
            talk_abstract: self.talk_abstract.clone(),
            minutes: self.minutes,
            bio: self.bio.clone(),
            levers: levers::from_column(&self.levers)
                .into_iter()
                .map(String::from)
                .collect(),
            status: self.status.clone(),
            invitations_sent: self.invitations_sent,
            invited_at: self.invited_at.map(iso),
            token_expires_at: self.token_expires_at.map(iso),
            responded_at: self.responded_at.map(iso),
            reminded_at: self.reminded_at.map(iso),
        }
    }

    /// `view` as JSON, for pages that add to it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.view()).unwrap_or_default()
    }

    /// What the audit log keeps of a slot: no e-mail address, no token.
    pub(crate) fn summary(&self) -> serde_json::Value {
        json!({
            "session_id": self.session_id,
            "position": self.position,
            "name": self.name,
            "role": self.role,
            "talk_title": self.talk_title,
            "levers": self.levers,
            "status": self.status,
        })
    }

    /// For public pages and e-mails: who, in which part, on what.
    pub fn public_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "role": self.role,
            "talk_title": self.talk_title,
            "bio": self.bio,
            "levers": levers::tags(&levers::from_column(&self.levers)),
        })
    }
}

/// One place in a lineup (never its response token).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LineupSlot {
    pub id: i64,
    pub session_id: i64,
    /// 1, 2, 3 … in the lineup.
    pub position: i32,
    pub name: String,
    pub email: String,
    /// presenter, moderator or panelist.
    pub role: String,
    pub talk_title: String,
    #[serde(rename = "abstract")]
    pub talk_abstract: String,
    pub minutes: Option<i32>,
    pub bio: String,
    /// Lever codes.
    pub levers: Vec<String>,
    /// draft, invited, confirmed, declined or withdrawn.
    pub status: String,
    pub invitations_sent: i32,
    /// RFC 3339, UTC.
    pub invited_at: Option<String>,
    /// When the invitation's link stops working.
    pub token_expires_at: Option<String>,
    pub responded_at: Option<String>,
    pub reminded_at: Option<String>,
}

/// What lineup writes need from configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub public_url: PublicUrl,
    pub response_valid: Duration,
    pub remind_after: Duration,
    /// The prep call confirmed presenters are invited to, if any.
    pub prep_call: Option<PrepCall>,
}

/// When and where presenters meet before a session.
#[derive(Debug, Clone)]
pub struct PrepCall {
    pub days_before: u32,
    pub time: chrono::NaiveTime,
    pub length: Duration,
    /// Empty: the session's own join link.
    pub join_url: String,
}

impl Policy {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            public_url: s.http.public_url.clone(),
            response_valid: Duration::days(i64::from(s.lineup.response_valid_days)),
            remind_after: Duration::days(i64::from(s.lineup.remind_after_days)),
            prep_call: (s.lineup.prep_call_days_before > 0).then(|| PrepCall {
                days_before: s.lineup.prep_call_days_before,
                time: s.lineup.prep_call_time,
                length: Duration::minutes(i64::from(s.lineup.prep_call_minutes.max(1))),
                join_url: s.lineup.prep_call_join_url.clone(),
            }),
        }
    }
}
