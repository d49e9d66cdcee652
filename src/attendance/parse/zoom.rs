//! Zoom's reports: the webinar Attendee Report (one row per join, by
//! section: hosts, panelists, attendees, others), the webinar Registration
//! Report (one row per registrant) and the meeting participant report (one
//! row per join, after a meeting block naming the host, or without it).
//! Columns are found by header name; Zoom moves them about. Only the people
//! rows decide whether a file reads: a metadata line Zoom adds or words
//! differently is passed over. Plain lists and Meet's sheets are read with
//! the same columns (see `plain`, `meet`).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use csv::StringRecord;

pub(super) use super::records::Records;

use super::cells::{count, instant, minutes, Extra};
use super::{
    column, digits, email, header_key, is_missing, Attendee, Dates, Input, ParseError, Role,
    Source, Summary,
};

const NAME: &[&str] = &[
    "user name (original name)",
    "user name",
    "name (original name)",
    "name",
    "full name",
    "participant name",
];
const EMAIL: &[&str] = &[
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "user email",
];
const JOIN: &[&str] = &["join time", "time joined", "first seen", "joined"];
const LEAVE: &[&str] = &["leave time", "time exited", "last seen", "left"];
const MINUTES: &[&str] = &[
    "time in session (minutes)",
    "duration (minutes)",
    "minutes",
    "attendance minutes",
    "duration",
    "time in call",
];
const FIRST: &[&str] = &["first name"];
const LAST: &[&str] = &["last name"];
const ATTENDED: &[&str] = &["attended"];

/// The cells of a line that is not read as a record (the first, to tell a
/// report's kind): split on commas, quotes and padding dropped.
pub(super) fn keys_of(line: &str) -> Vec<String> {
    line.split(',')
        .map(|c| header_key(c.trim().trim_matches('"')))
        .collect()
}

/// Whether a header has an e-mail column.
pub(super) fn has_email(keys: &[String]) -> bool {
    column(keys, EMAIL).is_some()
}

/// Which Zoom report starts with `first` (its first line that is not
/// blank): a webinar report's title (possibly quoted, padded with commas),
/// or a meeting report's block or participants header.
pub(super) fn kind(first: &str) -> Option<Source> {
    let t = first.trim().trim_end_matches(',').trim_matches('"').trim();
    if t.eq_ignore_ascii_case("attendee report") {
        return Some(Source::ZoomWebinar);
    }
    if t.eq_ignore_ascii_case("registration report") {
        return Some(Source::ZoomRegistration);
    }
    let keys = keys_of(first);
    let has = |k: &str| keys.iter().any(|h| h == k);
    let meeting_block = has("meeting id") && has("topic") && has("user email");
    let participants = has("user email") && (has("name (original name)") || has("join time"));
    (meeting_block || participants).then_some(Source::ZoomMeeting)
}

enum State {
    Preamble,
    Summary(Vec<String>),
    SectionHeader(Role),
    Rows(Columns),
}

/// A Zoom report's rows, as they come: the preamble fills the summary, each
/// section's header says where its columns are.
pub(super) struct Rows<'a> {
    records: Records<'a>,
    source: Source,
    state: State,
    /// A meeting report's host, named in its meeting block.
    host: Option<String>,
}

impl<'a> Rows<'a> {
    pub(super) fn new(input: Input<'a>, source: Source) -> Self {
        Self {
            records: Records::new(input),
            source,
            state: State::Preamble,
            host: None,
        }
    }

    pub(super) fn next(
        &mut self,
        summary: &mut Summary,
        dates: &mut Dates,
    ) -> Option<Result<Attendee, ParseError>> {
        let kind = match self.source {
            Source::ZoomRegistration => Kind::Registration,
            _ => Kind::Attendance,
        };
        loop {
            let (line, record) = match self.records.next()? {
                Ok(next) => next,
                Err(e) => return Some(Err(e)),
            };
            if let Some(role) = section(record) {
                self.state = State::SectionHeader(role);
                continue;
            }
            let mut row = None;
            self.state = match std::mem::replace(&mut self.state, State::Preamble) {
                State::Preamble => {
                    let keys: Vec<String> = record.iter().map(header_key).collect();
                    if keys.iter().any(|k| k == "topic") {
                        State::Summary(keys)
                    } else if self.source == Source::ZoomMeeting && column(&keys, EMAIL).is_some() {
                        match Columns::new(record, Role::Attendee, line) {
                            Ok(columns) => State::Rows(columns.anonymous()),
                            Err(e) => return Some(Err(e)),
                        }
                    } else {
                        State::Preamble
                    }
                }
                State::Summary(headers) => {
                    self.host = read_summary(&headers, record, summary, dates);
                    State::Preamble
                }
                State::SectionHeader(role) => match Columns::new(record, role, line) {
                    Ok(columns) => State::Rows(columns),
                    Err(e) => return Some(Err(e)),
                },
                State::Rows(columns) => {
                    row = columns.row(record, line, kind, dates).transpose();
                    summary.without_address += usize::from(row.is_none());
                    if let (Some(Ok(a)), Some(host)) = (&mut row, &self.host) {
                        if a.email == *host {
                            a.role = Role::Host;
                        }
                    }
                    State::Rows(columns)
                }
            };
            if row.is_some() {
                return row;
            }
        }
    }
}

/// What a section's rows say about the people in them.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    /// An attendee or participant report: `Attended`, join and leave times.
    Attendance,
    /// Zoom's registration report: registrants, none of whom attended yet.
    Registration,
    /// A list of people who attended (plain, Meet).
    Listed,
}

/// A line holding only a section title: `Attendee Details`, `Other Attended`.
fn section(record: &StringRecord) -> Option<Role> {
    let mut cells = record.iter().filter(|c| !c.trim().is_empty());
    let title = header_key(cells.next()?);
    if cells.next().is_some() || !(title.ends_with(" details") || title == "other attended") {
        return None;
    }
    Some(if title.starts_with("host") {
        Role::Host
    } else if title.starts_with("panelist") {
        Role::Panelist
    } else {
        Role::Attendee
    })
}

/// The report's own line: its topic, id, start and Zoom's count of viewers
/// (a meeting's host too, returned). A value that will not read is left
/// out: a metadata line never refuses a file.
fn read_summary(
    headers: &[String],
    record: &StringRecord,
    summary: &mut Summary,
    dates: &Dates,
) -> Option<String> {
    let cell = |names: &[&str]| {
        column(headers, names)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !is_missing(v))
    };
    summary.topic = cell(&["topic"]).map(str::to_owned);
    summary.meeting_id = cell(&["webinar id", "meeting id", "id"]).and_then(digits);
    summary.started_at = cell(&["actual start time", "start time"]).and_then(|v| dates.peek(v));
    summary.unique_viewers = cell(&["unique viewers"]).and_then(count);
    cell(&["user email"]).and_then(|v| email(v, 0).ok())
}

/// Where a section's columns are, from its header line.
pub(super) struct Columns {
    role: Role,
    attended: Option<usize>,
    name: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    email: usize,
    join: Option<usize>,
    leave: Option<usize>,
    minutes: Option<usize>,
    extra: Extra,
    /// The day a time alone is on (Meet gives the day once, above).
    pub(super) day: Option<NaiveDate>,
    /// Rows without an address are passed over (and counted), not refused:
    /// a meeting's guests need not sign in.
    anonymous: bool,
}

impl Columns {
    pub(super) fn new(header: &StringRecord, role: Role, line: usize) -> Result<Self, ParseError> {
        let keys: Vec<String> = header.iter().map(header_key).collect();
        let email = column(&keys, EMAIL)
            .ok_or_else(|| ParseError::new(line, "this section's header has no Email column"))?;
        let known = [NAME, EMAIL, JOIN, LEAVE, MINUTES, FIRST, LAST, ATTENDED];
        Ok(Self {
            role,
            attended: column(&keys, ATTENDED),
            name: column(&keys, NAME),
            first: column(&keys, FIRST),
            last: column(&keys, LAST),
            email,
            join: column(&keys, JOIN),
            leave: column(&keys, LEAVE),
            minutes: column(&keys, MINUTES),
            extra: Extra::new(header.iter(), &keys, &known),
            day: None,
            anonymous: false,
        })
    }

    /// The same, for a meeting's rows: anyone may be without an address.
    pub(super) fn anonymous(self) -> Self {
        Self {
            anonymous: true,
            ..self
        }
    }

    /// One row as an attendee; `None` for a host or panelist with no e-mail
    /// (a phone dial-in), or anyone without one in a meeting: no one to
    /// match them to.
    pub(super) fn row(
        &self,
        record: &StringRecord,
        line: usize,
        kind: Kind,
        dates: &mut Dates,
    ) -> Result<Option<Attendee>, ParseError> {
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        let raw_email = cell(Some(self.email));
        if raw_email.is_empty() && (self.anonymous || self.role != Role::Attendee) {
            return Ok(None);
        }
        let email = email(raw_email, line)?;
        let mut name = cell(self.name).to_owned();
        if name.is_empty() {
            name = format!("{} {}", cell(self.first), cell(self.last))
                .trim()
                .to_owned();
        }
        let extra: BTreeMap<Arc<str>, String> = self.extra.of(|i| cell(Some(i)));
        let mut row = Attendee {
            email,
            name,
            attended: false,
            first_join: None,
            last_leave: None,
            minutes: 0,
            joins: 0,
            role: self.role,
            extra,
        };
        // A registration is not a visit, whatever else the row says.
        if kind == Kind::Registration {
            return Ok(Some(row));
        }
        row.first_join = instant(dates, cell(self.join), "Join Time", line, self.day)?;
        row.last_leave = instant(dates, cell(self.leave), "Leave Time", line, self.day)?;
        let spent = cell(self.minutes);
        if !is_missing(spent) {
            row.minutes = minutes(spent, "Time in Session", line)?;
        }
        row.attended = match self.attended {
            _ if kind == Kind::Listed => true,
            Some(_) => cell(self.attended).eq_ignore_ascii_case("yes"),
            None => row.first_join.is_some() || row.minutes > 0,
        };
        row.joins = u32::from(row.attended);
        Ok(Some(row))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, find, read};
    use super::super::{parse, DateOrder, Decided, Role, Source};

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../../tests/fixtures/attendance/", $name))
        };
    }

    #[test]
    fn the_old_column_set_gives_the_webinar_and_everyone_in_it() {
        let report = read(fixture!("zoom_old_columns.csv"));
        assert_eq!(report.summary.source, Source::ZoomWebinar);
        assert_eq!(
            report.summary.meeting_id.as_deref(),
            Some("328972509"),
            "id as digits"
        );
        assert_eq!(
            report.summary.topic.as_deref(),
            Some("Workforce Solutions Jam: March")
        );
        assert_eq!(report.summary.started_at, Some(at("2025-03-22 18:55:02")));
        let roles: Vec<_> = report.attendees.iter().map(|a| a.role).collect();
        assert_eq!(
            roles,
            [Role::Host, Role::Panelist, Role::Attendee, Role::Attendee]
        );
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.name, "Jane Doe");
        assert!(jane.attended, "Attended = Yes");
        assert_eq!(jane.first_join, Some(at("2025-03-22 19:01:12")));
        assert_eq!(jane.last_leave, Some(at("2025-03-22 20:28:40")));
        assert_eq!((jane.minutes, jane.joins), (88, 1));
        assert_eq!(jane.extra["Country/Region Name"], "United States");
        assert_eq!(jane.extra["Approval Status"], "approved");
    }

    #[test]
    fn the_new_column_set_keeps_custom_questions_and_source_in_extra() {
        let report = read(fixture!("zoom_new_columns.csv"));
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.extra["Organization"], "Tri-County Workforce Board");
        assert_eq!(
            jane.extra["What do you hope to learn?"],
            "How others fund pre-apprenticeships, mostly"
        );
        assert_eq!(jane.extra["Source Name"], "Newsletter");
        assert_eq!(jane.extra["Phone"], "+1 555 010 2233");
        assert_eq!(jane.extra["Is Guest"], "Yes");
        let kwame = find(&report, "kwame@example.com");
        assert!(
            !kwame.extra.contains_key("What do you hope to learn?")
                && !kwame.extra.contains_key("Phone"),
            "empty and `--` answers are left out: {:?}",
            kwame.extra
        );
        let host = find(&report, "host@convene.example.org");
        assert!(
            host.attended,
            "a host section without an Attended column: joined means attended"
        );
        assert_eq!(host.role, Role::Host);
        assert_eq!(
            find(&report, "maria.lopez@example.org").name,
            "Maria Lopez (Maria L)"
        );
    }

    #[test]
    fn a_panelist_without_an_email_is_skipped() {
        let report = read(fixture!("zoom_new_columns.csv"));
        assert!(
            report
                .attendees
                .iter()
                .all(|a| a.name != "Dial-in Panelist"),
            "the dial-in panelist cannot be matched to anyone"
        );
        assert_eq!(
            report.attendees.len(),
            5,
            "host, panelist, three registrants"
        );
    }

    #[test]
    fn rejoins_merge_into_one_attendee() {
        let report = read(fixture!("zoom_rejoins.csv"));
        assert_eq!(
            report.attendees.len(),
            2,
            "one per e-mail, case-insensitively"
        );
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.joins, 3, "three rows, three joins");
        assert_eq!(jane.minutes, 25 + 20 + 19, "minutes summed");
        assert_eq!(
            jane.first_join,
            Some(at("2025-03-22 19:01:12")),
            "earliest join"
        );
        assert_eq!(
            jane.last_leave,
            Some(at("2025-03-22 20:28:40")),
            "latest leave"
        );
        assert_eq!(jane.name, "Jane Doe", "the first row's name");
    }

    #[test]
    fn no_shows_are_registrants_who_did_not_attend() {
        let report = read(fixture!("zoom_no_shows.csv"));
        for email in ["sam.smith@example.org", "lee.park@example.org"] {
            let a = find(&report, email);
            assert!(!a.attended, "{email} did not attend");
            assert_eq!(
                (a.first_join, a.last_leave),
                (None, None),
                "{email}: `--`/`NA` times"
            );
            assert_eq!(
                (a.minutes, a.joins),
                (0, 0),
                "{email}: no minutes, no joins"
            );
        }
        assert_eq!(
            find(&report, "sam.smith@example.org").name,
            "Sam Smith",
            "first + last"
        );
    }

    #[test]
    fn other_attended_are_attendees() {
        let report = read(fixture!("zoom_no_shows.csv"));
        let walk_in = find(&report, "walk.in@example.com");
        assert!(
            walk_in.attended && walk_in.role == Role::Attendee,
            "{walk_in:?}"
        );
        assert_eq!(walk_in.minutes, 15);
    }

    #[test]
    fn us_twelve_hour_dates_are_read() {
        let report = read(fixture!("zoom_us_12h.csv"));
        assert_eq!(report.summary.started_at, Some(at("2026-04-26 10:45:17")));
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.first_join, Some(at("2026-04-26 10:50:02")));
        assert_eq!(jane.last_leave, Some(at("2026-04-26 12:05:40")), "PM");
        assert_eq!(report.summary.meeting_id.as_deref(), Some("9231122334"));
    }

    #[test]
    fn a_bom_trailing_commas_and_a_spaced_id_are_tolerated() {
        let report = read(fixture!("zoom_bom_trailing_commas.csv"));
        assert_eq!(report.summary.meeting_id.as_deref(), Some("84759841045"));
        assert_eq!(
            report.summary.started_at,
            Some(at("2025-05-20 13:00:04")),
            "ISO dates"
        );
        assert_eq!(report.attendees.len(), 2);
        let ravi = find(&report, "ravi.kumar@example.com");
        assert_eq!((ravi.minutes, ravi.joins), (30, 1));
        assert!(
            !ravi.extra.keys().any(|k| k.is_empty()),
            "padding is not a column"
        );
    }

    #[test]
    fn a_join_time_in_no_known_form_refuses_the_file_with_its_line() {
        let err = parse(fixture!("zoom_malformed.csv")).unwrap_err();
        assert_eq!(err.line, 9, "the row with `yesterday`: {err}");
        assert!(err.message.contains("yesterday"), "says which value: {err}");
    }

    #[test]
    fn lines_are_counted_right_with_crlf_and_blank_lines() {
        let text = String::from_utf8(fixture!("zoom_malformed.csv").to_vec()).unwrap();
        let crlf = text
            .replace('\n', "\r\n")
            .replace("Attendee Details", "\r\n\r\nAttendee Details");
        let err = parse(crlf.as_bytes()).unwrap_err();
        assert_eq!(
            err.line, 11,
            "two more blank lines before the section, CRLF ends: {err}"
        );
    }

    #[test]
    fn an_attendee_without_a_usable_email_refuses_the_file() {
        let text = "Attendee Report\nAttendee Details\nAttended,User Name,Email,Join Time\n\
                    Yes,Jane,jane@example.org,2025-03-22 19:00:00\nYes,Nobody,,2025-03-22 19:00:00\n";
        let err = parse(text.as_bytes()).unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        let text = text.replace(",,", ",not-an-address,");
        assert_eq!(parse(text.as_bytes()).unwrap_err().line, 5);
    }

    #[test]
    fn a_day_past_twelve_reads_the_whole_file_day_first() {
        let text = "Attendee Report\nAttendee Details\nAttended,User Name,Email,Join Time\n\
                    Yes,Jane,jane@example.org,03/04/2025 19:13:27\n\
                    Yes,Sam,sam@example.org,22/03/2025 19:13:27\n";
        let report = parse(text.as_bytes()).unwrap();
        assert_eq!(
            find(&report, "jane@example.org").first_join,
            Some(at("2025-04-03 19:13:27")),
            "line 5 settles day-first, so line 4 is 3 April"
        );
        assert_eq!(report.date_order, (DateOrder::DayFirst, Decided::File(5)));
    }

    #[test]
    fn a_registration_report_lists_registrants_who_have_not_attended() {
        let report = read(fixture!("zoom_registration.csv"));
        assert_eq!(report.summary.meeting_id.as_deref(), Some("328972509"));
        assert_eq!(
            report.summary.started_at, None,
            "a scheduled time is not a start"
        );
        assert_eq!(report.attendees.len(), 3);
        for a in &report.attendees {
            assert!(!a.attended && a.minutes == 0 && a.joins == 0, "{a:?}");
            assert_eq!(a.first_join, None);
        }
        let sam = find(&report, "sam.smith@example.org");
        assert_eq!(sam.name, "Sam Smith");
        assert_eq!(sam.extra["Registration Time"], "Mar 11, 2025 10:00:00");
        assert_eq!(
            find(&report, "ana.silva@example.net").extra["Approval Status"],
            "pending"
        );
    }
}
