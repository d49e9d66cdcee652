//! Case submissions: the participant's structured form (screened for
//! identifying details, attested, with an optional PDF or Word attachment
//! checked by its content), the facilitators' review (accepted into a
//! session's case slot | revision requested | declined, each e-mailed),
//! the hub's recommendations after the session, and the follow-up asking
//! what happened. Each write is one transaction with its e-mails and, for
//! facilitators, its audit entry.

pub mod attachment;
pub mod form;
pub mod hub;
pub mod pages;
pub mod review;
pub mod richtext;
pub mod screen;
pub mod store;
pub mod views;

pub use form::{
    parse, CaseForm, CheckedFile, NewCase, Upload, CHALLENGES, LABELS, SETTINGS, SIZE_BANDS,
};
pub use hub::{answer_follow_up, any_follow_up_due, follow_ups_due, recommend, review, Review};
pub(crate) use review::of_cohort as readings;
pub use store::{
    attachment_bytes, attachment_info, find, of_application, of_cohort, open_sessions, presented,
    resubmit, submit, visible_to, AttachmentInfo, Case, ACCEPTED, DECLINED, REVISION_REQUESTED,
    SUBMITTED,
};
pub(crate) use views::Reading;

/// The facilitators' review (API and pages), then the participant's case
/// pages.
pub fn routes(r: &mut crate::web::routes::Routes) {
    review::routes(r);
    pages::routes(r);
}
