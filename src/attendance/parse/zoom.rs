//! Zoom webinar reports: the Attendee Report (one row per join, by section:
//! hosts, panelists, attendees, others) and the Registration Report (one row
//! per registrant). Columns are found by header name; Zoom moves them about.
//! Plain CSV lists are read with the same columns (see `plain`).

use std::collections::BTreeMap;

use csv::StringRecord;

use super::lines::Counted;
use super::{
    clean, column, date_time, digits, email, header_key, is_missing, Attendee, Input, ParseError,
    Role, Summary,
};

const NAME: &[&str] = &[
    "user name (original name)",
    "user name",
    "name (original name)",
    "name",
];
const EMAIL: &[&str] = &["email", "e-mail", "email address", "e-mail address"];
const JOIN: &[&str] = &["join time"];
const LEAVE: &[&str] = &["leave time"];
const MINUTES: &[&str] = &[
    "time in session (minutes)",
    "duration (minutes)",
    "minutes",
    "attendance minutes",
];
const FIRST: &[&str] = &["first name"];
const LAST: &[&str] = &["last name"];
const ATTENDED: &[&str] = &["attended"];

/// A Zoom report starts with its title (possibly quoted, padded with commas).
pub(super) fn is_title(line: &str) -> bool {
    let t = line.trim().trim_end_matches(',').trim_matches('"').trim();
    t.eq_ignore_ascii_case("attendee report") || t.eq_ignore_ascii_case("registration report")
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
    kind: Kind,
    state: State,
}

impl<'a> Rows<'a> {
    pub(super) fn new(input: Input<'a>) -> Self {
        Self {
            records: Records::new(input),
            kind: Kind::Attendance,
            state: State::Preamble,
        }
    }

    pub(super) fn next(&mut self, summary: &mut Summary) -> Option<Result<Attendee, ParseError>> {
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
                    let first = header_key(&record[0]);
                    if first == "registration report" {
                        self.kind = Kind::Registration;
                    }
                    if first == "topic" {
                        State::Summary(record.iter().map(header_key).collect())
                    } else {
                        State::Preamble
                    }
                }
                State::Summary(headers) => {
                    if let Err(e) = read_summary(&headers, record, line, summary) {
                        return Some(Err(e));
                    }
                    State::Preamble
                }
                State::SectionHeader(role) => match Columns::new(record, role, line) {
                    Ok(columns) => State::Rows(columns),
                    Err(e) => return Some(Err(e)),
                },
                State::Rows(columns) => {
                    row = columns.row(record, line, self.kind).transpose();
                    State::Rows(columns)
                }
            };
            if row.is_some() {
                return row;
            }
        }
    }
}

/// The records of a CSV stream with their 1-based lines, blank ones (empty
/// or only commas) left out. Rows may have any number of cells.
pub(super) struct Records<'a> {
    csv: csv::Reader<Counted<Input<'a>>>,
    record: StringRecord,
}

impl<'a> Records<'a> {
    pub(super) fn new(input: Input<'a>) -> Self {
        Self {
            csv: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .buffer_capacity(64 * 1024)
                .from_reader(Counted::new(input)),
            record: StringRecord::new(),
        }
    }

    /// The next record that is not blank, and its line.
    pub(super) fn next(&mut self) -> Option<Result<(usize, &StringRecord), ParseError>> {
        loop {
            match self.csv.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) if self.record.iter().all(|c| c.trim().is_empty()) => continue,
                Ok(true) => {
                    let at = self.record.position().map(|p| p.byte());
                    let line = self.csv.get_mut().line_at(at);
                    if let Err(e) = self.record.iter().try_for_each(|cell| clean(cell, line)) {
                        return Some(Err(e));
                    }
                    return Some(Ok((line, &self.record)));
                }
                Err(e) => {
                    let at = e.position().map(|p| p.byte());
                    let line = self.csv.get_mut().line_at(at);
                    let message = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "the file is not UTF-8 or UTF-16 text".into()
                        }
                        _ => format!("unreadable CSV: {e}"),
                    };
                    return Some(Err(ParseError::new(line, message)));
                }
            }
        }
    }
}

/// What a section's rows say about the people in them.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    /// Zoom's attendee report: `Attended`, join and leave times.
    Attendance,
    /// Zoom's registration report: registrants, none of whom attended yet.
    Registration,
    /// A plain list of people who attended.
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

fn read_summary(
    headers: &[String],
    record: &StringRecord,
    line: usize,
    summary: &mut Summary,
) -> Result<(), ParseError> {
    let cell = |names: &[&str]| {
        column(headers, names)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !is_missing(v))
    };
    summary.topic = cell(&["topic"]).map(str::to_owned);
    summary.meeting_id = cell(&["webinar id", "meeting id", "id"]).and_then(digits);
    if let Some(v) = cell(&["actual start time", "start time"]) {
        summary.started_at = Some(when(v, "start time", line)?);
    }
    Ok(())
}

fn when(value: &str, what: &str, line: usize) -> Result<chrono::NaiveDateTime, ParseError> {
    date_time(value).ok_or_else(|| {
        ParseError::new(
            line,
            format!(
                "{what} {value:?} is not a date and time like \"Mar 22, 2025 19:13:27\", \
                 \"03/22/2025 07:13:27 PM\" or \"2025-03-22 19:13:27\""
            ),
        )
    })
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
    /// Every other named column, kept under its name as written.
    extra: Vec<(usize, String)>,
}

impl Columns {
    pub(super) fn new(header: &StringRecord, role: Role, line: usize) -> Result<Self, ParseError> {
        let keys: Vec<String> = header.iter().map(header_key).collect();
        let email = column(&keys, EMAIL)
            .ok_or_else(|| ParseError::new(line, "this section's header has no Email column"))?;
        let known = [NAME, EMAIL, JOIN, LEAVE, MINUTES, FIRST, LAST, ATTENDED];
        let extra = header
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                !keys[*i].is_empty()
                    && !known.iter().any(|k| k.contains(&&*keys[*i]))
                    && !h.is_empty()
            })
            .map(|(i, h)| (i, h.trim().to_owned()))
            .collect();
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
            extra,
        })
    }

    /// One row as an attendee; `None` for a host or panelist with no e-mail
    /// (a phone dial-in), who cannot be matched to anyone.
    pub(super) fn row(
        &self,
        record: &StringRecord,
        line: usize,
        kind: Kind,
    ) -> Result<Option<Attendee>, ParseError> {
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        let raw_email = cell(Some(self.email));
        if raw_email.is_empty() && self.role != Role::Attendee {
            return Ok(None);
        }
        let email = email(raw_email, line)?;
        let mut name = cell(self.name).to_owned();
        if name.is_empty() {
            name = format!("{} {}", cell(self.first), cell(self.last))
                .trim()
                .to_owned();
        }
        let extra: BTreeMap<String, String> = self
            .extra
            .iter()
            .map(|(i, h)| (h, cell(Some(*i))))
            .filter(|(_, v)| !is_missing(v))
            .map(|(h, v)| (h.clone(), v.to_owned()))
            .collect();
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
        let join = cell(self.join);
        if !is_missing(join) {
            row.first_join = Some(when(join, "Join Time", line)?);
        }
        let leave = cell(self.leave);
        if !is_missing(leave) {
            row.last_leave = Some(when(leave, "Leave Time", line)?);
        }
        let minutes = cell(self.minutes);
        if !is_missing(minutes) {
            row.minutes = minutes.parse().map_err(|_| {
                ParseError::new(
                    line,
                    format!("Time in Session {minutes:?} is not whole minutes"),
                )
            })?;
        }
        row.attended = match self.attended {
            _ if kind == Kind::Listed => true,
            Some(_) => cell(self.attended).eq_ignore_ascii_case("yes"),
            None => row.first_join.is_some(),
        };
        row.joins = u32::from(row.attended);
        Ok(Some(row))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, find, read};
    use super::super::{parse, Role, Source};

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../../tests/fixtures/attendance/", $name))
        };
    }

    #[test]
    fn the_old_column_set_gives_the_webinar_and_everyone_in_it() {
        let report = read(fixture!("zoom_old_columns.csv"));
        assert_eq!(report.summary.source, Source::Zoom);
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
            !ravi.extra.keys().any(String::is_empty),
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
    fn a_day_first_date_refuses_the_file() {
        let text = "Attendee Report\nAttendee Details\nAttended,User Name,Email,Join Time\n\
                    Yes,Jane,jane@example.org,22/03/2025 19:13:27\n";
        assert_eq!(parse(text.as_bytes()).unwrap_err().line, 4, "not guessed");
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
