//! Teams attendance reports: UTF-16 LE, tab-separated, in numbered sections
//! (`1. Summary`, `2. Participants`, `3. In-Meeting Activities`). Attendees
//! come from the participants (one row each), or from the activities (one
//! row per join, merged) when a report has no participants section before
//! them: whichever of the two comes first is read, the other left alone.

use std::char::DecodeUtf16;
use std::collections::BTreeMap;
use std::io::Read;

use super::{
    clean, column, date_time, digits, email, header_key, is_missing, Attendee, Input, ParseError,
    Role, Summary,
};

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
    pub(super) fn new(input: Input<'a>) -> Self {
        Self {
            lines: Lines::new(input),
            section: Section::None,
            columns: None,
            people_read: false,
        }
    }

    pub(super) fn next(&mut self, summary: &mut Summary) -> Option<Result<Attendee, ParseError>> {
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
                Section::Summary => read_summary(content, line, summary).map(|()| None),
                Section::People(_) => match &self.columns {
                    None => Columns::new(content, line).map(|c| {
                        self.columns = Some(c);
                        None
                    }),
                    Some(columns) => columns.row(content, line),
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

/// UTF-16 LE text a line at a time, each with its 1-based number; refused
/// at the line of the first unreadable character.
struct Lines<'a> {
    chars: DecodeUtf16<Units<'a>>,
    line: usize,
    done: bool,
}

/// The 16-bit units of a stream (a dangling last byte is dropped); a read
/// error ends them and is kept.
struct Units<'a> {
    input: Input<'a>,
    error: Option<std::io::Error>,
}

impl Iterator for Units<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let mut unit = [0u8; 2];
        match self.input.read_exact(&mut unit) {
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
    fn new(input: Input<'a>) -> Self {
        Self {
            chars: char::decode_utf16(Units { input, error: None }),
            line: 0,
            done: false,
        }
    }

    fn next(&mut self) -> Option<Result<(usize, String), ParseError>> {
        if self.done {
            return None;
        }
        self.line += 1;
        let mut text = String::new();
        loop {
            match self.chars.next() {
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

fn read_summary(content: &str, line: usize, summary: &mut Summary) -> Result<(), ParseError> {
    let mut cells = cells(content);
    let (Some(key), Some(value)) = (cells.next(), cells.next()) else {
        return Ok(());
    };
    if is_missing(value) {
        return Ok(());
    }
    match header_key(key).as_str() {
        "meeting title" => summary.topic = Some(value.to_owned()),
        "meeting id" => summary.meeting_id = digits(value),
        "start time" => summary.started_at = Some(when(value, line)?),
        _ => {}
    }
    Ok(())
}

fn when(value: &str, line: usize) -> Result<chrono::NaiveDateTime, ParseError> {
    date_time(value).ok_or_else(|| {
        ParseError::new(
            line,
            format!("{value:?} is not a date and time like \"3/22/25, 7:13:27 PM\""),
        )
    })
}

/// `1h 2m 3s`, `45m 10s`, `10s` in whole minutes, to the nearest.
fn minutes(value: &str, line: usize) -> Result<u32, ParseError> {
    let bad = || {
        ParseError::new(
            line,
            format!("{value:?} is not a duration like \"1h 2m 3s\""),
        )
    };
    let mut seconds: u32 = 0;
    for part in value.split_whitespace() {
        let unit = match part.as_bytes().last() {
            Some(b'h') => 3600,
            Some(b'm') => 60,
            Some(b's') => 1,
            _ => return Err(bad()),
        };
        let n: u32 = part[..part.len() - 1].parse().map_err(|_| bad())?;
        seconds = seconds.saturating_add(n.saturating_mul(unit));
    }
    Ok(seconds.saturating_add(30) / 60)
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
    /// Every other named column, kept under its name as written.
    extra: Vec<(usize, String)>,
}

impl Columns {
    fn new(header: &str, line: usize) -> Result<Self, ParseError> {
        let keys: Vec<String> = header.split('\t').map(header_key).collect();
        let (email, upn) = (column(&keys, EMAIL), column(&keys, UPN));
        if email.is_none() && upn.is_none() {
            return Err(ParseError::new(line, "the header has no Email column"));
        }
        let known = [NAME, JOIN, LEAVE, DURATION, EMAIL, UPN, ROLE];
        let extra = cells(header)
            .enumerate()
            .filter(|(i, _)| !keys[*i].is_empty() && !known.iter().any(|k| k.contains(&&*keys[*i])))
            .map(|(i, h)| (i, h.to_owned()))
            .collect();
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

    /// One row as an attendee; `None` for an organizer or presenter with no
    /// address, who cannot be matched to anyone.
    fn row(&self, content: &str, line: usize) -> Result<Option<Attendee>, ParseError> {
        let row: Vec<&str> = cells(content).collect();
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i).copied()).unwrap_or("");
        let role = role(cell(self.role));
        // External guests often have no Email, but a UPN that is an address.
        let raw = match cell(self.email) {
            "" if cell(self.upn).contains('@') => cell(self.upn),
            e => e,
        };
        if raw.is_empty() && role != Role::Attendee {
            return Ok(None);
        }
        let duration = cell(self.duration);
        let extra: BTreeMap<String, String> = self
            .extra
            .iter()
            .filter(|(i, _)| !is_missing(cell(Some(*i))))
            .map(|(i, h)| (h.clone(), cell(Some(*i)).to_owned()))
            .collect();
        Ok(Some(Attendee {
            email: email(raw, line)?,
            name: cell(self.name).to_owned(),
            attended: true,
            first_join: optional(cell(self.join), line)?,
            last_leave: optional(cell(self.leave), line)?,
            minutes: if is_missing(duration) {
                0
            } else {
                minutes(duration, line)?
            },
            joins: 1,
            role,
            extra,
        }))
    }
}

fn optional(value: &str, line: usize) -> Result<Option<chrono::NaiveDateTime>, ParseError> {
    if is_missing(value) {
        Ok(None)
    } else {
        when(value, line).map(Some)
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
    fn an_attendee_without_an_address_refuses_the_file_with_its_line() {
        let text = "2. Participants\nName\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
                    Anon\t3/22/25, 7:05:00 PM\t3/22/25, 7:40:00 PM\t35m\t\t\tAttendee\n";
        assert_eq!(parse(&utf16(text)).unwrap_err().line, 3);
    }

    #[test]
    fn a_bad_duration_refuses_the_file_with_its_line() {
        let text =
            "2. Participants\nName\tEmail\tIn-Meeting Duration\nJane\tjane@example.org\tages\n";
        let err = parse(&utf16(text)).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }
}
