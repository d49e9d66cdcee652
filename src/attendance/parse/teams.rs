//! Teams attendance reports: UTF-16 (LE, or BE) or UTF-8, tab-separated,
//! in numbered sections
//! (`1. Summary`, `2. Participants`, `3. In-Meeting Activities`). Attendees
//! come from the participants (one row each), or from the activities (one
//! row per join, merged) when a report has no participants section before
//! them: whichever of the two comes first is read, the other left alone.

use std::char::DecodeUtf16;
use std::io::{BufRead, Read};

use super::cells::{instant, minutes, Extra};
use super::{
    clean, column, digits, email, header_key, is_missing, Attendee, Dates, Input, ParseError, Role,
    Summary,
};

/// How a report's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// A Teams report written as UTF-8 starts with its numbered summary.
pub(super) fn is_title(first: &str) -> bool {
    matches!(section_title(first, false), Some(Section::Summary))
}

const NAME: &[&str] = &["name", "full name"];
const JOIN: &[&str] = &["first join", "join time"];
const LEAVE: &[&str] = &["last leave", "leave time"];
const DURATION: &[&str] = &["in-meeting duration", "duration"];
const EMAIL: &[&str] = &["email", "e-mail"];
const UPN: &[&str] = &["participant id (upn)"];
const ROLE: &[&str] = &["role"];

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Summary,
    /// Participants or activities: the people. `None` until its header.
    People(Option<usize>),
    Other,
}

/// A Teams report's rows, as they come.
pub(super) struct Rows<'a> {
    lines: Lines<'a>,
    section: Section,
    /// The columns of the people section being read.
    columns: Option<Columns>,
    /// A people section has begun: a later one is not read.
    people_read: bool,
}

impl<'a> Rows<'a> {
    /// `input` without its BOM.
    pub(super) fn new(input: Input<'a>, encoding: Encoding) -> Self {
        Self {
            lines: Lines::new(input, encoding),
            section: Section::None,
            columns: None,
            people_read: false,
        }
    }

    pub(super) fn next(
        &mut self,
        summary: &mut Summary,
        dates: &mut Dates,
    ) -> Option<Result<Attendee, ParseError>> {
        loop {
            let (line, raw) = match self.lines.next()? {
                Ok(next) => next,
                Err(e) => return Some(Err(e)),
            };
            let content = raw.trim_end_matches('\r');
            if content.trim().is_empty() {
                continue;
            }
            if let Err(e) = clean(content, line) {
                return Some(Err(e));
            }
            if let Some(s) = section_title(content, self.people_read) {
                self.people_read |= matches!(s, Section::People(_));
                self.section = s;
                self.columns = None;
                continue;
            }
            let read = match self.section {
                Section::Summary => {
                    read_summary(content, summary, dates);
                    Ok(None)
                }
                Section::People(_) => match &self.columns {
                    None => Columns::new(content, line).map(|c| {
                        self.columns = Some(c);
                        None
                    }),
                    Some(columns) => {
                        let row = columns.row(content, line, dates);
                        if matches!(row, Ok(None)) {
                            summary.without_address += 1;
                        }
                        row
                    }
                },
                Section::None | Section::Other => Ok(None),
            };
            match read {
                Ok(None) => {}
                Ok(Some(row)) => return Some(Ok(row)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Text a line at a time, each with its 1-based number; refused at the
/// line of the first unreadable character.
struct Lines<'a> {
    text: Text<'a>,
    line: usize,
    done: bool,
}

enum Text<'a> {
    Utf8(Input<'a>),
    Utf16(DecodeUtf16<Units<'a>>),
}

/// The 16-bit units of a stream (a dangling last byte is dropped); a read
/// error ends them and is kept.
struct Units<'a> {
    input: Input<'a>,
    big_endian: bool,
    error: Option<std::io::Error>,
}

impl Iterator for Units<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let mut unit = [0u8; 2];
        match self.input.read_exact(&mut unit) {
            Ok(()) if self.big_endian => Some(u16::from_be_bytes(unit)),
            Ok(()) => Some(u16::from_le_bytes(unit)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => None,
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }
}

impl<'a> Lines<'a> {
    fn new(input: Input<'a>, encoding: Encoding) -> Self {
        let big_endian = match encoding {
            Encoding::Utf8 => return Self::from(Text::Utf8(input)),
            Encoding::Utf16Le => false,
            Encoding::Utf16Be => true,
        };
        Self::from(Text::Utf16(char::decode_utf16(Units {
            input,
            big_endian,
            error: None,
        })))
    }

    fn from(text: Text<'a>) -> Self {
        Self {
            text,
            line: 0,
            done: false,
        }
    }

    fn next(&mut self) -> Option<Result<(usize, String), ParseError>> {
        if self.done {
            return None;
        }
        self.line += 1;
        let chars = match &mut self.text {
            Text::Utf16(chars) => chars,
            Text::Utf8(input) => {
                let mut bytes = Vec::new();
                let read = input.read_until(b'\n', &mut bytes);
                let line = self.line;
                return match read {
                    Ok(0) => None,
                    Ok(_) => match String::from_utf8(bytes) {
                        Ok(mut text) => {
                            if text.ends_with('\n') {
                                text.pop();
                            }
                            Some(Ok((line, text)))
                        }
                        Err(_) => {
                            self.done = true;
                            Some(Err(ParseError::new(line, "the file is not UTF-8 text")))
                        }
                    },
                    Err(e) => {
                        self.done = true;
                        Some(Err(ParseError::unreadable(line, &e)))
                    }
                };
            }
        };
        let mut text = String::new();
        loop {
            match chars.next() {
                Some(Ok('\n')) => return Some(Ok((self.line, text))),
                Some(Ok(c)) => text.push(c),
                Some(Err(_)) => {
                    self.done = true;
                    return Some(Err(ParseError::new(
                        self.line,
                        "the file is not UTF-16 text",
                    )));
                }
                None => {
                    self.done = true;
                    // `decode_utf16` hides its source: a read error shows as
                    // the end, so the end says nothing of it.
                    return (!text.is_empty()).then_some(Ok((self.line, text)));
                }
            }
        }
    }
}

/// `2. Participants` and the like; a numbered title with no tab. Once
/// `people_read`, a further people section is `Other`.
fn section_title(content: &str, people_read: bool) -> Option<Section> {
    let (number, title) = content.trim().split_once('.')?;
    if content.contains('\t') || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match header_key(title).as_str() {
        "summary" => Section::Summary,
        "participants" | "in-meeting activities" if !people_read => Section::People(None),
        _ => Section::Other,
    })
}

fn cells(content: &str) -> impl Iterator<Item = &str> {
    content
        .split('\t')
        .map(|c| c.trim().trim_matches('"').trim())
}

/// A summary line: a value that will not read is left out (a metadata
/// line never refuses a file).
fn read_summary(content: &str, summary: &mut Summary, dates: &Dates) {
    let mut cells = cells(content);
    let (Some(key), Some(value)) = (cells.next(), cells.next()) else {
        return;
    };
    if is_missing(value) {
        return;
    }
    match header_key(key).as_str() {
        "meeting title" => summary.topic = Some(value.to_owned()),
        "meeting id" => summary.meeting_id = digits(value),
        "start time" => summary.started_at = dates.peek(value),
        _ => {}
    }
}

fn role(value: &str) -> Role {
    match header_key(value).as_str() {
        "organizer" => Role::Host,
        "co-organizer" | "presenter" => Role::Panelist,
        _ => Role::Attendee,
    }
}

/// Where a people section's columns are, from its header line.
struct Columns {
    email: Option<usize>,
    upn: Option<usize>,
    name: Option<usize>,
    join: Option<usize>,
    leave: Option<usize>,
    duration: Option<usize>,
    role: Option<usize>,
    extra: Extra,
}

impl Columns {
    fn new(header: &str, line: usize) -> Result<Self, ParseError> {
        let keys: Vec<String> = header.split('\t').map(header_key).collect();
        let (email, upn) = (column(&keys, EMAIL), column(&keys, UPN));
        if email.is_none() && upn.is_none() {
            return Err(ParseError::new(line, "the header has no Email column"));
        }
        let known = [NAME, JOIN, LEAVE, DURATION, EMAIL, UPN, ROLE];
        let extra = Extra::new(cells(header), &keys, &known);
        Ok(Self {
            email,
            upn,
            name: column(&keys, NAME),
            join: column(&keys, JOIN),
            leave: column(&keys, LEAVE),
            duration: column(&keys, DURATION),
            role: column(&keys, ROLE),
            extra,
        })
    }

    /// One row as an attendee; `None` for someone with no address (an
    /// anonymous guest, a dial-in), who cannot be matched to anyone.
    fn row(
        &self,
        content: &str,
        line: usize,
        dates: &mut Dates,
    ) -> Result<Option<Attendee>, ParseError> {
        let row: Vec<&str> = cells(content).collect();
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i).copied()).unwrap_or("");
        let role = role(cell(self.role));
        // External guests often have no Email, but a UPN that is an address.
        let raw = match cell(self.email) {
            "" if cell(self.upn).contains('@') => cell(self.upn),
            e => e,
        };
        // An anonymous guest, or a dial-in: no one to match.
        if raw.is_empty() {
            return Ok(None);
        }
        let duration = cell(self.duration);
        Ok(Some(Attendee {
            email: email(raw, line)?,
            name: cell(self.name).to_owned(),
            attended: true,
            first_join: instant(dates, cell(self.join), "First Join", line, None)?,
            last_leave: instant(dates, cell(self.leave), "Last Leave", line, None)?,
            minutes: if is_missing(duration) {
                0
            } else {
                minutes(duration, "Duration", line)?
            },
            joins: 1,
            role,
            extra: self.extra.of(|i| cell(Some(i))),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, find, read};
    use super::super::{parse, Role, Source};

    /// Teams exports UTF-16 LE with a BOM and CRLF line ends.
    fn utf16(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.replace('\n', "\r\n").encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        bytes
    }

    // Written as Teams writes it, by:
    //   python3 -c 'open("teams_attendance.csv","wb").write(b"\xff\xfe" +
    //     open("report.tsv").read().replace("\n","\r\n").encode("utf-16-le"))'
    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/fixtures/attendance/teams_attendance.csv");

    #[test]
    fn the_summary_gives_the_title_and_start() {
        let report = read(FIXTURE);
        assert_eq!(report.summary.source, Source::Teams);
        assert_eq!(
            report.summary.topic.as_deref(),
            Some("Workforce ECHO: Youth Pathways")
        );
        assert_eq!(report.summary.started_at, Some(at("2025-03-22 19:00:04")));
        assert_eq!(report.summary.meeting_id, None, "Teams does not give one");
    }

    #[test]
    fn participants_are_read_from_section_two() {
        let report = read(FIXTURE);
        assert_eq!(report.attendees.len(), 4);
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.first_join, Some(at("2025-03-22 19:05:00")));
        assert_eq!(jane.last_leave, Some(at("2025-03-22 20:20:00")));
        assert_eq!(
            (jane.minutes, jane.joins),
            (62, 1),
            "1h 2m 3s, one participant row"
        );
        assert_eq!(find(&report, "host@convene.example.org").role, Role::Host);
        assert_eq!(
            find(&report, "maria.lopez@example.org").role,
            Role::Panelist
        );
    }

    #[test]
    fn a_guest_without_an_email_is_found_by_upn() {
        let report = read(FIXTURE);
        let ravi = find(&report, "ravi.kumar@example.com");
        assert_eq!(ravi.name, "Ravi Kumar (External)");
        assert_eq!(ravi.minutes, 45, "45m 10s");
    }

    #[test]
    fn without_participants_the_activities_are_merged() {
        let text = "1. Summary\nMeeting title\tJam\n\n3. In-Meeting Activities\n\
                    Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n\
                    Jane\t3/22/25, 7:05:00 PM\t3/22/25, 7:40:00 PM\t35m\tjane@example.org\tAttendee\n\
                    Jane\t3/22/25, 7:53:00 PM\t3/22/25, 8:20:00 PM\t27m 3s\tjane@example.org\tAttendee\n";
        let report = read(&utf16(text));
        let jane = find(&report, "jane@example.org");
        assert_eq!(
            (jane.minutes, jane.joins),
            (62, 2),
            "two activity rows merged"
        );
        assert_eq!(jane.first_join, Some(at("2025-03-22 19:05:00")));
        assert_eq!(jane.last_leave, Some(at("2025-03-22 20:20:00")));
    }

    #[test]
    fn the_first_people_section_is_read_and_a_later_one_left_alone() {
        let text = "3. In-Meeting Activities\nName\tDuration\tEmail\n\
                    Jane\t35m\tjane@example.org\nJane\t27m\tjane@example.org\n\n\
                    2. Participants\nName\tIn-Meeting Duration\tEmail\nJane\t1h 2m\tjane@example.org\n";
        let report = read(&utf16(text));
        let jane = find(&report, "jane@example.org");
        assert_eq!(
            (jane.minutes, jane.joins),
            (62, 2),
            "the activities, merged; not the participants row as well"
        );
    }

    #[test]
    fn characters_outside_the_basic_plane_are_read() {
        let text = "2. Participants\nName\tEmail\nJane \u{1F389} Doe\tjane@example.org\n";
        let report = read(&utf16(text));
        assert_eq!(find(&report, "jane@example.org").name, "Jane \u{1F389} Doe");
    }

    #[test]
    fn an_unpaired_surrogate_refuses_the_file_with_its_line() {
        let mut bytes = utf16("2. Participants\nName\tEmail\n");
        bytes.extend([0x00, 0xD8]); // a high surrogate with no low one after it
        bytes.extend(utf16("Jane\tjane@example.org\n").split_off(2));
        let err = parse(&bytes).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn an_anonymous_guest_is_counted_apart_and_a_bad_address_refuses_the_file() {
        let text = "2. Participants\nName\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
                    Anon\t3/22/25, 7:05:00 PM\t3/22/25, 7:40:00 PM\t35m\t\t\tAttendee\n\
                    Jane\t3/22/25, 7:05:00 PM\t3/22/25, 7:40:00 PM\t35m\tjane@example.org\t\tAttendee\n";
        let report = parse(&utf16(text)).unwrap();
        assert_eq!(report.attendees.len(), 1, "Jane; the guest has no address");
        assert_eq!(
            report.summary.without_address, 1,
            "counted, not lost silently"
        );
        let bad = text.replace("\t\t\tAttendee\nJane", "\tnot-an-address\t\tAttendee\nJane");
        assert_eq!(parse(&utf16(&bad)).unwrap_err().line, 3);
    }

    #[test]
    fn the_newer_report_in_utf8_reads_as_the_utf16_one() {
        let report = read(include_bytes!(
            "../../../tests/fixtures/attendance/teams_attendance_utf8.csv"
        ));
        assert_eq!(report.summary.source, Source::Teams);
        assert_eq!(
            report.summary.topic.as_deref(),
            Some("Workforce Solutions Jam: December")
        );
        assert_eq!(report.summary.started_at, Some(at("2025-12-16 12:58:10")));
        assert_eq!(
            report.attendees.len(),
            4,
            "the participants, not the activities"
        );
        let staff: Vec<_> = report
            .attendees
            .iter()
            .filter(|a| a.role.is_staff())
            .collect();
        assert_eq!(staff.len(), 2, "the organizer and the presenter: {staff:?}");
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!((jane.minutes, jane.joins), (59, 1), "59m 28s");
        assert_eq!(find(&report, "ravi.kumar@example.com").minutes, 30);
        let mut be = vec![0xFE, 0xFF];
        let text = String::from_utf8(
            include_bytes!("../../../tests/fixtures/attendance/teams_attendance_utf8.csv")[3..]
                .to_vec(),
        )
        .unwrap();
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(read(&be).attendees, report.attendees, "UTF-16 BE too");
    }

    #[test]
    fn a_bad_duration_refuses_the_file_with_its_line() {
        let text =
            "2. Participants\nName\tEmail\tIn-Meeting Duration\nJane\tjane@example.org\tages\n";
        let err = parse(&utf16(text)).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }
}
