//! The series' own questions on the registration form and in the
//! organizer's exports: reading what the form or the API sent, a message
//! per question at fault, the questions as page data, and the answers as
//! the API and the CSV show them. The rules are `series::questions`'.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::people::contact::RegistrationForm;
use crate::series::questions::{self, store::Sheet, Answers, Given, Kind, Question};

/// The registration API's body: the public form's fields, and the answers.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AddRegistration {
    #[serde(flatten)]
    pub form: RegistrationForm,
    /// Answers to the series' registration questions, by question id
    /// (`{"12": "text", "13": ["a", "b"], "14": "yes"}`): text, one choice,
    /// a list of choices, yes/no (`"yes"`/`"no"` or `true`/`false`), or a
    /// rating 1 to 5 (`"4"` or `4`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
}

/// The values posted under each question's field (`q-<id>`), by question.
pub fn given_from_pairs(pairs: &[(String, String)]) -> Given {
    let mut given = Given::new();
    for (name, value) in pairs {
        if let Some(id) = name
            .strip_prefix("q-")
            .and_then(|id| id.parse::<i64>().ok())
        {
            given.entry(id).or_default().push(value.clone());
        }
    }
    given
}

/// The registration form's own fields: everything but the questions'.
pub fn form_pairs(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(name, _)| !name.starts_with("q-")))
        .finish()
}

/// The API's `answers`, or a message per entry that cannot be one.
pub fn given_from_json(answers: &BTreeMap<String, Value>) -> Result<Given, Vec<(String, String)>> {
    let (mut given, mut errors) = (Given::new(), Vec::new());
    for (key, value) in answers {
        let field = format!("answers.{key}");
        let Ok(id) = key.trim().parse::<i64>() else {
            errors.push((field, "answers are keyed by question id".into()));
            continue;
        };
        let values = match value {
            Value::Null => Some(Vec::new()),
            Value::String(s) => Some(vec![s.clone()]),
            Value::Bool(b) => Some(vec![if *b { "yes" } else { "no" }.to_string()]),
            // A rating may come as a number.
            Value::Number(n) => Some(vec![n.to_string()]),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        match values {
            Some(values) => {
                given.insert(id, values);
            }
            None => errors.push((
                field,
                "must be text, a number, a list of text, or true/false".into(),
            )),
        }
    }
    if errors.is_empty() {
        Ok(given)
    } else {
        Err(errors)
    }
}

/// `given` checked against the form's `questions`: the answers to store,
/// or a message per question under its field's name (`field(id)`). With
/// `strict` (the API), an answer to a question the form does not ask
/// (another series', or archived) is refused; the page's form, which may
/// have been opened before a question was archived, drops it.
pub fn check(
    questions: &[Question],
    given: &Given,
    strict: bool,
    field: impl Fn(i64) -> String,
) -> Result<Answers, Vec<(String, String)>> {
    let mut errors = Vec::new();
    for id in given.keys().filter(|_| strict) {
        if !questions.iter().any(|q| q.id == *id) {
            errors.push((field(*id), "this form asks no such question".to_string()));
        }
    }
    let answers = questions::answers(questions, given).map_err(|e| {
        e.into_iter()
            .map(|(id, m)| (field(id), m))
            .collect::<Vec<_>>()
    });
    match answers {
        Ok(answers) if errors.is_empty() => Ok(answers),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// The questions as the form shows them, with what was sent and the
/// message for each at fault.
pub fn form_questions(
    questions: &[Question],
    given: &Given,
    errors: &[(String, String)],
) -> Vec<Value> {
    questions
        .iter()
        .map(|q| {
            let field = q.field();
            let sent = given.get(&q.id).cloned().unwrap_or_default();
            let options: Vec<(String, String)> = match q.kind() {
                Kind::YesNo => vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
                Kind::Choice | Kind::Choices => q
                    .choice_list()
                    .into_iter()
                    .map(|c| (c.clone(), c))
                    .collect(),
                Kind::Rating => questions::RATINGS
                    .iter()
                    .map(|r| (r.to_string(), r.to_string()))
                    .collect(),
                Kind::Text => Vec::new(),
            };
            let error = errors
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m.clone());
            json!({
                "field": field,
                "label": q.label,
                "help": q.help,
                "required": q.required,
                "text": q.kind() == Kind::Text,
                "several": q.kind() == Kind::Choices,
                "rating": q.kind() == Kind::Rating,
                "value": sent.first().cloned().unwrap_or_default(),
                "options": options.iter().enumerate().map(|(i, (value, label))| json!({
                    "id": format!("{field}-{i}"),
                    "value": value,
                    "label": label,
                    "checked": sent.contains(value),
                })).collect::<Vec<_>>(),
                "error": error,
            })
        })
        .collect()
}

/// One answer as the organizer API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerItem {
    pub question_id: i64,
    /// The question as it reads now.
    pub label: String,
    /// text, choice, choices or yes_no.
    pub kind: String,
    /// The question is no longer asked; its answers are kept.
    pub archived: bool,
    /// What was answered: the text, the choice, each choice picked, or
    /// yes/no. A choice renamed since keeps the text that was chosen.
    pub values: Vec<String>,
}

/// Registration `reg`'s answers, in the questions' order.
pub fn items(sheet: &Sheet, reg: i64) -> Vec<AnswerItem> {
    sheet
        .answers_of(reg)
        .into_iter()
        .map(|(q, stored)| AnswerItem {
            question_id: q.id,
            label: q.label.clone(),
            kind: q.kind.clone(),
            archived: q.is_archived(),
            values: q.values(stored),
        })
        .collect()
}

/// The CSV's columns for the questions: one per question ever asked.
pub fn csv_headers(sheet: &Sheet) -> Vec<String> {
    sheet
        .questions
        .iter()
        .map(|q| {
            if q.is_archived() {
                format!("{} (archived)", q.label)
            } else {
                q.label.clone()
            }
        })
        .collect()
}

/// Registration `reg`'s cells under `csv_headers`.
pub fn csv_cells(sheet: &Sheet, reg: i64) -> Vec<String> {
    sheet
        .questions
        .iter()
        .map(|q| sheet.answer(reg, q).map(|v| q.shown(v)).unwrap_or_default())
        .collect()
}

/// The export of a person's registration answers (see `personal`).
pub fn exported(sheet: &Sheet, reg: i64) -> Vec<Value> {
    sheet
        .answers_of(reg)
        .into_iter()
        .map(|(q, stored)| json!({ "question": q.label, "answer": q.values(stored) }))
        .collect()
}
