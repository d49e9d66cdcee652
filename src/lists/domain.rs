//! The subscribe form's rules. No I/O.

use std::collections::BTreeMap;

use crate::config::ListSettings;
use crate::mail::EmailAddress;
use crate::people::contact::{contact, Ask, Asks, ContactFields, FieldErrors};

/// The subscribe form as posted: pairs, because `list` repeats (one per
/// ticked box).
#[derive(Debug, Clone, Default)]
pub struct SubscribeForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub organization: String,
    pub sector: String,
    pub state: String,
    pub lists: Vec<String>,
}

impl SubscribeForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "first_name" => form.first_name = value,
                "last_name" => form.last_name = value,
                "email" => form.email = value,
                "organization" => form.organization = value,
                "sector" => form.sector = value,
                "state" => form.state = value,
                "list" if !form.lists.contains(&value) => form.lists.push(value),
                _ => {}
            }
        }
        form
    }
}

/// A checked subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    /// Optional details: empty when not given.
    pub organization: String,
    pub sector: &'static str,
    pub state: &'static str,
    /// Slugs of configured lists, at least one.
    pub lists: Vec<String>,
}

/// What the subscribe form asks: only the name and address must be given.
pub(crate) const ASKS: Asks = Asks {
    organization: Some(Ask::Optional),
    job_title: None,
    sector: Some(Ask::Optional),
    state: Some(Ask::Optional),
};

/// Checks the form against the configured lists.
pub fn parse(
    form: &SubscribeForm,
    lists: &BTreeMap<String, ListSettings>,
) -> Result<Subscriber, FieldErrors> {
    let mut errors = FieldErrors::default();
    let fields = ContactFields {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        organization: &form.organization,
        sector: &form.sector,
        state: &form.state,
        ..ContactFields::default()
    };
    let person = contact(&mut errors, &fields, &ASKS);
    let chosen: Vec<String> = form
        .lists
        .iter()
        .filter(|l| lists.contains_key(l.as_str()))
        .cloned()
        .collect();
    if chosen.is_empty() || chosen.len() != form.lists.len() {
        errors.add("lists", "Choose at least one of the lists below.");
    }
    match person {
        Some(p) if errors.is_empty() => Ok(Subscriber {
            first_name: p.first_name,
            last_name: p.last_name,
            email: p.email,
            organization: p.organization,
            sector: p.sector,
            state: p.state,
            lists: chosen,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> BTreeMap<String, ListSettings> {
        ["jam", "echo"]
            .into_iter()
            .map(|s| {
                (
                    s.to_string(),
                    ListSettings {
                        name: s.to_uppercase(),
                        description: String::new(),
                    },
                )
            })
            .collect()
    }

    fn pairs(extra: &[(&str, &str)]) -> SubscribeForm {
        let mut p: Vec<(String, String)> = [
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "Ada@Example.org"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        p.push(("unknown".into(), "ignored".into()));
        SubscribeForm::from_pairs(p)
    }

    #[test]
    fn repeated_list_boxes_are_all_kept_and_details_are_optional() {
        let s = parse(&pairs(&[("list", "jam"), ("list", "echo")]), &lists()).unwrap();
        assert_eq!(s.lists, vec!["jam", "echo"]);
        assert_eq!(s.email.as_str(), "ada@example.org");
        assert_eq!((s.organization.as_str(), s.sector, s.state), ("", "", ""));
    }

    #[test]
    fn no_list_an_unknown_list_or_a_bad_code_each_get_a_message() {
        let e = parse(&pairs(&[]), &lists()).unwrap_err();
        assert!(e.get("lists").is_some());
        let e = parse(&pairs(&[("list", "jam"), ("list", "spam")]), &lists()).unwrap_err();
        assert!(e.get("lists").is_some());
        let e = parse(
            &pairs(&[("list", "jam"), ("sector", "pirates"), ("state", "ZZ")]),
            &lists(),
        )
        .unwrap_err();
        assert!(e.get("sector").is_some() && e.get("state").is_some());
    }
}
