//! Cases as facilitators and participants read them: a case with its
//! labels and its recommendations as safe HTML, and a `Reading` (a case
//! with its presenter, attachment and sessions).

use serde_json::{json, Value};

use crate::echo::cases::form::{CHALLENGES, SETTINGS, SIZE_BANDS};
use crate::echo::cases::richtext;
use crate::echo::cases::{AttachmentInfo, Case};
use crate::echo::participants::{Applied, ORGANIZATION_TYPES};
use crate::lineup::levers;
use crate::series::model::Session;

fn lookup(list: &[(&str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map_or("", |(_, l)| l)
}

impl Case {
    /// The case as pages and the API show it (recommendations as safe HTML).
    pub fn to_json(&self) -> serde_json::Value {
        let kinds: Vec<(&str, &'static str)> = ORGANIZATION_TYPES
            .iter()
            .map(|(c, l, _)| (*c, *l))
            .collect();
        json!({
            "id": self.id,
            "title": self.title,
            "organization_type": self.organization_type,
            "organization_type_label": lookup(&kinds, &self.organization_type),
            "size_band": self.size_band,
            "size_band_label": lookup(SIZE_BANDS, &self.size_band),
            "setting": self.setting,
            "setting_label": lookup(SETTINGS, &self.setting),
            "state": self.state,
            "challenge": self.challenge,
            "challenge_label": lookup(CHALLENGES, &self.challenge),
            "tried": self.tried,
            "question": self.question,
            "levers": levers::tags(&levers::from_column(&self.levers)),
            "preferred_session_id": self.preferred_session_id,
            "status": self.status,
            "revision": self.revision,
            "session_id": self.session_id,
            "review_message": self.review_message,
            "recommendations": self.recommendations,
            "recommendations_html": self.recommendations.as_deref().map(richtext::to_html),
            "follow_up_sent": self.follow_up_sent_at.is_some(),
            "follow_up_answer": self.follow_up_answer,
            "submitted_at": self.submitted_at.and_utc().to_rfc3339(),
        })
    }
}

/// A case with what facilitators read beside it.
pub(crate) struct Reading {
    pub case: Case,
    pub presenter: Option<Applied>,
    pub attachment: Option<AttachmentInfo>,
    /// The session it is scheduled into.
    pub session: Option<Session>,
    /// The session the presenter would like.
    pub preferred: Option<Session>,
}

impl Reading {
    /// `Case::to_json`, its presenter, its attachment and its sessions'
    /// times.
    pub fn to_json(&self) -> Value {
        let mut v = self.case.to_json();
        v["status_label"] = json!(self.case.status.replace('_', " "));
        v["presenter"] = json!(self.presenter.as_ref().map(|a| json!({
            "application_id": a.application.id,
            "name": format!("{} {}", a.first_name, a.last_name),
            "email": a.email,
            "organization": a.organization,
        })));
        v["attachment"] = json!(self.attachment.as_ref().map(|f| json!({
            "filename": f.filename,
            "content_type": f.content_type,
            "size_bytes": f.size_bytes,
        })));
        v["when"] = json!(self.session.as_ref().map(Session::when));
        v["session_ends_at"] = json!(self.session.as_ref().map(|s| s.ends_at_utc().to_rfc3339()));
        v["preferred_when"] = json!(self.preferred.as_ref().map(Session::when));
        v
    }
}
