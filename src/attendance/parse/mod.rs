//! Attendance reports as plain data: Zoom webinar attendee and registration
//! reports, Teams attendance reports and plain CSV lists. [`read`] streams a
//! report row by row (one row per join, as the file has them) so memory
//! stays at a buffer whatever the file's size; [`parse`] reads a whole one
//! into a [`Report`] with one [`Attendee`] per e-mail address. No I/O but
//! the reader it is given.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, BufRead, BufReader, Cursor, Read};

use chrono::NaiveDateTime;

use crate::mail::address::EmailAddress;

mod lines;
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

/// What a report says of itself, apart from its people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub source: Source,
    /// Digits only: `328-972-509` becomes `328972509`.
    pub meeting_id: Option<String>,
    pub topic: Option<String>,
    pub started_at: Option<NaiveDateTime>,
}

impl Summary {
    fn new(source: Source) -> Self {
        Self {
            source,
            meeting_id: None,
            topic: None,
            started_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub summary: Summary,
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

    fn unreadable(line: usize, e: &io::Error) -> Self {
        Self::new(line, format!("the file could not be read: {e}"))
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A report being read: its rows one at a time, as the file has them (a
/// rejoin is another row for the same address; [`Roster`] merges them).
/// The summary fills in as the rows before the people are passed. After
/// the first error it yields nothing more.
pub struct Reader<'a> {
    summary: Summary,
    rows: Rows<'a>,
    failed: bool,
}

enum Rows<'a> {
    Zoom(zoom::Rows<'a>),
    Teams(teams::Rows<'a>),
    Plain(plain::Rows<'a>),
}

/// The stream a format reads from, after what telling the format took.
type Input<'a> = Box<dyn BufRead + 'a>;

/// The longest first line read to tell a report's format.
const SNIFF_LIMIT: usize = 64 * 1024;

/// Starts reading a report, telling the format from its first line: a
/// UTF-16 BOM is Teams, an `Attendee Report`/`Registration Report` title
/// is Zoom, and any other CSV needs an e-mail column in its header.
pub fn read<'a>(input: impl Read + 'a) -> Result<Reader<'a>, ParseError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    // The lines up to the first that is not blank; they are read again.
    let mut prefix = Vec::new();
    loop {
        let start = prefix.len();
        let n = (&mut input)
            .take(SNIFF_LIMIT as u64)
            .read_until(b'\n', &mut prefix)
            .map_err(|e| ParseError::unreadable(1, &e))?;
        let line = &prefix[start..];
        let blank = line.iter().all(|b| b" ,\"\r\n".contains(b));
        if n == 0 || !blank || prefix.starts_with(&[0xFF, 0xFE]) || prefix.len() > SNIFF_LIMIT {
            break;
        }
    }
    let teams = prefix.starts_with(&[0xFF, 0xFE]);
    let bom = if prefix.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let zoom = !teams && {
        let text = String::from_utf8_lossy(&prefix[bom..]);
        let first = text.lines().map(str::trim).rfind(|l| !l.is_empty());
        first.is_some_and(zoom::is_title)
    };
    let skip = if teams { 2 } else { bom };
    let mut prefix = Cursor::new(prefix);
    prefix.set_position(skip as u64);
    let input: Input<'a> = Box::new(prefix.chain(input));
    Ok(if teams {
        Reader::new(Source::Teams, Rows::Teams(teams::Rows::new(input)))
    } else if zoom {
        Reader::new(Source::Zoom, Rows::Zoom(zoom::Rows::new(input)))
    } else {
        Reader::new(Source::Plain, Rows::Plain(plain::Rows::new(input)?))
    })
}

impl<'a> Reader<'a> {
    fn new(source: Source, rows: Rows<'a>) -> Self {
        Self {
            summary: Summary::new(source),
            rows,
            failed: false,
        }
    }

    pub fn source(&self) -> Source {
        self.summary.source
    }

    /// What the report has said of itself so far (all of it once the rows
    /// are read).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Attendee, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = match &mut self.rows {
            Rows::Zoom(rows) => rows.next(&mut self.summary),
            Rows::Teams(rows) => rows.next(&mut self.summary),
            Rows::Plain(rows) => rows.next(),
        };
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

/// Reads a whole report, its rows merged by e-mail.
pub fn parse(bytes: &[u8]) -> Result<Report, ParseError> {
    merged(read(bytes)?)
}

/// Every row of `reader`, merged by e-mail.
fn merged(mut reader: Reader<'_>) -> Result<Report, ParseError> {
    let mut roster = Roster::default();
    for row in &mut reader {
        roster.add(row?);
    }
    Ok(Report {
        summary: reader.summary,
        attendees: roster.into_vec(),
    })
}

/// The attendees of a report, merged by e-mail as rows arrive.
#[derive(Default)]
pub struct Roster {
    index: HashMap<String, usize>,
    attendees: Vec<Attendee>,
}

impl Roster {
    /// Merges a row into the attendee with the same e-mail: earliest join,
    /// latest leave, minutes summed, joins counted, the highest role.
    pub fn add(&mut self, row: Attendee) {
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

    /// People so far.
    pub fn len(&self) -> usize {
        self.attendees.len()
    }

    pub fn is_empty(&self) -> bool {
        self.attendees.is_empty()
    }

    pub fn into_vec(self) -> Vec<Attendee> {
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

/// Refuses a cell (or a line) on `line` holding a control character, as
/// every text a request carries is refused (`hygiene`). UTF-8 and UTF-16
/// are checked as the file is decoded.
pub(crate) fn clean(text: &str, line: usize) -> Result<(), ParseError> {
    crate::hygiene::check(text).map_err(|p| ParseError::new(line, format!("a value {p}")))
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
    fn a_nul_in_a_name_refuses_the_file_with_its_line() {
        let err =
            parse(b"Email,Name\njane@example.org,Jane\nsam@example.org,S\x00m\n").unwrap_err();
        assert_eq!(err.line, 3, "the NUL is on line 3: {err}");
        assert!(err.message.contains("NUL"), "{err}");
    }

    #[test]
    fn a_control_character_in_a_teams_row_refuses_the_file_with_its_line() {
        let text = "1. Summary\nMeeting title\tJam\n2. Participants\nName\tEmail\nJa\u{7}ne\tjane@example.org\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let err = parse(&bytes).unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        assert!(err.message.contains("U+0007"), "{err}");
    }

    #[test]
    fn unrecognized_bytes_are_refused_with_a_line() {
        let err = parse(b"email,when\njane@example.org,\xff\n").unwrap_err();
        assert_eq!(err.line, 2, "the invalid byte is on line 2: {err}");
        assert!(err.message.contains("not UTF-8"), "{err}");
    }

    /// Gives `bytes` a few at a time, as a network or a pipe may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_report_read_a_few_bytes_at_a_time_reads_the_same() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/attendance");
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        assert!(names.len() >= 10, "the fixtures are there: {names:?}");
        for path in names {
            let bytes = std::fs::read(&path).unwrap();
            let whole = parse(&bytes);
            for step in [1, 2, 3, 7, 64] {
                assert_eq!(
                    read(Trickle {
                        bytes: &bytes,
                        step
                    })
                    .and_then(merged),
                    whole,
                    "{} read {step} bytes at a time",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn the_reader_gives_each_join_as_its_own_row() {
        let bytes = include_bytes!("../../../tests/fixtures/attendance/zoom_rejoins.csv");
        let mut reader = read(&bytes[..]).unwrap();
        assert_eq!(reader.source(), Source::Zoom);
        let rows: Vec<Attendee> = (&mut reader).map(Result::unwrap).collect();
        let jane = rows.iter().filter(|r| r.email == "jane.doe@example.org");
        assert_eq!(jane.count(), 3, "three joins, three rows: {rows:?}");
        assert!(
            reader.summary().topic.is_some(),
            "the preamble's summary is kept: {:?}",
            reader.summary()
        );
    }

    #[test]
    fn nothing_follows_a_refused_row() {
        let bytes = b"Email\njane@example.org\nnobody\nsam@example.org\n";
        let results: Vec<_> = read(&bytes[..]).unwrap().collect();
        assert_eq!(results.len(), 2, "a row, then the refusal: {results:?}");
        assert_eq!(results[1].as_ref().unwrap_err().line, 3);
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
