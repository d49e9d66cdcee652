//! The subscribe form's rules. No I/O.

use std::collections::BTreeMap;

use crate::config::ListSettings;
use crate::mail::EmailAddress;
use crate::people::contact::{name, FieldErrors, SECTORS, STATES};

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

fn optional_code(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    codes: &[(&'static str, &str)],
    message: &str,
) -> &'static str {
    let value = value.trim();
    if value.is_empty() {
        return "";
    }
    match codes.iter().find(|(c, _)| *c == value) {
        Some((c, _)) => c,
        None => {
            errors.add(field, message);
            ""
        }
    }
}

/// Checks the form against the configured lists.
pub fn parse(
    form: &SubscribeForm,
    lists: &BTreeMap<String, ListSettings>,
) -> Result<Subscriber, FieldErrors> {
    let mut errors = FieldErrors::default();
    let first_name = name(
        &mut errors,
        "first_name",
        &form.first_name,
        "first name",
        true,
        100,
    );
    let last_name = name(
        &mut errors,
        "last_name",
        &form.last_name,
        "last name",
        true,
        100,
    );
    let email = EmailAddress::parse(&form.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let organization = name(
        &mut errors,
        "organization",
        &form.organization,
        "organization",
        false,
        200,
    );
    let sector = optional_code(
        &mut errors,
        "sector",
        &form.sector,
        SECTORS,
        "Choose a sector from the list, or leave it blank.",
    );
    let state = optional_code(
        &mut errors,
        "state",
        &form.state,
        STATES,
        "Choose a state or territory from the list, or leave it blank.",
    );
    let chosen: Vec<String> = form
        .lists
        .iter()
        .filter(|l| lists.contains_key(l.as_str()))
        .cloned()
        .collect();
    if chosen.is_empty() || chosen.len() != form.lists.len() {
        errors.add("lists", "Choose at least one of the lists below.");
    }
    match email {
        Some(email) if errors.is_empty() => Ok(Subscriber {
            first_name,
            last_name,
            email,
            organization,
            sector,
            state,
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
