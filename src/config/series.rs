//! Each series' settings (the Jam, an ECHO program), its cohorts, and
//! the offsets of its invitations and reminders.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use crate::calendar::schedule::{Rule, Timetable};

use super::values::{local_time, optional_local_time, timezone};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSettings {
    pub kind: SeriesKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(deserialize_with = "timezone")]
    pub timezone: Tz,
    #[serde(deserialize_with = "local_time")]
    pub start_time: NaiveTime,
    pub duration_minutes: u32,
    pub rule: Rule,
    pub capacity: u32,
    pub join_url: url::Url,
    pub organizer_name: String,
    pub organizer_email: lettre::Address,
    /// The mailing list (a key of `[lists]`) whose subscribers are invited.
    #[serde(default)]
    pub list: Option<String>,
    /// How long before each session subscribers are invited; the last
    /// (shortest) of several is the "last chance" one.
    #[serde(default = "default_invitations")]
    pub invitations: Vec<Offset>,
    /// How long before each session registrants are reminded.
    #[serde(default = "default_reminders")]
    pub reminders: Vec<Offset>,
    /// Registrants a session of the series usually has (the Jam's 577):
    /// each session's measures compare against it.
    #[serde(default)]
    pub baseline: Option<u32>,
    /// An ECHO program's cohorts to create if missing, keyed by slug
    /// (`[series.echo.cohorts.cohort-3]`); facilitators add more.
    #[serde(default)]
    pub cohorts: BTreeMap<String, CohortSettings>,
}

/// A cohort of an ECHO program. What is left out comes from the program
/// (its rule, start time, length, capacity, join link).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSettings {
    pub name: String,
    /// Dates as quoted strings, `"2027-01-14"`.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub rule: Option<Rule>,
    #[serde(default, deserialize_with = "optional_local_time")]
    pub start_time: Option<NaiveTime>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub capacity: Option<u32>,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    /// Share of sessions to attend to complete, in percent.
    #[serde(default = "default_completion_percent")]
    pub completion_percent: u32,
    /// Case presentations per session.
    #[serde(default = "default_case_slots")]
    pub case_slots: u32,
}

fn default_completion_percent() -> u32 {
    80
}

fn default_case_slots() -> u32 {
    2
}

fn default_invitations() -> Vec<Offset> {
    vec![Offset::days(21), Offset::days(2)]
}

fn default_reminders() -> Vec<Offset> {
    vec![Offset::days(7), Offset::days(1), Offset::hours(1)]
}

/// A span before a session, written like `21d`, `1h`, `90m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Offset(chrono::Duration);

impl Offset {
    pub fn days(n: i64) -> Self {
        Self(chrono::Duration::days(n))
    }
    pub fn hours(n: i64) -> Self {
        Self(chrono::Duration::hours(n))
    }
    pub fn duration(self) -> chrono::Duration {
        self.0
    }
    /// Whole minutes: the stable name used in idempotency keys.
    pub fn minutes(self) -> i64 {
        self.0.num_minutes()
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let d = humantime::parse_duration(s.trim())
            .map_err(|e| format!("`{s}` is not a duration like 21d, 1h or 90m ({e})"))?;
        let d = chrono::Duration::from_std(d).map_err(|e| e.to_string())?;
        if d < chrono::Duration::minutes(1) || d > chrono::Duration::days(366) {
            return Err(format!("`{s}` must be between 1 minute and 366 days"));
        }
        Ok(Self(d))
    }
}

/// As written in config and stored on a series row: `21d`, `1h`, `90m`.
impl std::fmt::Display for Offset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.minutes();
        if m % 1440 == 0 {
            write!(f, "{}d", m / 1440)
        } else if m % 60 == 0 {
            write!(f, "{}h", m / 60)
        } else {
            write!(f, "{m}m")
        }
    }
}

/// Offsets as a series row stores them: `21d,2d` ('' for none).
pub fn offsets_text(offsets: &[Offset]) -> String {
    offsets
        .iter()
        .map(Offset::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads `offsets_text`'s form back (also with spaces after the commas).
pub fn parse_offsets(text: &str) -> Result<Vec<Offset>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Offset::parse)
        .collect()
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Offset::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    Webinar,
    Echo,
}

impl SeriesKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesKind::Webinar => "webinar",
            SeriesKind::Echo => "echo",
        }
    }
}

impl SeriesSettings {
    pub fn timetable(&self) -> Timetable {
        Timetable {
            rule: self.rule.clone(),
            timezone: self.timezone,
            start_time: self.start_time,
            duration: chrono::Duration::minutes(i64::from(self.duration_minutes)),
        }
    }
}
