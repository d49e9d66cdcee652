//! The interest form's rules. No I/O.

use crate::lineup::levers;
use crate::people::contact::{self as reg, text, FieldErrors, Registrant, RegistrationForm};

/// The form as posted, as pairs (`want`, `lever`, `month` repeat).
#[derive(Debug, Clone, Default)]
pub struct InterestForm {
    pub person: RegistrationForm,
    pub wants: Vec<String>,
    pub topic: String,
    pub abstract_text: String,
    pub levers: Vec<String>,
    pub months: Vec<String>,
    pub working_group: String,
}

impl InterestForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (key, value) in pairs {
            let p = &mut f.person;
            match key.as_str() {
                "first_name" => p.first_name = value,
                "last_name" => p.last_name = value,
                "email" => p.email = value,
                "organization" => p.organization = value,
                "job_title" => p.job_title = value,
                "sector" => p.sector = value,
                "state" => p.state = value,
                "want" => f.wants.push(value),
                "topic" => f.topic = value,
                "abstract" => f.abstract_text = value,
                "lever" => f.levers.push(value),
                "month" => f.months.push(value),
                "working_group" => f.working_group = value,
                _ => {}
            }
        }
        f
    }
}

/// A proposal to present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub topic: String,
    pub abstract_text: String,
    pub levers: Vec<&'static str>,
    pub months: Vec<String>,
}

/// A checked submission: who, and at least one wish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    pub person: Registrant,
    pub join_list: bool,
    pub proposal: Option<Proposal>,
    pub working_group: Option<&'static str>,
}

/// Checks the form; `months` are the "YYYY-MM" values offered.
pub fn parse(form: &InterestForm, months: &[String]) -> Result<Interest, FieldErrors> {
    let (person, mut errors) = match reg::parse(&form.person) {
        Ok(p) => (Some(p), FieldErrors::default()),
        Err(e) => (None, e),
    };
    let wants = |w: &str| form.wants.iter().any(|x| x == w);
    let (join_list, present, group) = (wants("list"), wants("present"), wants("working_group"));
    if !(join_list || present || group) {
        errors.add("want", "Choose at least one thing you would like to do.");
    }
    let proposal = if present {
        let topic = text(&mut errors, "topic", &form.topic, "topic", true, 200);
        let abstract_text = form.abstract_text.trim().to_string();
        if abstract_text.is_empty() {
            errors.add(
                "abstract",
                "Describe what you would present, in a few sentences.",
            );
        } else if abstract_text.chars().count() > 3000 {
            errors.add(
                "abstract",
                "Keep the description to 3000 characters or fewer.",
            );
        }
        let chosen = match levers::parse(&form.levers) {
            Ok(l) if !l.is_empty() => l,
            Ok(_) => {
                errors.add(
                    "levers",
                    "Choose at least one lever of change your talk is about.",
                );
                Vec::new()
            }
            Err(e) => {
                errors.add("levers", e);
                Vec::new()
            }
        };
        let bad_month = form.months.iter().any(|m| !months.contains(m));
        if bad_month {
            errors.add("months", "Choose months from the list.");
        }
        Some(Proposal {
            topic,
            abstract_text,
            levers: chosen,
            months: form.months.clone(),
        })
    } else {
        None
    };
    let working_group = if group {
        let lever = levers::parse(&[form.working_group.as_str()])
            .ok()
            .and_then(|l| l.first().copied());
        if lever.is_none() {
            errors.add(
                "working_group",
                "Choose the lever of change whose working group you would join.",
            );
        }
        lever
    } else {
        None
    };
    match person {
        Some(person) if errors.is_empty() => Ok(Interest {
            person,
            join_list,
            proposal,
            working_group,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(extra: &[(&str, &str)]) -> InterestForm {
        let base = [
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "ada@example.org"),
            ("organization", "Engines"),
            ("sector", "provider"),
            ("state", "NY"),
        ];
        InterestForm::from_pairs(
            base.iter()
                .chain(extra)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn a_proposal_needs_a_topic_an_abstract_and_a_known_lever() {
        let months = vec!["2027-02".to_string()];
        let e = parse(
            &pairs(&[
                ("want", "present"),
                ("lever", "magic"),
                ("month", "1999-01"),
            ]),
            &months,
        )
        .unwrap_err();
        for f in ["topic", "abstract", "levers", "months"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let ok = parse(
            &pairs(&[
                ("want", "present"),
                ("want", "working_group"),
                ("topic", "Paying peers"),
                ("abstract", "How we fund peer specialists."),
                ("lever", "technology"),
                ("lever", "payment"),
                ("month", "2027-02"),
                ("working_group", "payment"),
            ]),
            &months,
        )
        .unwrap();
        assert_eq!(ok.proposal.unwrap().levers, vec!["payment", "technology"]);
        assert_eq!(ok.working_group, Some("payment"));
        assert!(!ok.join_list);
    }

    #[test]
    fn nothing_wanted_is_an_error() {
        assert!(parse(&pairs(&[]), &[]).unwrap_err().get("want").is_some());
    }
}
