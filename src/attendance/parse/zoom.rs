//! Zoom webinar reports: the Attendee Report (one row per join, by section:
//! hosts, panelists, attendees, others) and the Registration Report (one row
//! per registrant). Columns are found by header name; Zoom moves them about.
//! Plain CSV lists are read with the same columns (see `plain`).

use std::collections::BTreeMap;

use csv::StringRecord;

use super::{
    column, date_time, digits, email, header_key, is_missing, Attendee, ParseError, Report, Role,
    Roster, Source,
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
pub(super) fn is_zoom(text: &str) -> bool {
    let first = text
        .lines()
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"').trim())
        .find(|l| !l.is_empty());
    first.is_some_and(|t| {
        t.eq_ignore_ascii_case("attendee report") || t.eq_ignore_ascii_case("registration report")
    })
}

enum State {
    Preamble,
    Summary(Vec<String>),
    SectionHeader(Role),
    Rows(Columns),
}

pub(super) fn parse(text: &str) -> Result<Report, ParseError> {
    let mut report = Report {
        source: Source::Zoom,
        meeting_id: None,
        topic: None,
        started_at: None,
        attendees: Vec::new(),
    };
    let mut rows = Rows::Attendance;
    let mut state = State::Preamble;
    let mut roster = Roster::default();
    for record in records(text) {
        let (line, record) = record?;
        if let Some(role) = section(&record) {
            state = State::SectionHeader(role);
            continue;
        }
        state = match state {
            State::Preamble => {
                let first = header_key(&record[0]);
                if first == "registration report" {
                    rows = Rows::Registration;
                }
                if first == "topic" {
                    State::Summary(record.iter().map(header_key).collect())
                } else {
                    State::Preamble
                }
            }
            State::Summary(headers) => {
                summary(&headers, &record, line, &mut report)?;
                State::Preamble
            }
            State::SectionHeader(role) => State::Rows(Columns::new(&record, role, line)?),
            State::Rows(columns) => {
                if let Some(row) = columns.row(&record, line, rows)? {
                    roster.add(row);
                }
                State::Rows(columns)
            }
        };
    }
    report.attendees = roster.into_vec();
    Ok(report)
}

/// The records of a CSV file with their 1-based lines, blank ones (empty or
/// only commas) left out. Rows may have any number of cells.
pub(super) fn records(
    text: &str,
) -> impl Iterator<Item = Result<(usize, StringRecord), ParseError>> + '_ {
    // csv's own line numbers skip blank lines and miscount CRLF, and its byte
    // offset is where reading began, before any blank lines: so lines are
    // counted here from that offset past the line ends (always forward).
    let bytes = text.as_bytes();
    let mut seen = (0, 1);
    let mut line_at = move |p: Option<&csv::Position>| {
        let mut byte = p.map_or(0, |p| p.byte() as usize).clamp(seen.0, text.len());
        while matches!(bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        let newlines = bytes[seen.0..byte].iter().filter(|&&b| b == b'\n');
        seen = (byte, seen.1 + newlines.count());
        seen.1
    };
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records()
        .map(move |record| match record {
            Ok(record) => Ok((line_at(record.position()), record)),
            Err(e) => Err(ParseError::new(
                line_at(e.position()),
                format!("unreadable CSV: {e}"),
            )),
        })
        .filter(|r| !matches!(r, Ok((_, rec)) if rec.iter().all(|c| c.trim().is_empty())))
}

/// What a section's rows say about the people in them.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Rows {
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

fn summary(
    headers: &[String],
    record: &StringRecord,
    line: usize,
    report: &mut Report,
) -> Result<(), ParseError> {
    let cell = |names: &[&str]| {
        column(headers, names)
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !is_missing(v))
    };
    report.topic = cell(&["topic"]).map(str::to_owned);
    report.meeting_id = cell(&["webinar id", "meeting id", "id"]).and_then(digits);
    if let Some(v) = cell(&["actual start time", "start time"]) {
        report.started_at = Some(when(v, "start time", line)?);
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
        rows: Rows,
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
        if rows == Rows::Registration {
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
            _ if rows == Rows::Listed => true,
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
        assert_eq!(report.source, Source::Zoom);
        assert_eq!(
            report.meeting_id.as_deref(),
            Some("328972509"),
            "id as digits"
        );
        assert_eq!(
            report.topic.as_deref(),
            Some("Workforce Solutions Jam: March")
        );
        assert_eq!(report.started_at, Some(at("2025-03-22 18:55:02")));
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
        assert_eq!(report.started_at, Some(at("2026-04-26 10:45:17")));
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.first_join, Some(at("2026-04-26 10:50:02")));
        assert_eq!(jane.last_leave, Some(at("2026-04-26 12:05:40")), "PM");
        assert_eq!(report.meeting_id.as_deref(), Some("9231122334"));
    }

    #[test]
    fn a_bom_trailing_commas_and_a_spaced_id_are_tolerated() {
        let report = read(fixture!("zoom_bom_trailing_commas.csv"));
        assert_eq!(report.meeting_id.as_deref(), Some("84759841045"));
        assert_eq!(
            report.started_at,
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
        assert_eq!(report.meeting_id.as_deref(), Some("328972509"));
        assert_eq!(report.started_at, None, "a scheduled time is not a start");
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
