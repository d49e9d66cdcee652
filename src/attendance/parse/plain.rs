//! Plain CSV lists of people who attended: any header with an e-mail column
//! (`Email`, `E-mail`, `Email Address`), optionally a name and minutes.
//! Columns are those of Zoom's sections, so the two read alike.

use super::zoom::{Columns, Kind, Records};
use super::{Attendee, Dates, Input, ParseError, Role};

/// A plain list's rows, after its header.
pub(super) struct Rows<'a> {
    records: Records<'a>,
    columns: Columns,
}

impl<'a> Rows<'a> {
    /// Reads the header: a list without an e-mail column is refused here.
    pub(super) fn new(input: Input<'a>) -> Result<Self, ParseError> {
        let mut records = Records::new(input);
        let (line, header) = match records.next() {
            Some(header) => header?,
            None => return Err(ParseError::new(1, "the file is empty")),
        };
        let columns = Columns::new(header, Role::Attendee, line).map_err(|_| {
            ParseError::new(
                line,
                "not a Zoom, Teams or Meet report, and the header has no Email column",
            )
        })?;
        Ok(Self { records, columns })
    }

    pub(super) fn next(&mut self, dates: &mut Dates) -> Option<Result<Attendee, ParseError>> {
        loop {
            let (line, record) = match self.records.next()? {
                Ok(next) => next,
                Err(e) => return Some(Err(e)),
            };
            if let Some(row) = self
                .columns
                .row(record, line, Kind::Listed, dates)
                .transpose()
            {
                return Some(row);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{find, read};
    use super::super::{parse, Source};

    const FIXTURE: &[u8] = include_bytes!("../../../tests/fixtures/attendance/plain.csv");

    #[test]
    fn every_row_of_a_plain_list_attended() {
        let report = read(FIXTURE);
        assert_eq!(report.summary.source, Source::Plain);
        assert_eq!(report.attendees.len(), 3, "one per address");
        assert!(report.attendees.iter().all(|a| a.attended && a.joins >= 1));
    }

    #[test]
    fn a_plain_list_keeps_names_minutes_and_other_columns() {
        let report = read(FIXTURE);
        let jane = find(&report, "jane.doe@example.org");
        assert_eq!(jane.name, "Jane Doe");
        assert_eq!((jane.minutes, jane.joins), (45 + 15, 2), "two rows merged");
        assert_eq!(jane.extra["Organization"], "Tri-County Workforce Board");
        assert_eq!(
            find(&report, "sam@example.org").minutes,
            0,
            "no minutes given"
        );
    }

    #[test]
    fn the_email_column_is_found_under_its_other_names() {
        for header in ["E-mail", "Email Address", " EMAIL "] {
            let text = format!("Name,{header}\nJane,jane@example.org\n");
            let report = read(text.as_bytes());
            assert_eq!(
                report.attendees[0].email, "jane@example.org",
                "header {header:?}"
            );
        }
    }

    #[test]
    fn a_csv_without_an_email_column_is_refused() {
        let err = parse(b"Name,Minutes\nJane,45\n").unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn a_row_without_a_usable_email_refuses_the_file_with_its_line() {
        let err = parse(b"Email,Name\njane@example.org,Jane\n\nnobody,Nobody\n").unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }
}
