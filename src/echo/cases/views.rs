//! Cases as facilitators and participants read them: a case with its
//! labels and its recommendations as safe HTML (`CaseView`), and a
//! `Reading` (a case with its presenter, attachment and sessions) shown as
//! a `CaseReading`. The API returns these types and its OpenAPI document
//! describes them; the pages render the same.

use serde::Serialize;

use crate::echo::cases::form::{CHALLENGES, SETTINGS, SIZE_BANDS};
use crate::echo::cases::richtext;
use crate::echo::cases::{AttachmentInfo, Case};
use crate::echo::participants::{Applied, ORGANIZATION_TYPES};
use crate::lineup::levers::{self, LeverTag};
use crate::series::model::Session;

fn lookup(list: &[(&str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map_or("", |(_, l)| l)
}

impl Case {
    /// The case as pages and the API show it (recommendations as safe HTML).
    pub fn view(&self) -> CaseView {
        let kinds: Vec<(&str, &'static str)> = ORGANIZATION_TYPES
            .iter()
            .map(|(c, l, _)| (*c, *l))
            .collect();
        CaseView {
            id: self.id,
            title: self.title.clone(),
            organization_type: self.organization_type.clone(),
            organization_type_label: lookup(&kinds, &self.organization_type).to_string(),
            size_band: self.size_band.clone(),
            size_band_label: lookup(SIZE_BANDS, &self.size_band).to_string(),
            setting: self.setting.clone(),
            setting_label: lookup(SETTINGS, &self.setting).to_string(),
            state: self.state.clone(),
            challenge: self.challenge.clone(),
            challenge_label: lookup(CHALLENGES, &self.challenge).to_string(),
            challenge_text: self.challenge_text.clone(),
            tried: self.tried.clone(),
            question: self.question.clone(),
            levers: levers::tags(&levers::from_column(&self.levers)),
            preferred_session_id: self.preferred_session_id,
            status: self.status.clone(),
            revision: self.revision,
            session_id: self.session_id,
            review_message: self.review_message.clone(),
            recommendations: self.recommendations.clone(),
            recommendations_html: self.recommendations.as_deref().map(richtext::to_html),
            follow_up_sent: self.follow_up_sent_at.is_some(),
            follow_up_answer: self.follow_up_answer.clone(),
            submitted_at: self.submitted_at.and_utc().to_rfc3339(),
        }
    }
}

/// A case as its presenter and facilitators read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub title: String,
    /// Each code below with its label as people read it.
    pub organization_type: String,
    pub organization_type_label: String,
    pub size_band: String,
    pub size_band_label: String,
    pub setting: String,
    pub setting_label: String,
    /// Two-letter state code.
    pub state: String,
    pub challenge: String,
    pub challenge_label: String,
    /// The challenge in the presenter's words.
    pub challenge_text: String,
    /// What has been tried so far.
    pub tried: String,
    /// The question for the hub.
    pub question: String,
    pub levers: Vec<LeverTag>,
    pub preferred_session_id: Option<i64>,
    /// submitted, accepted, revision_requested or declined.
    pub status: String,
    /// 1, then one more per resubmission.
    pub revision: i32,
    /// The session it is scheduled into, once accepted.
    pub session_id: Option<i64>,
    /// The facilitators' message with their review.
    pub review_message: Option<String>,
    /// The hub's recommendations, Markdown.
    pub recommendations: Option<String>,
    /// The same as safe HTML.
    pub recommendations_html: Option<String>,
    /// Whether the presenter has been asked what came of them.
    pub follow_up_sent: bool,
    pub follow_up_answer: Option<String>,
    /// RFC 3339, UTC.
    pub submitted_at: String,
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
    /// The case, its presenter, its attachment and its sessions' times.
    pub fn view(&self) -> CaseReading {
        CaseReading {
            case: self.case.view(),
            status_label: self.case.status.replace('_', " "),
            presenter: self.presenter.as_ref().map(|a| CasePresenter {
                application_id: a.application.id,
                name: format!("{} {}", a.first_name, a.last_name),
                email: a.email.clone(),
                organization: a.organization.clone(),
            }),
            attachment: self.attachment.as_ref().map(|f| CaseAttachment {
                filename: f.filename.clone(),
                content_type: f.content_type.clone(),
                size_bytes: f.size_bytes,
            }),
            when: self.session.as_ref().map(Session::when),
            session_ends_at: self.session.as_ref().map(|s| s.ends_at_utc().to_rfc3339()),
            preferred_when: self.preferred.as_ref().map(Session::when),
        }
    }
}

/// A case as facilitators read it: with its presenter, its attachment and
/// its sessions' times.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseReading {
    #[serde(flatten)]
    pub case: CaseView,
    /// The status as people read it.
    pub status_label: String,
    pub presenter: Option<CasePresenter>,
    pub attachment: Option<CaseAttachment>,
    /// The session it is scheduled into, as people read it.
    pub when: Option<String>,
    /// RFC 3339, UTC.
    pub session_ends_at: Option<String>,
    /// The session the presenter would like, as people read it.
    pub preferred_when: Option<String>,
}

/// Who presents a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CasePresenter {
    pub application_id: i64,
    pub name: String,
    pub email: String,
    pub organization: String,
}

/// A case's attachment (its bytes are a download of their own).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseAttachment {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A cohort's cases.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub cases: Vec<CaseReading>,
}
