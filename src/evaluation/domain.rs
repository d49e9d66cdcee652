//! The evaluation's rules: reading a post, checking the answers against the
//! series' evaluation questions, and what the answers mean (took an idea
//! back, volunteered to present, which lever). No I/O.

use serde::Serialize;

use super::questions::{LEVER, PRESENT, TAKE_BACK};
use crate::lineup::levers;
use crate::people::contact::{self, Asks, ContactFields, FieldErrors, Registrant};
use crate::registration::answers;
use crate::series::questions::{field_name, Answers, Given, Question};

/// What the anonymous form asks of someone who says they would present:
/// who they are (otherwise no one could answer them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VolunteerForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// A post to an evaluation form, as sent.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    /// By question: the values of its field (`q-<id>`).
    pub given: Given,
    pub volunteer: VolunteerForm,
}

impl Sent {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut volunteer = VolunteerForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "first_name" => volunteer.first_name = value.clone(),
                "last_name" => volunteer.last_name = value.clone(),
                "email" => volunteer.email = value.clone(),
                _ => {}
            }
        }
        Sent {
            given: answers::given_from_pairs(pairs),
            volunteer,
        }
    }
}

/// An evaluation checked: the answers to store and what they say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub answers: Answers,
    /// The "take back" answer is not empty.
    pub took_back: bool,
    /// "Would you present?" was answered yes.
    pub present: bool,
    /// The lever of change chosen, if any (a code).
    pub lever: Option<&'static str>,
}

/// One message per field at fault, in the form's order.
pub type Faults = Vec<(String, String)>;

/// `sent` checked against the form's `questions`; on the anonymous form
/// (`anonymous`) a yes to "would you present?" also needs a name and an
/// address, and the volunteer is who they said. A registrant volunteers as
/// themselves (`None` here).
pub fn check(
    questions: &[Question],
    sent: &Sent,
    anonymous: bool,
) -> Result<(Checked, Option<Registrant>), Faults> {
    let checked = answers::check(questions, &sent.given, false, field_name);
    let mut faults = checked.as_ref().err().cloned().unwrap_or_default();
    let role_of = |id: i64| {
        questions
            .iter()
            .find(|q| q.id == id)
            .map_or("", |q| q.role.as_str())
    };
    let answers = checked.unwrap_or_default();
    let answer = |role: &str| {
        answers
            .iter()
            .find(|(id, _)| role_of(*id) == role)
            .map(|(_, v)| v.as_str())
    };
    let present = answer(PRESENT) == Some("yes");
    // A yes asks for a name even while other answers are refused.
    let said_yes = questions
        .iter()
        .filter(|q| q.role == PRESENT && !q.is_archived())
        .filter_map(|q| sent.given.get(&q.id))
        .any(|v| v.iter().any(|x| x.trim() == "yes"));
    let volunteer = if anonymous && said_yes {
        volunteer(&sent.volunteer)
            .map_err(|e| faults.extend(e))
            .ok()
    } else {
        None
    };
    if !faults.is_empty() {
        return Err(faults);
    }
    let checked = Checked {
        took_back: answer(TAKE_BACK).is_some_and(|v| !v.trim().is_empty()),
        present,
        lever: answer(LEVER)
            .and_then(|code| levers::LEVERS.iter().map(|(c, _)| *c).find(|c| *c == code)),
        answers,
    };
    Ok((checked, volunteer))
}

/// The anonymous volunteer's name and address, or a message per field.
fn volunteer(form: &VolunteerForm) -> Result<Registrant, Faults> {
    let mut errors = FieldErrors::default();
    let fields = ContactFields {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        ..ContactFields::default()
    };
    let asks = Asks {
        organization: None,
        job_title: None,
        sector: None,
        state: None,
    };
    match contact::contact(&mut errors, &fields, &asks) {
        Some(c) if errors.is_empty() => Ok(Registrant {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            organization: c.organization,
            job_title: c.job_title,
            sector: c.sector,
            state: c.state,
            subscribe: false,
        }),
        _ => Err(errors
            .0
            .into_iter()
            .map(|e| {
                let message = match e.field {
                    "email" if form.email.trim().is_empty() => {
                        "Enter your e-mail address so we can talk about presenting.".to_string()
                    }
                    _ => e.message,
                };
                (e.field.to_string(), message)
            })
            .collect()),
    }
}

/// What the proposal of someone who said yes reads, for the organizers'
/// queue: where it came from, and the answers that say what they might
/// bring. (`session` is the session's title, `date` its day.)
pub fn proposal_words(
    session: &str,
    date: &str,
    questions: &[Question],
    c: &Checked,
) -> (String, String) {
    let title: String = session.chars().take(150).collect();
    let topic = format!("Offered to present, after “{title}”");
    let mut text = format!(
        "Answered yes to “Would you present at a Jam?” in the evaluation of “{session}” ({date})."
    );
    for q in questions
        .iter()
        .filter(|q| q.role == TAKE_BACK || q.role == super::questions::TOPICS)
    {
        if let Some((_, v)) = c.answers.iter().find(|(id, _)| *id == q.id) {
            text.push_str(&format!("\n\n{}\n{}", q.label, v));
        }
    }
    let text: String = text.chars().take(3000).collect();
    (topic, text)
}

/// Why an evaluation form is not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The session has not ended yet.
    NotYet,
    Cancelled,
}

/// Whether a session that ends at `ends` (`cancelled` or not) takes
/// evaluations at `now`: once it has ended, unless it was cancelled.
pub fn open(
    ends: chrono::NaiveDateTime,
    cancelled: bool,
    now: chrono::NaiveDateTime,
) -> Result<(), Closed> {
    if cancelled {
        Err(Closed::Cancelled)
    } else if ends > now {
        Err(Closed::NotYet)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::questions::Kind;

    fn q(id: i64, kind: Kind, role: &str, required: bool) -> Question {
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let choices = if role == LEVER {
            r#"["payment","technology"]"#
        } else {
            "[]"
        };
        Question {
            id,
            series_id: 1,
            position: id as i32,
            kind: kind.code().into(),
            label: format!("Question {id}"),
            help: String::new(),
            choices: choices.into(),
            required,
            archived_at: None,
            created_at: t,
            updated_at: t,
            form: "evaluation".into(),
            role: role.into(),
        }
    }

    fn questions() -> Vec<Question> {
        vec![
            q(1, Kind::Rating, "rating", true),
            q(2, Kind::Text, TAKE_BACK, false),
            q(3, Kind::Choice, LEVER, false),
            q(4, Kind::YesNo, PRESENT, false),
        ]
    }

    fn sent(pairs: &[(&str, &str)]) -> Sent {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Sent::from_pairs(&pairs)
    }

    #[test]
    fn answers_say_what_came_of_the_session() {
        let (c, who) = check(
            &questions(),
            &sent(&[
                ("q-1", "5"),
                ("q-2", "The peer model"),
                ("q-3", "payment"),
                ("q-4", "yes"),
            ]),
            false,
        )
        .unwrap();
        assert!(c.took_back && c.present);
        assert_eq!(c.lever, Some("payment"));
        assert!(who.is_none(), "a registrant volunteers as themselves");
        let (c, _) = check(&questions(), &sent(&[("q-1", "3"), ("q-2", "  ")]), false).unwrap();
        assert!(!c.took_back && !c.present && c.lever.is_none());
    }

    #[test]
    fn an_anonymous_volunteer_must_say_who_they_are() {
        let faults = check(&questions(), &sent(&[("q-4", "yes")]), true).unwrap_err();
        let fields: Vec<&str> = faults.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["q-1", "first_name", "last_name", "email"]);
        let (_, who) = check(
            &questions(),
            &sent(&[
                ("q-1", "4"),
                ("q-4", "yes"),
                ("first_name", "Ada"),
                ("last_name", "Byron"),
                ("email", "ada@example.org"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(who.unwrap().email.as_str(), "ada@example.org");
        assert!(check(&questions(), &sent(&[("q-1", "4"), ("q-4", "no")]), true).is_ok());
    }
}
