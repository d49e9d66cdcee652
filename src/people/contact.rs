//! The registration form's rules: what a valid registrant is. No I/O.

use serde::{Deserialize, Serialize};

use crate::mail::EmailAddress;
pub use crate::web::fields::{FieldError, FieldErrors};

/// The form as posted: every field optional so that a missing one gets a
/// message, not a rejected request. In the API (`NewRegistration`): the
/// public registration form's fields, as JSON; a missing or bad one gets a
/// message under its name (422), not a rejected request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = NewRegistration)]
pub struct RegistrationForm {
    /// Up to 100 characters.
    #[schema(required = true)]
    pub first_name: String,
    /// Up to 100 characters.
    #[schema(required = true)]
    pub last_name: String,
    #[schema(required = true)]
    pub email: String,
    /// Up to 200 characters.
    #[schema(required = true)]
    pub organization: String,
    /// Optional; up to 200 characters.
    pub job_title: String,
    /// A sector code from the public form.
    #[schema(required = true)]
    pub sector: String,
    /// A two-letter state code from the public form.
    #[schema(required = true)]
    pub state: String,
    /// Joins the mailing list unless absent, empty, `"0"` or `"false"`.
    pub subscribe: Option<String>,
    /// The hidden honeypot field (`limits::HONEYPOT`): empty from people.
    #[serde(skip_serializing)]
    #[schema(ignore)]
    pub website: String,
}

/// A registrant whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrant {
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    pub organization: String,
    pub job_title: String,
    pub sector: &'static str,
    pub state: &'static str,
    pub subscribe: bool,
}

pub const SECTORS: &[(&str, &str)] = &[
    ("provider", "Provider organization"),
    ("association", "State or national association"),
    ("government", "Government"),
    ("health_plan", "Health plan"),
    ("academic", "Academic institution"),
    ("philanthropy", "Philanthropy"),
    ("technology", "Technology"),
    ("other", "Other"),
];

/// US states, the District of Columbia and the territories, then "outside".
pub const STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"),
    ("VI", "U.S. Virgin Islands"),
    ("FM", "Federated States of Micronesia"),
    ("MH", "Marshall Islands"),
    ("PW", "Palau"),
    ("OUTSIDE_US", "Outside the United States"),
];

pub fn sector_label(code: &str) -> &'static str {
    SECTORS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("Other")
}

/// A required line of text: trimmed, inner whitespace collapsed, no control
/// characters, at most `max` characters.
pub(crate) fn text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    label: &str,
    required: bool,
    max: usize,
) -> String {
    let clean = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.is_empty() {
        if required {
            errors.add(field, format!("Enter your {label}."));
        }
    } else if clean.chars().count() > max {
        errors.add(
            field,
            format!("Your {label} must be {max} characters or fewer."),
        );
    } else if clean.chars().any(char::is_control) {
        errors.add(
            field,
            format!("Your {label} contains characters that are not allowed."),
        );
    }
    clean
}

/// A person's name, or an organization's, as [`text`] checks it, and with no
/// web address: it is written into e-mails to the address given, which may
/// be a stranger's, so it must not be a way to send them a link.
pub(crate) fn name(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    label: &str,
    required: bool,
    max: usize,
) -> String {
    let clean = text(errors, field, value, label, required, max);
    let lower = clean.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        errors.add(field, format!("Your {label} cannot contain a web address."));
    }
    clean
}

/// Whether a form must have a detail or may leave it blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Required,
    Optional,
}

/// The part of a form about the person, as posted: every form that takes
/// people in (registration, subscription, interest, an ECHO application)
/// has it, and checks it here.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactFields<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub organization: &'a str,
    pub job_title: &'a str,
    pub sector: &'a str,
    pub state: &'a str,
}

/// What a form asks beyond the name and address (always required); `None`
/// when it does not ask at all.
#[derive(Debug, Clone, Copy)]
pub struct Asks {
    pub organization: Option<Ask>,
    pub job_title: Option<Ask>,
    pub sector: Option<Ask>,
    pub state: Option<Ask>,
}

/// The person part, checked. A detail not asked, or left blank where that
/// is allowed, is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    pub organization: String,
    pub job_title: String,
    pub sector: &'static str,
    pub state: &'static str,
}

/// Checks the person part, adding a message per bad field (in form order)
/// to `errors`; the contact when all of its fields are good.
pub fn contact(errors: &mut FieldErrors, form: &ContactFields, asks: &Asks) -> Option<Contact> {
    let before = errors.0.len();
    let first_name = name(
        errors,
        "first_name",
        form.first_name,
        "first name",
        true,
        100,
    );
    let last_name = name(errors, "last_name", form.last_name, "last name", true, 100);
    let email = email(errors, form.email);
    let organization = asks.organization.map_or_else(String::new, |ask| {
        let required = ask == Ask::Required;
        name(
            errors,
            "organization",
            form.organization,
            "organization",
            required,
            200,
        )
    });
    let job_title = asks.job_title.map_or_else(String::new, |ask| {
        let required = ask == Ask::Required;
        text(
            errors,
            "job_title",
            form.job_title,
            "job title",
            required,
            200,
        )
    });
    let sector = asks
        .sector
        .map_or(Some(""), |ask| sector(errors, form.sector, ask));
    let state = asks
        .state
        .map_or(Some(""), |ask| state(errors, form.state, ask));
    match (email, sector, state) {
        (Some(email), Some(sector), Some(state)) if errors.0.len() == before => Some(Contact {
            first_name,
            last_name,
            email,
            organization,
            job_title,
            sector,
            state,
        }),
        _ => None,
    }
}

/// The address, or its message on `email`.
pub fn email(errors: &mut FieldErrors, value: &str) -> Option<EmailAddress> {
    EmailAddress::parse(value)
        .map_err(|m| errors.add("email", m))
        .ok()
}

/// One of `codes`, or "" when left blank where that is allowed; `None`
/// (with `message` on `field`) otherwise.
fn choice(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    codes: &[(&'static str, &str)],
    ask: Ask,
    message: &str,
) -> Option<&'static str> {
    let value = value.trim();
    if value.is_empty() && ask == Ask::Optional {
        return Some("");
    }
    let found = codes.iter().find(|(c, _)| *c == value).map(|(c, _)| *c);
    if found.is_none() {
        errors.add(field, message);
    }
    found
}

/// The sector's code (see [`SECTORS`]).
pub fn sector(errors: &mut FieldErrors, value: &str, ask: Ask) -> Option<&'static str> {
    let message = match ask {
        Ask::Required => "Choose the sector that best describes your organization.",
        Ask::Optional => "Choose a sector from the list, or leave it blank.",
    };
    choice(errors, "sector", value, SECTORS, ask, message)
}

/// The state's or territory's code (see [`STATES`]).
pub fn state(errors: &mut FieldErrors, value: &str, ask: Ask) -> Option<&'static str> {
    let message = match ask {
        Ask::Required => "Choose your state or territory, or “Outside the United States”.",
        Ask::Optional => "Choose a state or territory from the list, or leave it blank.",
    };
    choice(errors, "state", value, STATES, ask, message)
}

/// What the registration form asks.
pub const REGISTRATION: Asks = Asks {
    organization: Some(Ask::Required),
    job_title: Some(Ask::Optional),
    sector: Some(Ask::Required),
    state: Some(Ask::Required),
};

/// Checks the form: a `Registrant`, or a message for every bad field.
pub fn parse(form: &RegistrationForm) -> Result<Registrant, FieldErrors> {
    let mut errors = FieldErrors::default();
    let fields = ContactFields {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        organization: &form.organization,
        job_title: &form.job_title,
        sector: &form.sector,
        state: &form.state,
    };
    match contact(&mut errors, &fields, &REGISTRATION) {
        Some(c) => Ok(Registrant {
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            organization: c.organization,
            job_title: c.job_title,
            sector: c.sector,
            state: c.state,
            subscribe: form
                .subscribe
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "0" && v != "false"),
        }),
        None => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> RegistrationForm {
        RegistrationForm {
            first_name: " Ada ".into(),
            last_name: "Lovelace".into(),
            email: "Ada@Example.org".into(),
            organization: "Analytical  Engines   Inc.".into(),
            job_title: "".into(),
            sector: "provider".into(),
            state: "NY".into(),
            subscribe: Some("on".into()),
            website: String::new(),
        }
    }

    #[test]
    fn a_name_may_not_carry_a_web_address() {
        for bad in [
            "Visit www.example.com",
            "https://x.example",
            "HTTP://X.EXAMPLE",
        ] {
            let mut form = valid();
            form.first_name = bad.into();
            assert!(
                parse(&form).unwrap_err().get("first_name").is_some(),
                "{bad}"
            );
        }
        let mut form = valid();
        form.organization = "Example.org Health Partners".into();
        assert!(
            parse(&form).is_ok(),
            "a domain-like name without a scheme is fine"
        );
    }

    #[test]
    fn a_valid_form_is_cleaned_up() {
        let r = parse(&valid()).expect("valid form");
        assert_eq!(r.first_name, "Ada");
        assert_eq!(r.email.as_str(), "ada@example.org");
        assert_eq!(r.organization, "Analytical Engines Inc.");
        assert!(r.subscribe);
    }

    #[test]
    fn an_empty_form_gets_a_message_for_each_required_field() {
        let errors = parse(&RegistrationForm::default()).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "first_name",
                "last_name",
                "email",
                "organization",
                "sector",
                "state"
            ]
        );
    }

    #[test]
    fn unknown_sector_and_state_codes_are_refused() {
        let mut form = valid();
        form.sector = "astrology".into();
        form.state = "ZZ".into();
        let errors = parse(&form).unwrap_err();
        assert!(
            errors.get("sector").is_some() && errors.get("state").is_some(),
            "{errors:?}"
        );
    }

    #[test]
    fn overlong_names_are_refused() {
        let mut form = valid();
        form.first_name = "A".repeat(101);
        assert!(parse(&form).unwrap_err().get("first_name").is_some());
    }
}
