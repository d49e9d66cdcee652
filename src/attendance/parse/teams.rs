//! Teams attendance reports: UTF-16 LE, tab-separated, in numbered sections
//! (`1. Summary`, `2. Participants`, `3. In-Meeting Activities`). Attendees
//! come from the participants (one row each), or from the activities (one
//! row per join, merged) when a report has no participants section.

use std::collections::BTreeMap;

use super::{
    column, date_time, digits, email, header_key, is_missing, Attendee, ParseError, Report, Role,
    Roster, Source,
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
    Participants,
    Activities,
    Other,
}

/// `bytes` without its BOM.
pub(super) fn parse(bytes: &[u8]) -> Result<Report, ParseError> {
    let text = decode(bytes)?;
    let mut report = Report {
        source: Source::Teams,
        meeting_id: None,
        topic: None,
        started_at: None,
        attendees: Vec::new(),
    };
    let mut participants = Vec::new();
    let mut activities = Vec::new();
    let mut section = Section::None;
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let content = raw.trim_end_matches('\r');
        if content.trim().is_empty() {
            continue;
        }
        if let Some(s) = section_title(content) {
            section = s;
            continue;
        }
        match section {
            Section::Summary => summary(content, line, &mut report)?,
            Section::Participants => participants.push((line, content)),
            Section::Activities => activities.push((line, content)),
            Section::None | Section::Other => {}
        }
    }
    let rows = if participants.is_empty() {
        activities
    } else {
        participants
    };
    report.attendees = attendees(&rows)?;
    Ok(report)
}

/// UTF-16 LE, refused with the line of the first unreadable character.
fn decode(bytes: &[u8]) -> Result<String, ParseError> {
    let units = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut line = 1;
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| ParseError::new(line, "the file is not UTF-16 text"))?;
        line += usize::from(c == '\n');
        text.push(c);
    }
    Ok(text)
}

/// `2. Participants` and the like; a numbered title with no tab.
fn section_title(content: &str) -> Option<Section> {
    let (number, title) = content.trim().split_once('.')?;
    if content.contains('\t') || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match header_key(title).as_str() {
        "summary" => Section::Summary,
        "participants" => Section::Participants,
        "in-meeting activities" => Section::Activities,
        _ => Section::Other,
    })
}

fn cells(content: &str) -> impl Iterator<Item = &str> {
    content
        .split('\t')
        .map(|c| c.trim().trim_matches('"').trim())
}

fn summary(content: &str, line: usize, report: &mut Report) -> Result<(), ParseError> {
    let mut cells = cells(content);
    let (Some(key), Some(value)) = (cells.next(), cells.next()) else {
        return Ok(());
    };
    if is_missing(value) {
        return Ok(());
    }
    match header_key(key).as_str() {
        "meeting title" => report.topic = Some(value.to_owned()),
        "meeting id" => report.meeting_id = digits(value),
        "start time" => report.started_at = Some(when(value, line)?),
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

/// The rows of one section: a header line, then one line per row.
fn attendees(rows: &[(usize, &str)]) -> Result<Vec<Attendee>, ParseError> {
    let Some(((header_line, header), rows)) = rows.split_first() else {
        return Ok(Vec::new());
    };
    let keys: Vec<String> = header.split('\t').map(header_key).collect();
    let email_at = column(&keys, EMAIL);
    let upn_at = column(&keys, UPN);
    if email_at.is_none() && upn_at.is_none() {
        return Err(ParseError::new(
            *header_line,
            "the header has no Email column",
        ));
    }
    let (name_at, join_at, leave_at) = (
        column(&keys, NAME),
        column(&keys, JOIN),
        column(&keys, LEAVE),
    );
    let (duration_at, role_at) = (column(&keys, DURATION), column(&keys, ROLE));
    let known = [NAME, JOIN, LEAVE, DURATION, EMAIL, UPN, ROLE];
    let extra_at: Vec<usize> = (0..keys.len())
        .filter(|&i| !keys[i].is_empty() && !known.iter().any(|k| k.contains(&&*keys[i])))
        .collect();
    let headers: Vec<&str> = cells(header).collect();
    let mut roster = Roster::default();
    for &(line, content) in rows {
        let row: Vec<&str> = cells(content).collect();
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i).copied()).unwrap_or("");
        let role = role(cell(role_at));
        // External guests often have no Email, but a UPN that is an address.
        let raw = match cell(email_at) {
            "" if cell(upn_at).contains('@') => cell(upn_at),
            e => e,
        };
        if raw.is_empty() && role != Role::Attendee {
            continue;
        }
        let duration = cell(duration_at);
        let extra: BTreeMap<String, String> = extra_at
            .iter()
            .filter(|&&i| !is_missing(cell(Some(i))))
            .map(|&i| (headers[i].to_owned(), cell(Some(i)).to_owned()))
            .collect();
        roster.add(Attendee {
            email: email(raw, line)?,
            name: cell(name_at).to_owned(),
            attended: true,
            first_join: optional(cell(join_at), line)?,
            last_leave: optional(cell(leave_at), line)?,
            minutes: if is_missing(duration) {
                0
            } else {
                minutes(duration, line)?
            },
            joins: 1,
            role,
            extra,
        });
    }
    Ok(roster.into_vec())
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
        assert_eq!(report.source, Source::Teams);
        assert_eq!(
            report.topic.as_deref(),
            Some("Workforce ECHO: Youth Pathways")
        );
        assert_eq!(report.started_at, Some(at("2025-03-22 19:00:04")));
        assert_eq!(report.meeting_id, None, "Teams does not give one");
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
