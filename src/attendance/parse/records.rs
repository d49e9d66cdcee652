//! CSV records as every comma-separated report is read: blank lines
//! passed over, each record with its 1-based line, every cell checked.

use csv::StringRecord;

use super::lines::Counted;
use super::{clean, Input, ParseError};

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
