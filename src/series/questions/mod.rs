//! A series' own registration questions (issue 17): their kinds, what an
//! organizer may ask, and how a registrant's answers are checked and shown.
//! Pure; the rows and queries are in `store`. On the people floor, beside
//! the series, because the registration form, its exports and the reports
//! page all read them.
//!
//! An answer is stored as the text the registrant chose (several choices as
//! a JSON array), never as a choice's index: renaming or removing a choice,
//! or archiving the question, keeps what was answered.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::registration_questions;

pub mod store;

pub const MAX_QUESTIONS: usize = 30;
pub const MAX_CHOICES: usize = 30;
pub const MAX_LABEL: usize = 200;
pub const MAX_HELP: usize = 500;
pub const MAX_ANSWER: usize = 2000;

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// One of its choices.
    Choice,
    /// Any number of its choices.
    Choices,
    /// Yes or no.
    YesNo,
    /// A rating from 1 to 5 (stored as "1".."5").
    Rating,
}

/// The kinds as codes and as organizers read them.
pub const KINDS: &[(&str, &str)] = &[
    ("text", "Text"),
    ("choice", "One choice"),
    ("choices", "Several choices"),
    ("yes_no", "Yes or no"),
    ("rating", "Rating 1–5"),
];

/// The ratings a rating question offers, as stored.
pub const RATINGS: [&str; 5] = ["1", "2", "3", "4", "5"];

/// Which form asks a question: the registration form, or the evaluation
/// after a session (issue 17). Each series has a list of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Registration,
    Evaluation,
}

impl Form {
    pub fn code(self) -> &'static str {
        match self {
            Form::Registration => "registration",
            Form::Evaluation => "evaluation",
        }
    }
}

/// Which rows are questions the registration form asks now: for a query
/// that has no series id to hand to [`store::asked`] (a session's, or a
/// registration's read of the session, `series::model::find_session_shared`).
#[diesel::dsl::auto_type]
pub fn asked_on_registration() -> _ {
    let form: &'static str = Form::Registration.code();
    registration_questions::form
        .eq(form)
        .and(registration_questions::archived_at.is_null())
}

impl Kind {
    pub fn parse(code: &str) -> Option<Kind> {
        match code {
            "text" => Some(Kind::Text),
            "choice" => Some(Kind::Choice),
            "choices" => Some(Kind::Choices),
            "yes_no" => Some(Kind::YesNo),
            "rating" => Some(Kind::Rating),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Choice => "choice",
            Kind::Choices => "choices",
            Kind::YesNo => "yes_no",
            Kind::Rating => "rating",
        }
    }

    /// Whether the organizer lists the choices.
    pub fn offers_choices(self) -> bool {
        matches!(self, Kind::Choice | Kind::Choices)
    }
}

/// The name (and id) of question `id`'s field on a form.
pub fn field_name(id: i64) -> String {
    format!("q-{id}")
}

/// A question as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = registration_questions)]
pub struct Question {
    pub id: i64,
    pub series_id: i64,
    pub position: i32,
    pub kind: String,
    pub label: String,
    pub help: String,
    /// A JSON array of text.
    pub choices: String,
    pub required: bool,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `registration` or `evaluation` (see [`Form`]).
    pub form: String,
    /// What a built-in question stands for, which the reports count
    /// (`rating`, `usefulness`, `take_back`, `lever`, `topics`,
    /// `present`); '' for the series' own. It never changes.
    pub role: String,
}

impl Question {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Text)
    }

    pub fn choice_list(&self) -> Vec<String> {
        serde_json::from_str(&self.choices).unwrap_or_default()
    }

    /// Its field's name (and id) on the registration form.
    pub fn field(&self) -> String {
        field_name(self.id)
    }

    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// A stored answer's values: the choices picked, or the one text.
    pub fn values(&self, stored: &str) -> Vec<String> {
        values(self.kind(), stored)
    }

    /// A stored answer as one line of text (several choices joined by "; ").
    pub fn shown(&self, stored: &str) -> String {
        self.values(stored).join("; ")
    }
}

/// A stored answer's values for a question of `kind`.
pub fn values(kind: Kind, stored: &str) -> Vec<String> {
    match kind {
        Kind::Choices => serde_json::from_str(stored).unwrap_or_else(|_| vec![stored.to_string()]),
        _ => vec![stored.to_string()],
    }
}

/// One question as an organizer asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The question it changes; `None` for a new one.
    pub id: Option<i64>,
    pub kind: Kind,
    pub label: String,
    pub help: String,
    pub choices: Vec<String>,
    pub required: bool,
    /// The role as sent, if it was: it must be the question's own (a new
    /// question has none).
    pub role: Option<String>,
}

impl Draft {
    /// The draft that leaves `q` as it is.
    pub fn of(q: &Question) -> Draft {
        Draft {
            id: Some(q.id),
            kind: q.kind(),
            label: q.label.clone(),
            help: q.help.clone(),
            choices: q.choice_list(),
            required: q.required,
            role: None,
        }
    }

    /// Whether `q` already reads as this draft.
    pub fn matches(&self, q: &Question) -> bool {
        Draft {
            role: None,
            ..self.clone()
        } == Draft::of(q)
    }
}

/// One question as sent, before any check.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub id: Option<i64>,
    pub kind: String,
    pub label: String,
    pub help: String,
    pub choices: Vec<String>,
    pub required: bool,
    /// The role, if the API sent one.
    pub role: Option<String>,
}

/// `asked` checked; each fault is added to `errors` under `prefix` + the
/// field's name (`questions[2].label`, or `label` on a page form).
pub fn draft(asked: &Asked, prefix: &str, errors: &mut Vec<(String, String)>) -> Option<Draft> {
    let before = errors.len();
    let mut fault =
        |field: &str, message: String| errors.push((format!("{prefix}{field}"), message));
    let kind = Kind::parse(asked.kind.trim());
    if kind.is_none() {
        fault(
            "kind",
            "must be text, choice, choices, yes_no or rating".into(),
        );
    }
    let label = asked.label.trim().to_string();
    if label.is_empty() {
        fault("label", "must not be empty".into());
    } else if label.chars().count() > MAX_LABEL {
        fault("label", format!("must be {MAX_LABEL} characters or fewer"));
    } else if let Err(e) = crate::web::hygiene::one_line(&label) {
        fault("label", e);
    }
    let help = asked.help.trim().to_string();
    if help.chars().count() > MAX_HELP {
        fault("help", format!("must be {MAX_HELP} characters or fewer"));
    }
    let choices: Vec<String> = asked
        .choices
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    match kind {
        Some(k) if k.offers_choices() => {
            if choices.is_empty() {
                fault("choices", "list at least one choice".into());
            } else if choices.len() > MAX_CHOICES {
                fault("choices", format!("at most {MAX_CHOICES} choices"));
            } else if let Some(c) = choices.iter().find(|c| {
                c.chars().count() > MAX_LABEL || crate::web::hygiene::one_line(c).is_err()
            }) {
                fault(
                    "choices",
                    format!(
                        "each choice is one line of at most {MAX_LABEL} characters (not “{}”)",
                        clip(c)
                    ),
                );
            } else if let Some(c) = choices
                .iter()
                .enumerate()
                .find(|(i, c)| choices[..*i].contains(c))
                .map(|(_, c)| c)
            {
                fault("choices", format!("“{}” is listed twice", clip(c)));
            }
        }
        Some(_) if !choices.is_empty() => {
            fault(
                "choices",
                "only a choice or choices question lists choices".into(),
            );
        }
        _ => {}
    }
    if errors.len() > before {
        return None;
    }
    Some(Draft {
        id: asked.id,
        kind: kind?,
        label,
        help,
        choices,
        required: asked.required,
        role: asked.role.as_ref().map(|r| r.trim().to_string()),
    })
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Checks a whole new list of questions against the series' `current`
/// ones (archived included): ids must be the series', each once, and a
/// question keeps its kind (its answers were given to it).
pub fn check_list(current: &[Question], drafts: &[Draft]) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    if drafts.len() > MAX_QUESTIONS {
        errors.push((
            "questions".into(),
            format!("a series asks at most {MAX_QUESTIONS} questions"),
        ));
    }
    for (i, d) in drafts.iter().enumerate() {
        let Some(id) = d.id else { continue };
        let field = format!("questions[{i}].id");
        match current.iter().find(|q| q.id == id) {
            None => errors.push((field, format!("this series has no question {id}"))),
            Some(_) if drafts[..i].iter().any(|o| o.id == Some(id)) => {
                errors.push((field, format!("question {id} is listed twice")))
            }
            Some(q) if q.kind() != d.kind => errors.push((
                format!("questions[{i}].kind"),
                "a question's kind cannot change once asked: archive it and add a new one".into(),
            )),
            Some(q) if d.role.as_ref().is_some_and(|r| *r != q.role) => errors.push((
                format!("questions[{i}].role"),
                "a question's role cannot change (the reports count it)".into(),
            )),
            // The lever question offers the levers of change, which the
            // reports count by code.
            Some(q)
                if !q.role.is_empty()
                    && q.kind().offers_choices()
                    && q.choice_list() != d.choices =>
            {
                errors.push((
                    format!("questions[{i}].choices"),
                    "a built-in question's choices cannot change".into(),
                ))
            }
            Some(_) => {}
        }
    }
    for (i, d) in drafts.iter().enumerate().filter(|(_, d)| d.id.is_none()) {
        if d.role.as_ref().is_some_and(|r| !r.is_empty()) {
            errors.push((
                format!("questions[{i}].role"),
                "only the built-in questions have a role; a new question has none".into(),
            ));
        }
    }
    errors
}

/// What a registrant sent, by question id: the values of its field (several
/// for several choices).
pub type Given = BTreeMap<i64, Vec<String>>;

/// Answers to store: `(question id, stored value)`.
pub type Answers = Vec<(i64, String)>;

/// The answers to store for `questions` (the series' questions on the
/// form): `(question id, stored value)`, none for a question left blank; or
/// a message per question at fault.
pub fn answers(questions: &[Question], given: &Given) -> Result<Answers, Vec<(i64, String)>> {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for q in questions.iter().filter(|q| !q.is_archived()) {
        let sent: Vec<&str> = given
            .get(&q.id)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if sent.is_empty() {
            if q.required {
                errors.push((q.id, format!("Answer “{}”", q.label)));
            }
            continue;
        }
        let choices = q.choice_list();
        let wrong = || format!("Choose from the options given for “{}”", q.label);
        match q.kind() {
            Kind::Text => {
                let text = sent.join("\n");
                if text.chars().count() > MAX_ANSWER {
                    errors.push((
                        q.id,
                        format!("“{}” takes at most {MAX_ANSWER} characters", q.label),
                    ));
                } else {
                    out.push((q.id, text));
                }
            }
            Kind::YesNo => match sent.as_slice() {
                [v] if matches!(*v, "yes" | "no") => out.push((q.id, (*v).to_string())),
                _ => errors.push((q.id, format!("Answer “{}” with yes or no", q.label))),
            },
            Kind::Rating => match sent.as_slice() {
                [v] if RATINGS.contains(v) => out.push((q.id, (*v).to_string())),
                _ => errors.push((q.id, format!("Rate “{}” from 1 to 5", q.label))),
            },
            Kind::Choice => match sent.as_slice() {
                [v] if choices.iter().any(|c| c == v) => out.push((q.id, (*v).to_string())),
                _ => errors.push((q.id, wrong())),
            },
            Kind::Choices => {
                if sent.iter().all(|v| choices.iter().any(|c| c == v)) {
                    // In the order offered, each once.
                    let picked: Vec<&String> = choices
                        .iter()
                        .filter(|c| sent.contains(&c.as_str()))
                        .collect();
                    out.push((q.id, serde_json::to_string(&picked).unwrap_or_default()));
                } else {
                    errors.push((q.id, wrong()));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One question's answers counted, for the reports page.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub question: Question,
    /// Registrations that answered it.
    pub answered: i64,
    /// Per value: the question's choices first, in order (zero included),
    /// then values no longer offered, most given first. Empty for text.
    pub counts: Vec<(String, i64)>,
}

/// Counts `stored` answers to `q`.
pub fn tally(q: &Question, stored: &[String]) -> Tally {
    let offered: Vec<String> = match q.kind() {
        Kind::Text => Vec::new(),
        Kind::YesNo => vec!["yes".into(), "no".into()],
        Kind::Rating => RATINGS.iter().map(|r| r.to_string()).collect(),
        _ => q.choice_list(),
    };
    let mut counts: Vec<(String, i64)> = offered.into_iter().map(|c| (c, 0)).collect();
    let mut others: BTreeMap<String, i64> = BTreeMap::new();
    if q.kind() != Kind::Text {
        for value in stored.iter().flat_map(|s| q.values(s)) {
            match counts.iter_mut().find(|(c, _)| *c == value) {
                Some((_, n)) => *n += 1,
                None => *others.entry(value).or_default() += 1,
            }
        }
    }
    let mut others: Vec<(String, i64)> = others.into_iter().collect();
    others.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.extend(others);
    Tally {
        question: q.clone(),
        answered: stored.len() as i64,
        counts,
    }
}

#[cfg(test)]
mod tests;
