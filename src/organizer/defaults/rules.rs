//! The rules of a series' editable defaults, without I/O: which fields
//! they are, how an organizer's values are read and checked, what a change
//! (values given, fields reset) makes of a series, and which upcoming
//! sessions follow a new default.

use std::str::FromStr;

use crate::organizer::manage::{Capacity, Details, JoinUrl, Length, Title};
use crate::organizer::sessions::field;
pub use crate::series::defaults::{edited_of, encode, field_names, Defaults, Field};
use crate::series::model::Session;

/// Who organizes, as calendar invitations name them: not blank.
struct OrganizerName(String);

impl FromStr for OrganizerName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the organizer's name must not be empty".into());
        }
        Ok(Self(s.to_string()))
    }
}

/// Where calendar programs send replies: an e-mail address.
struct OrganizerEmail(String);

impl FromStr for OrganizerEmail {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        s.parse::<lettre::Address>()
            .map(|a| Self(a.to_string()))
            .map_err(|_| format!("`{s}` is not an e-mail address like jam@example.org"))
    }
}

/// An organizer's change to a series' defaults, checked: new values for
/// some fields, others handed back to config.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    /// The new values of the `given` fields (the others unused).
    values: Defaults,
    given: Vec<Field>,
    reset: Vec<Field>,
    /// Also change the upcoming sessions that still have the old default.
    pub apply_to_upcoming: bool,
}

impl Patch {
    /// Reads each field's text (`None`: not given) and the names of the
    /// fields to reset, with a message per bad one in `errors`.
    pub fn read(
        text: impl Fn(Field) -> Option<String>,
        reset: &[String],
        errors: &mut Vec<(String, String)>,
    ) -> Self {
        let mut patch = Patch::default();
        for f in Field::ALL {
            let Some(given) = text(f) else {
                continue;
            };
            let (name, t, v) = (f.name(), Some(given.as_str()), &mut patch.values);
            let read = match f {
                Field::Title => {
                    field::<Title>(errors, name, t).map(|x| v.title = x.as_str().into())
                }
                // Browsers send a textarea's line breaks as CRLF.
                Field::Description => {
                    v.description = given.replace("\r\n", "\n");
                    Some(())
                }
                Field::DurationMinutes => {
                    field::<Length>(errors, name, t).map(|x| v.duration_minutes = x.whole_minutes())
                }
                Field::Capacity => field::<Capacity>(errors, name, t).map(|x| v.capacity = x.get()),
                Field::JoinUrl => {
                    field::<JoinUrl>(errors, name, t).map(|x| v.join_url = x.as_str().into())
                }
                Field::OrganizerName => {
                    field::<OrganizerName>(errors, name, t).map(|x| v.organizer_name = x.0)
                }
                Field::OrganizerEmail => {
                    field::<OrganizerEmail>(errors, name, t).map(|x| v.organizer_email = x.0)
                }
            };
            if read.is_some() {
                patch.given.push(f);
            }
        }
        for name in reset {
            match Field::parse(name) {
                Some(f) if !patch.reset.contains(&f) => patch.reset.push(f),
                Some(_) => {}
                None => errors.push((
                    "reset".into(),
                    format!(
                        "`{name}` is not a default that can be reset (one of {})",
                        field_names()
                    ),
                )),
            }
        }
        patch
    }

    /// Keeps only the given values that differ from `current` (a form sends
    /// every field, changed or not).
    pub fn only_changes(mut self, current: &Defaults) -> Self {
        self.given
            .retain(|f| f.text(&self.values) != f.text(current));
        self
    }
}

/// What a series becomes: its defaults, and the fields the database owns
/// (in `Field::ALL` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub defaults: Defaults,
    pub edited: Vec<Field>,
}

/// Applies `patch` to a series with `current` defaults of which `edited`
/// are the database's, `config` being what config says (`None`: the series
/// is no longer configured). Given fields become the database's; reset ones
/// take config's value and go back to config.
pub fn plan(
    current: &Defaults,
    edited: &[Field],
    config: Option<&Defaults>,
    patch: &Patch,
) -> Result<Plan, Vec<(String, String)>> {
    let mut errors = Vec::new();
    for f in patch.reset.iter().filter(|f| patch.given.contains(f)) {
        errors.push((
            f.name().to_string(),
            format!(
                "`{}` is both given and reset: send one or the other",
                f.name()
            ),
        ));
    }
    if config.is_none() && !patch.reset.is_empty() {
        errors.push((
            "reset".into(),
            "this series is no longer in the configuration: there is no configured value to go back to"
                .into(),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut defaults = current.clone();
    for f in &patch.given {
        f.copy(&patch.values, &mut defaults);
    }
    if let Some(config) = config {
        for f in &patch.reset {
            f.copy(config, &mut defaults);
        }
    }
    let edited = Field::ALL
        .into_iter()
        .filter(|f| (edited.contains(f) || patch.given.contains(f)) && !patch.reset.contains(f))
        .collect();
    Ok(Plan { defaults, edited })
}

/// What session `s` takes of a change from `old` to `new` defaults: each
/// changed default it still has the old value of (one an organizer set on
/// the session itself stays). `None` when it takes nothing.
pub(super) fn follow(
    s: &Session,
    old: &Defaults,
    new: &Defaults,
) -> Option<(Details, Option<Length>)> {
    let takes = |f: Field, has: String| has == f.text(old) && f.text(new) != f.text(old);
    // The new values passed these checks when given, or come from config,
    // which was read at start-up; one that does not parse is left alone.
    let details = Details {
        title: takes(Field::Title, s.title.clone())
            .then(|| new.title.parse().ok())
            .flatten(),
        description: takes(Field::Description, s.description.clone())
            .then(|| new.description.clone()),
        join_url: takes(Field::JoinUrl, s.join_url.clone())
            .then(|| new.join_url.parse().ok())
            .flatten(),
        capacity: takes(Field::Capacity, s.capacity.to_string())
            .then(|| new.capacity.to_string().parse().ok())
            .flatten(),
    };
    let minutes = (s.ends_at - s.starts_at).num_minutes().to_string();
    let length = takes(Field::DurationMinutes, minutes)
        .then(|| Length::minutes(i64::from(new.duration_minutes)).ok())
        .flatten();
    let nothing = details.title.is_none()
        && details.description.is_none()
        && details.join_url.is_none()
        && details.capacity.is_none()
        && length.is_none();
    (!nothing).then_some((details, length))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;

    fn jam() -> Defaults {
        Defaults {
            title: "Workforce Solutions Jam".into(),
            description: "Monthly.".into(),
            duration_minutes: 60,
            capacity: 1000,
            join_url: "https://zoom.us/j/1".into(),
            organizer_name: "Jam Team".into(),
            organizer_email: "jam@example.org".into(),
        }
    }

    fn read(pairs: &[(&str, &str)], reset: &[&str]) -> Result<Patch, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let reset: Vec<String> = reset.iter().map(|r| r.to_string()).collect();
        let text = |f: Field| {
            pairs
                .iter()
                .find(|(n, _)| *n == f.name())
                .map(|(_, v)| v.to_string())
        };
        let patch = Patch::read(text, &reset, &mut errors);
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(errors)
        }
    }

    fn fields(errors: Vec<(String, String)>) -> Vec<String> {
        errors.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn the_edited_set_is_stored_so_that_like_matches_one_name_exactly() {
        assert_eq!(encode(&[]), "");
        let stored = encode(&[Field::Title, Field::Capacity]);
        assert_eq!(stored, ",title,capacity,");
        for f in Field::ALL {
            assert_eq!(Field::parse(f.name()), Some(f), "{f:?} reads back");
        }
    }

    #[test]
    fn each_bad_value_gets_a_message_under_its_name() {
        let errors = read(
            &[
                ("title", "  "),
                ("duration_minutes", "0"),
                ("capacity", "-1"),
                ("join_url", "ftp://x"),
                ("organizer_name", ""),
                ("organizer_email", "not an address"),
                ("description", ""),
            ],
            &["nonsense"],
        )
        .unwrap_err();
        assert_eq!(
            fields(errors),
            vec![
                "title",
                "duration_minutes",
                "capacity",
                "join_url",
                "organizer_name",
                "organizer_email",
                "reset"
            ],
            "an empty description is fine"
        );
    }

    #[test]
    fn given_fields_become_the_databases_and_reset_ones_go_back_to_config() {
        let mut current = jam();
        current.capacity = 300;
        let config = jam();
        let patch = read(
            &[("title", "The Jam"), ("duration_minutes", "1h30m")],
            &["capacity"],
        )
        .unwrap();
        let plan = plan(
            &current,
            &[Field::Capacity, Field::JoinUrl],
            Some(&config),
            &patch,
        )
        .unwrap();
        assert_eq!(plan.defaults.title, "The Jam");
        assert_eq!(plan.defaults.duration_minutes, 90);
        assert_eq!(plan.defaults.capacity, 1000, "config's capacity again");
        assert_eq!(
            plan.edited,
            vec![Field::Title, Field::DurationMinutes, Field::JoinUrl],
            "capacity handed back; join_url still the database's"
        );
    }

    #[test]
    fn a_field_given_and_reset_and_a_reset_without_config_are_refused() {
        let patch = read(&[("title", "The Jam")], &["title"]).unwrap();
        let errors = plan(&jam(), &[], Some(&jam()), &patch).unwrap_err();
        assert_eq!(fields(errors), vec!["title"]);
        let patch = read(&[], &["capacity"]).unwrap();
        let errors = plan(&jam(), &[Field::Capacity], None, &patch).unwrap_err();
        assert_eq!(fields(errors), vec!["reset"]);
    }

    #[test]
    fn a_form_sent_back_untouched_changes_nothing() {
        let current = jam();
        let all: Vec<(&str, String)> = Field::ALL
            .iter()
            .map(|f| (f.name(), f.text(&current)))
            .collect();
        let pairs: Vec<(&str, &str)> = all.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let patch = read(&pairs, &[]).unwrap().only_changes(&current);
        assert!(patch.given.is_empty(), "{:?}", patch.given);
        let plan = plan(&current, &[], Some(&current), &patch).unwrap();
        assert_eq!((plan.defaults, plan.edited), (current, vec![]));
    }

    #[test]
    fn only_sessions_still_on_the_old_default_follow_the_new_one() {
        let t = NaiveDate::from_ymd_opt(2027, 1, 19)
            .unwrap()
            .and_hms_opt(18, 0, 0)
            .unwrap();
        let session = Session {
            title: "Workforce Solutions Jam".into(),
            description: "Monthly.".into(),
            capacity: 50,
            ..crate::series::model::test_session(t)
        };
        let old = jam();
        let new = Defaults {
            title: "The Jam".into(),
            capacity: 2000,
            duration_minutes: 90,
            ..jam()
        };
        let (details, length) = follow(&session, &old, &new).expect("takes something");
        assert_eq!(details.title.as_ref().map(Title::as_str), Some("The Jam"));
        assert_eq!(details.capacity, None, "its own capacity (50) stays");
        assert_eq!(details.description, None, "unchanged default");
        assert_eq!(length.map(Length::whole_minutes), Some(90));
        let own = Session {
            title: "A special Jam".into(),
            ends_at: t + Duration::minutes(120),
            ..session
        };
        let only_capacity = Defaults {
            capacity: 2000,
            ..old.clone()
        };
        assert!(
            follow(&own, &old, &new).is_none(),
            "nothing it still shares"
        );
        assert!(follow(&own, &old, &only_capacity).is_none());
    }
}
