//! Attendance reports as plain data: Zoom's webinar attendee, registration
//! and meeting participant reports, Teams attendance reports (UTF-8 or
//! UTF-16), Google Meet attendance sheets and plain CSV lists; [`read`]
//! tells which from the content. It streams a report row by row (one row
//! per join, as the file has them) so memory stays at a buffer whatever the
//! file's size; [`parse`] reads a whole one into a [`Report`] with one
//! [`Attendee`] per e-mail address. No I/O but the reader it is given.
//!
//! Dates are read as the file writes them ([`dates`]): a file is read
//! twice, first to settle its date order, then for its rows.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::Arc;

use chrono::NaiveDateTime;

mod cells;
pub mod dates;
mod lines;
mod meet;
mod plain;
mod records;
mod roster;
mod teams;
#[cfg(test)]
mod variants;
mod zoom;

pub(crate) use cells::{clean, column, digits, email, header_key, is_missing};
pub use dates::{DateOrder, Dates, Decided};
pub use roster::Roster;

/// The kinds of report, as told from their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Zoom's webinar Attendee Report: hosts, panelists, attendees, others.
    ZoomWebinar,
    /// Zoom's webinar Registration Report: registrants, none attended yet.
    ZoomRegistration,
    /// Zoom's meeting participant report, with or without its meeting block.
    ZoomMeeting,
    /// Microsoft Teams' attendance report.
    Teams,
    /// Google Meet's attendance report.
    Meet,
    /// Any other CSV with an e-mail column: everyone listed attended.
    Plain,
}

/// What an import asks for: a family of reports, or any (`auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zoom,
    Teams,
    Meet,
    Csv,
}

impl Format {
    /// `zoom`, `teams`, `meet` or `csv`.
    pub fn parse(name: &str) -> Option<Self> {
        [Format::Zoom, Format::Teams, Format::Meet, Format::Csv]
            .into_iter()
            .find(|f| f.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Zoom => "zoom",
            Format::Teams => "teams",
            Format::Meet => "meet",
            Format::Csv => "csv",
        }
    }
}

impl Source {
    /// As kept with an import and shown in its JSON.
    pub fn name(self) -> &'static str {
        match self {
            Source::ZoomWebinar => "zoom-webinar",
            Source::ZoomRegistration => "zoom-registration",
            Source::ZoomMeeting => "zoom-meeting",
            Source::Teams => "teams",
            Source::Meet => "meet",
            Source::Plain => "csv",
        }
    }

    /// As said to the person importing.
    pub fn label(self) -> &'static str {
        match self {
            Source::ZoomWebinar => "a Zoom webinar attendee report",
            Source::ZoomRegistration => "a Zoom webinar registration report",
            Source::ZoomMeeting => "a Zoom meeting participant report",
            Source::Teams => "a Microsoft Teams attendance report",
            Source::Meet => "a Google Meet attendance report",
            Source::Plain => "a plain list with an e-mail column",
        }
    }

    pub fn format(self) -> Format {
        match self {
            Source::ZoomWebinar | Source::ZoomRegistration | Source::ZoomMeeting => Format::Zoom,
            Source::Teams => Format::Teams,
            Source::Meet => Format::Meet,
            Source::Plain => Format::Csv,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Attendee,
    /// A panelist, co-host, co-organizer or presenter.
    Panelist,
    Host,
}

impl Role {
    /// Hosts and panelists run the session: they are not its attendees.
    pub fn is_staff(self) -> bool {
        self != Role::Attendee
    }
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
    /// questions, `Country/Region Name`, `Source Name`, ... (a bounded
    /// number, under names shared by every row).
    pub extra: BTreeMap<Arc<str>, String>,
}

/// What a report says of itself, apart from its people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub source: Source,
    /// Digits only: `328-972-509` becomes `328972509`.
    pub meeting_id: Option<String>,
    pub topic: Option<String>,
    pub started_at: Option<NaiveDateTime>,
    /// Zoom's own count of people who watched a webinar ("Unique Viewers").
    pub unique_viewers: Option<u32>,
    /// Rows with no address (a dial-in, an anonymous guest): no one to
    /// match them to, so counted here and not imported.
    pub without_address: usize,
}

impl Summary {
    fn new(source: Source) -> Self {
        Self {
            source,
            meeting_id: None,
            topic: None,
            started_at: None,
            unique_viewers: None,
            without_address: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub summary: Summary,
    /// One per e-mail address, in the order first seen.
    pub attendees: Vec<Attendee>,
    /// The order the file's dates were read in, and why.
    pub date_order: (DateOrder, Decided),
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
    dates: Dates,
    rows: Rows<'a>,
    failed: bool,
}

enum Rows<'a> {
    Zoom(zoom::Rows<'a>),
    Teams(teams::Rows<'a>),
    Meet(meet::Rows<'a>),
    Plain(plain::Rows<'a>),
}

/// The stream a format reads from, after what telling the format took.
type Input<'a> = Box<dyn BufRead + 'a>;

/// The longest first line read to tell a report's format.
const SNIFF_LIMIT: usize = 64 * 1024;

/// Starts reading a report, telling its kind from its first line that is
/// not blank: a UTF-16 BOM or a numbered `1. Summary` is Teams, an
/// `Attendee Report`/`Registration Report` title is a Zoom webinar's, a
/// `Meeting ID`/`User Email` header a Zoom meeting's, `Time joined` or a
/// `Meeting code` line Meet's, and any other CSV needs an e-mail column.
/// Numeric dates are read as `dates` says.
pub fn read<'a>(input: impl Read + 'a, dates: Dates) -> Result<Reader<'a>, ParseError> {
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
        let blank = line.iter().all(|b| b" ,\t\"\r\n".contains(b));
        let utf16 = prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]);
        if n == 0 || !blank || utf16 || prefix.len() > SNIFF_LIMIT {
            break;
        }
    }
    let utf16 = if prefix.starts_with(&[0xFF, 0xFE]) {
        Some(teams::Encoding::Utf16Le)
    } else if prefix.starts_with(&[0xFE, 0xFF]) {
        Some(teams::Encoding::Utf16Be)
    } else {
        None
    };
    let bom = if utf16.is_some() {
        2
    } else if prefix.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let first = utf16.is_none().then(|| {
        let text = String::from_utf8_lossy(&prefix[bom..]);
        let first = text.lines().map(str::trim).rfind(|l| !l.is_empty());
        first.unwrap_or_default().to_owned()
    });
    let first = first.as_deref().unwrap_or_default();
    let mut prefix = Cursor::new(prefix);
    prefix.set_position(bom as u64);
    let input: Input<'a> = Box::new(prefix.chain(input));
    let (source, rows) = if let Some(encoding) = utf16 {
        (
            Source::Teams,
            Rows::Teams(teams::Rows::new(input, encoding)),
        )
    } else if teams::is_title(first) {
        let rows = teams::Rows::new(input, teams::Encoding::Utf8);
        (Source::Teams, Rows::Teams(rows))
    } else if let Some(source) = zoom::kind(first) {
        (source, Rows::Zoom(zoom::Rows::new(input, source)))
    } else if meet::is_start(first) {
        (Source::Meet, Rows::Meet(meet::Rows::new(input)))
    } else {
        (Source::Plain, Rows::Plain(plain::Rows::new(input)?))
    };
    Ok(Reader {
        summary: Summary::new(source),
        dates,
        rows,
        failed: false,
    })
}

impl Reader<'_> {
    pub fn source(&self) -> Source {
        self.summary.source
    }

    /// What the report has said of itself so far (all of it once the rows
    /// are read).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The order dates are read in so far, and why: once every row is read
    /// on a first pass, the order for the second.
    pub fn dates(&self) -> &Dates {
        &self.dates
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Attendee, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (summary, dates) = (&mut self.summary, &mut self.dates);
        let next = match &mut self.rows {
            Rows::Zoom(rows) => rows.next(summary, dates),
            Rows::Teams(rows) => rows.next(summary, dates),
            Rows::Meet(rows) => rows.next(summary, dates),
            Rows::Plain(rows) => rows.next(dates),
        };
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

/// Reads a whole report, its rows merged by e-mail: numeric dates in the
/// order the file settles, else month-first.
pub fn parse(bytes: &[u8]) -> Result<Report, ParseError> {
    parse_with(bytes, None)
}

/// Reads a whole report, numeric dates in the order the file settles, else
/// in `asked` (else month-first).
pub fn parse_with(bytes: &[u8], asked: Option<DateOrder>) -> Result<Report, ParseError> {
    let (dates, _) = settle(read(bytes, Dates::scan(asked))?)?;
    merged(read(bytes, dates)?)
}

/// Reads every row of a first pass: the file's dates settled for the
/// second, and how many people rows it has. A row that cannot be read
/// refuses the file here.
pub fn settle(mut reader: Reader<'_>) -> Result<(Dates, usize), ParseError> {
    let mut rows = 0;
    for row in &mut reader {
        row?;
        rows += 1;
    }
    Ok((reader.dates.settled(), rows))
}

/// Every row of `reader`, merged by e-mail.
fn merged(mut reader: Reader<'_>) -> Result<Report, ParseError> {
    let mut roster = Roster::default();
    for row in &mut reader {
        roster.add(row?);
    }
    Ok(Report {
        date_order: reader.dates.order(),
        summary: reader.summary,
        attendees: roster.into_vec(),
    })
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
    use super::*;

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
                let trickle = || Trickle {
                    bytes: &bytes,
                    step,
                };
                assert_eq!(
                    read(trickle(), Dates::scan(None))
                        .and_then(settle)
                        .and_then(|(dates, _)| merged(read(trickle(), dates)?)),
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
        let mut reader = read(&bytes[..], Dates::scan(None)).unwrap();
        assert_eq!(reader.source(), Source::ZoomWebinar);
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
        let results: Vec<_> = read(&bytes[..], Dates::scan(None)).unwrap().collect();
        assert_eq!(results.len(), 2, "a row, then the refusal: {results:?}");
        assert_eq!(results[1].as_ref().unwrap_err().line, 3);
    }
}
