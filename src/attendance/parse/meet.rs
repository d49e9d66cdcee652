//! Google Meet attendance reports, as the sheet downloads to CSV: a few
//! lines about the meeting (its code, title, date), then a row per
//! participant (`First name`, `Last name`, `Email`, `Duration`,
//! `Time joined`, `Time exited`). Everyone listed attended. Times may be
//! written alone (`10:02 AM`): they are on the meeting's date when the
//! report gives one. Columns are Zoom's (see `zoom`).

use chrono::NaiveDate;

use super::zoom::{self, Columns, Kind, Records};
use super::{header_key, Attendee, Dates, Input, ParseError, Role, Summary};

/// Meet's report starts with its meeting code, or with its participants'
/// header (join or exit times beside an e-mail).
pub(super) fn is_start(first: &str) -> bool {
    let keys = zoom::keys_of(first);
    let has = |k: &str| keys.iter().any(|h| h == k);
    keys.first().is_some_and(|k| k == "meeting code")
        || (zoom::has_email(&keys) && (has("time joined") || has("time exited")))
}

pub(super) struct Rows<'a> {
    records: Records<'a>,
    columns: Option<Columns>,
    day: Option<NaiveDate>,
}

impl<'a> Rows<'a> {
    pub(super) fn new(input: Input<'a>) -> Self {
        Self {
            records: Records::new(input),
            columns: None,
            day: None,
        }
    }

    pub(super) fn next(
        &mut self,
        summary: &mut Summary,
        dates: &mut Dates,
    ) -> Option<Result<Attendee, ParseError>> {
        loop {
            let (line, record) = match self.records.next()? {
                Ok(next) => next,
                Err(e) => return Some(Err(e)),
            };
            if let Some(columns) = &self.columns {
                let row = columns.row(record, line, Kind::Listed, dates).transpose();
                if row.is_some() {
                    return row;
                }
                summary.without_address += 1;
                continue;
            }
            let keys: Vec<String> = record.iter().map(header_key).collect();
            if zoom::has_email(&keys) {
                match Columns::new(record, Role::Attendee, line) {
                    Ok(columns) => {
                        let mut columns = columns.anonymous();
                        columns.day = self.day;
                        self.columns = Some(columns);
                    }
                    Err(e) => return Some(Err(e)),
                }
                continue;
            }
            // A line about the meeting: a value that will not read is left
            // out (a metadata line never refuses a file).
            let value = record.get(1).map(str::trim).unwrap_or_default();
            match keys[0].trim_end_matches(':') {
                "meeting title" | "title" | "event title" if !value.is_empty() => {
                    summary.topic = Some(value.to_owned());
                }
                "meeting date" | "date" | "created on" | "meeting start" => {
                    summary.started_at = dates.peek(value);
                    self.day = summary
                        .started_at
                        .map(|t| t.date())
                        .or_else(|| dates.peek_day(value));
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, find, read};
    use super::super::{parse, Source};

    const FIXTURE: &[u8] = include_bytes!("../../../tests/fixtures/attendance/meet_attendance.csv");

    #[test]
    fn a_meet_report_lists_who_came_with_times_on_the_meeting_date() {
        let report = read(FIXTURE);
        assert_eq!(report.summary.source, Source::Meet);
        assert_eq!(
            report.summary.topic.as_deref(),
            Some("Workforce ECHO: Peer Supervision")
        );
        assert_eq!(report.attendees.len(), 3, "one per address");
        assert!(report.attendees.iter().all(|a| a.attended));
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.name, "Jane Doe");
        assert_eq!(jane.first_join, Some(at("2025-12-16 13:01:00")));
        assert_eq!(jane.last_leave, Some(at("2025-12-16 14:00:00")));
        assert_eq!(jane.minutes, 59, "59 min");
        let kwame = find(&report, "kwame@example.com");
        assert_eq!(kwame.minutes, 62, "1 hr 2 min");
    }

    #[test]
    fn a_meet_header_alone_is_enough_and_times_without_a_date_are_left_out() {
        let text = "First name,Last name,Email,Duration,Time joined,Time exited\n\
                    Jane,Doe,jane@example.org,45 min,1:00 PM,1:45 PM\n";
        let report = parse(text.as_bytes()).unwrap();
        assert_eq!(report.summary.source, Source::Meet);
        let jane = find(&report, "jane@example.org");
        assert_eq!((jane.minutes, jane.first_join), (45, None));
        assert!(jane.attended);
    }
}
