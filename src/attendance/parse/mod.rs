//! Attendance reports as plain data: Zoom webinar attendee and registration
//! reports, Teams attendance reports and plain CSV lists, each read into one
//! [`Report`] with one [`Attendee`] per e-mail address. Pure: no I/O.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::NaiveDateTime;

use crate::mail::address::EmailAddress;

mod plain;
mod teams;
mod zoom;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Zoom,
    Teams,
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Attendee,
    Panelist,
    Host,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// Trimmed and lower-cased.
    pub email: String,
    pub name: String,
    pub attended: bool,
    /// As written in the report, in its own (unstated) zone.
    pub first_join: Option<NaiveDateTime>,
    pub last_leave: Option<NaiveDateTime>,
    pub minutes: u32,
    /// Rows merged into this one (0 for a registrant who did not come).
    pub joins: u32,
    pub role: Role,
    /// Columns the report has beyond the common ones: custom registration
    /// questions, `Country/Region Name`, `Source Name`, ...
    pub extra: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub source: Source,
    /// Digits only: `328-972-509` becomes `328972509`.
    pub meeting_id: Option<String>,
    pub topic: Option<String>,
    pub started_at: Option<NaiveDateTime>,
    /// One per e-mail address, in the order first seen.
    pub attendees: Vec<Attendee>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line in the file.
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Reads a report, telling the format from its first bytes: a UTF-16 BOM is
/// Teams, an `Attendee Report`/`Registration Report` title is Zoom, and any
/// other CSV needs an e-mail column.
pub fn parse(bytes: &[u8]) -> Result<Report, ParseError> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return teams::parse(&bytes[2..]);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ParseError::new(line, "the file is not UTF-8 or UTF-16 text")
    })?;
    if zoom::is_zoom(text) {
        zoom::parse(text)
    } else {
        plain::parse(text)
    }
}

/// The attendees of a report, merged by e-mail as rows arrive.
#[derive(Default)]
pub(crate) struct Roster {
    index: HashMap<String, usize>,
    attendees: Vec<Attendee>,
}

impl Roster {
    /// Merges a row into the attendee with the same e-mail: earliest join,
    /// latest leave, minutes summed, joins counted, the highest role.
    pub(crate) fn add(&mut self, row: Attendee) {
        let Some(&i) = self.index.get(&row.email) else {
            self.index.insert(row.email.clone(), self.attendees.len());
            self.attendees.push(row);
            return;
        };
        let a = &mut self.attendees[i];
        if a.name.is_empty() {
            a.name = row.name;
        }
        a.attended |= row.attended;
        a.first_join = earliest(a.first_join, row.first_join);
        a.last_leave = a.last_leave.max(row.last_leave);
        a.minutes = a.minutes.saturating_add(row.minutes);
        a.joins += row.joins;
        a.role = a.role.max(row.role);
        for (k, v) in row.extra {
            a.extra.entry(k).or_insert(v);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Attendee> {
        self.attendees
    }
}

fn earliest(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The normalized address, or why it will not do.
pub(crate) fn email(value: &str, line: usize) -> Result<String, ParseError> {
    EmailAddress::parse(value)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| ParseError::new(line, format!("not a usable e-mail address: {value:?}")))
}

/// Header names compare trimmed and case-insensitively.
pub(crate) fn header_key(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// The position of the first header among `names` (already lower-case).
pub(crate) fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| headers.iter().position(|h| h == n))
}

/// `328-972-509` and `847 5984 1045` both mean digits.
pub(crate) fn digits(value: &str) -> Option<String> {
    let d: String = value.chars().filter(char::is_ascii_digit).collect();
    (!d.is_empty()).then_some(d)
}

/// Date-times as the report's locale writes them. Only unambiguous forms:
/// `Mar 22, 2025 19:13:27`, `04/26/2026 10:45:17 AM` (US, 12-hour),
/// `2025-03-22 19:13:27`, and Teams' `3/22/25, 7:13:27 PM`. A day-first date
/// such as `22/03/2025 19:13:27` is refused rather than guessed.
pub(crate) fn date_time(value: &str) -> Option<NaiveDateTime> {
    const FORMATS: &[&str] = &[
        "%b %d, %Y %H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
        "%Y-%m-%d %H:%M:%S",
        "%m/%d/%y, %I:%M:%S %p",
        "%m/%d/%Y, %I:%M:%S %p",
    ];
    let value = value.trim();
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
}

/// Zoom's and Teams' marks for "no value": empty, `--`, `NA`.
pub(crate) fn is_missing(value: &str) -> bool {
    matches!(value.trim(), "" | "--" | "NA" | "N/A")
}

#[cfg(test)]
pub(crate) mod testing {
    use super::{parse, Attendee, Report};
    use chrono::NaiveDateTime;

    pub fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    pub fn read(bytes: &[u8]) -> Report {
        parse(bytes).unwrap_or_else(|e| panic!("the fixture should parse: {e}"))
    }

    pub fn find<'a>(report: &'a Report, email: &str) -> &'a Attendee {
        report
            .attendees
            .iter()
            .find(|a| a.email == email)
            .unwrap_or_else(|| panic!("{email} should be in {:?}", report.attendees))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::at;
    use super::*;

    #[test]
    fn the_us_and_iso_date_forms_are_read() {
        assert_eq!(
            date_time("Mar 22, 2025 19:13:27"),
            Some(at("2025-03-22 19:13:27"))
        );
        assert_eq!(
            date_time("04/26/2026 10:45:17 PM"),
            Some(at("2026-04-26 22:45:17"))
        );
        assert_eq!(
            date_time("2025-03-22 19:13:27"),
            Some(at("2025-03-22 19:13:27"))
        );
        assert_eq!(
            date_time("3/22/25, 7:13:27 PM"),
            Some(at("2025-03-22 19:13:27"))
        );
        assert_eq!(
            date_time("3/22/2025, 7:13:27 AM"),
            Some(at("2025-03-22 07:13:27"))
        );
    }

    #[test]
    fn a_day_first_date_is_refused_rather_than_guessed() {
        assert_eq!(
            date_time("22/03/2025 19:13:27"),
            None,
            "d/m/y must not be read"
        );
        assert_eq!(
            date_time("03/04/2025 19:13:27"),
            None,
            "ambiguous 24-hour slash form"
        );
        assert_eq!(date_time("yesterday"), None);
    }

    #[test]
    fn meeting_ids_keep_only_digits() {
        assert_eq!(digits("328-972-509").as_deref(), Some("328972509"));
        assert_eq!(digits("847 5984 1045").as_deref(), Some("84759841045"));
        assert_eq!(digits("--"), None);
    }

    #[test]
    fn a_parse_error_names_its_line() {
        assert_eq!(ParseError::new(12, "bad").to_string(), "line 12: bad");
    }

    #[test]
    fn unrecognized_bytes_are_refused_with_a_line() {
        let err = parse(b"name,when\nJane,\xff\n").unwrap_err();
        assert_eq!(err.line, 2, "the invalid byte is on line 2: {err}");
    }

    fn row(email: &str, join: &str, leave: &str, minutes: u32) -> Attendee {
        Attendee {
            email: email.into(),
            name: String::new(),
            attended: true,
            first_join: Some(at(join)),
            last_leave: Some(at(leave)),
            minutes,
            joins: 1,
            role: Role::Attendee,
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn rows_for_one_address_merge_into_one_attendee() {
        let mut roster = Roster::default();
        roster.add(row(
            "a@x.org",
            "2025-03-22 19:30:00",
            "2025-03-22 19:40:00",
            10,
        ));
        roster.add(row(
            "b@x.org",
            "2025-03-22 19:00:00",
            "2025-03-22 20:00:00",
            60,
        ));
        roster.add(row(
            "a@x.org",
            "2025-03-22 19:05:00",
            "2025-03-22 19:10:00",
            5,
        ));
        let all = roster.into_vec();
        assert_eq!(all.len(), 2, "one attendee per address");
        let a = &all[0];
        assert_eq!(
            a.first_join,
            Some(at("2025-03-22 19:05:00")),
            "earliest join"
        );
        assert_eq!(
            a.last_leave,
            Some(at("2025-03-22 19:40:00")),
            "latest leave"
        );
        assert_eq!(
            (a.minutes, a.joins),
            (15, 2),
            "minutes summed, joins counted"
        );
    }
}
