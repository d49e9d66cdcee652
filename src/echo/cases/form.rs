//! The case form's rules: its fields and choices, and `parse`, which
//! checks every field, screens the free text for identifying details and
//! turns the form into a `NewCase` or a message per problem.

use serde::Serialize;

use crate::echo::cases::{attachment, screen};
use crate::echo::participants::ORGANIZATION_TYPES;
use crate::lineup::levers;
use crate::people::contact::STATES;

pub const SIZE_BANDS: &[(&str, &str)] = &[
    ("under-50", "Fewer than 50 staff"),
    ("50-199", "50 to 199 staff"),
    ("200-499", "200 to 499 staff"),
    ("500-plus", "500 staff or more"),
];

pub const SETTINGS: &[(&str, &str)] = &[
    ("rural", "Rural"),
    ("urban", "Urban"),
    ("mixed", "Mixed rural and urban"),
];

pub const CHALLENGES: &[(&str, &str)] = &[
    ("recruitment", "Recruitment"),
    ("retention", "Retention"),
    ("burnout", "Burnout and well-being"),
    ("supervision", "Supervision"),
    ("pay", "Pay and benefits"),
    ("other", "Something else"),
];

/// The form's fields, what people call them, in form order.
pub const LABELS: &[(&str, &str)] = &[
    ("title", "Title"),
    ("organization_type", "Type of organization"),
    ("size_band", "Size"),
    ("setting", "Setting"),
    ("state", "State"),
    ("challenge", "The workforce challenge"),
    ("challenge_text", "The challenge in your words"),
    ("tried", "What you have tried"),
    ("question", "Your question for the hub"),
    ("levers", "Levers of change"),
    ("preferred_session_id", "Preferred session"),
    ("attachment", "Attachment"),
    ("attest", "Attestation"),
];

fn label(field: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("A field", |(_, l)| l)
}

/// The case form as sent (text fields, and the file if one came).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseForm {
    pub title: String,
    pub organization_type: String,
    pub size_band: String,
    pub setting: String,
    pub state: String,
    pub challenge: String,
    pub challenge_text: String,
    pub tried: String,
    pub question: String,
    pub levers: Vec<String>,
    pub preferred_session_id: String,
    pub attest: bool,
    #[serde(skip)]
    pub attachment: Option<Upload>,
}

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// An attachment that passed the check.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// A case whose every field has been checked and screened.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub title: String,
    pub organization_type: &'static str,
    pub size_band: &'static str,
    pub setting: &'static str,
    pub state: &'static str,
    pub challenge: &'static str,
    pub challenge_text: String,
    pub tried: String,
    pub question: String,
    pub levers: Vec<&'static str>,
    pub preferred_session_id: Option<i64>,
    pub attachment: Option<CheckedFile>,
}

/// Free text: line ends kept (the screen names lines), surrounding space
/// trimmed, no control characters but line ends and tabs.
fn long_text(errors: &mut Vec<(String, String)>, field: &str, value: &str, max: usize) -> String {
    let clean = value.replace("\r\n", "\n").trim().to_string();
    if clean.is_empty() {
        errors.push((field.into(), format!("{}: fill this in.", label(field))));
    } else if clean.chars().count() > max {
        errors.push((
            field.into(),
            format!("{}: at most {max} characters.", label(field)),
        ));
    } else if clean
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push((
            field.into(),
            format!(
                "{}: contains characters that are not allowed.",
                label(field)
            ),
        ));
    }
    clean
}

fn choice(
    errors: &mut Vec<(String, String)>,
    field: &str,
    value: &str,
    list: &[(&'static str, &'static str)],
) -> Option<&'static str> {
    let found = list
        .iter()
        .find(|(c, _)| *c == value.trim())
        .map(|(c, _)| *c);
    if found.is_none() {
        errors.push((field.into(), format!("{}: choose one.", label(field))));
    }
    found
}

/// Checks the form: a `NewCase`, or a message per problem (each finding
/// of the screen is one, naming the field, the line and what it found).
/// `sessions` are the ones the case may prefer.
pub fn parse(
    form: &CaseForm,
    sessions: &[i64],
    max_bytes: usize,
) -> Result<NewCase, Vec<(String, String)>> {
    let mut e = Vec::new();
    let title = long_text(&mut e, "title", &form.title, 200).replace('\n', " ");
    let kinds: Vec<(&str, &str)> = ORGANIZATION_TYPES
        .iter()
        .map(|(c, l, _)| (*c, *l))
        .collect();
    let organization_type = choice(&mut e, "organization_type", &form.organization_type, &kinds);
    let size_band = choice(&mut e, "size_band", &form.size_band, SIZE_BANDS);
    let setting = choice(&mut e, "setting", &form.setting, SETTINGS);
    let state = choice(&mut e, "state", &form.state, STATES);
    let challenge = choice(&mut e, "challenge", &form.challenge, CHALLENGES);
    let challenge_text = long_text(&mut e, "challenge_text", &form.challenge_text, 5000);
    let tried = long_text(&mut e, "tried", &form.tried, 5000);
    let question = long_text(&mut e, "question", &form.question, 2000);
    let lever_codes = levers::parse(&form.levers)
        .map_err(|m| e.push(("levers".into(), format!("{}: {m}", label("levers")))))
        .ok();
    let preferred_session_id = match form.preferred_session_id.trim() {
        "" => None,
        id => match id.parse::<i64>().ok().filter(|id| sessions.contains(id)) {
            Some(id) => Some(id),
            None => {
                e.push((
                    "preferred_session_id".into(),
                    "Preferred session: choose one of the cohort's coming sessions.".into(),
                ));
                None
            }
        },
    };
    let attachment = match &form.attachment {
        None => None,
        Some(upload) => match attachment::check(&upload.filename, &upload.bytes, max_bytes) {
            Ok(kind) => Some(CheckedFile {
                filename: attachment::safe_filename(&upload.filename, kind),
                content_type: kind.content_type(),
                bytes: upload.bytes.clone(),
            }),
            Err(refusal) => {
                e.push((
                    "attachment".into(),
                    format!("{}: {refusal}", label("attachment")),
                ));
                None
            }
        },
    };
    // A field already refused (too long, say) is not screened: its text is
    // not kept, and screening it would be work done for nothing.
    let screened: Vec<(&str, &str)> = [
        ("title", &title),
        ("challenge_text", &challenge_text),
        ("tried", &tried),
        ("question", &question),
    ]
    .into_iter()
    .filter(|(field, _)| e.iter().all(|(refused, _)| refused != field))
    .map(|(field, text)| (field, text.as_str()))
    .collect();
    for finding in screen::screen(&screened) {
        let field = finding.field.clone();
        e.push((field.clone(), finding.message(label(&field))));
    }
    if !form.attest {
        e.push((
            "attest".into(),
            "Attestation: confirm that the case identifies no client or employee.".into(),
        ));
    }
    match (
        organization_type,
        size_band,
        setting,
        state,
        challenge,
        lever_codes,
    ) {
        (
            Some(organization_type),
            Some(size_band),
            Some(setting),
            Some(state),
            Some(challenge),
            Some(levers),
        ) if e.is_empty() => Ok(NewCase {
            title,
            organization_type,
            size_band,
            setting,
            state,
            challenge,
            challenge_text,
            tried,
            question,
            levers,
            preferred_session_id,
            attachment,
        }),
        _ => Err(e),
    }
}
