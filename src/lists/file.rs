//! A subscriber list kept elsewhere, as a CSV file: its columns told from
//! the header row (the spellings mail tools and spreadsheets use), its
//! separator from the header line (comma; semicolon, as Excel writes CSV
//! where the decimal mark is a comma; tab), a UTF-8 BOM dropped. Each row
//! is checked as the subscribe form checks a person; a row that will not
//! do is reported by its line. No I/O but the reader it is given.

use std::io::{BufRead, BufReader, Read};

use crate::mail::EmailAddress;
use crate::people::contact::{contact, ContactFields, FieldErrors, SECTORS, STATES};

/// A row that passed: a person for the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub sector: &'static str,
    pub state: &'static str,
}

/// A row that did not, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BadRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub message: String,
}

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty: a header row is needed (email, first name, last name, …)")]
    Empty,
    #[error("no e-mail column in the header row (found: {0}); name one `email`")]
    NoEmail(String),
    #[error("no first and last name columns in the header row (found: {0}); name them `first name` and `last name`, or give one `name` column")]
    NoName(String),
    #[error("the file could not be read: {0}")]
    Read(String),
}

/// Where each detail is, by column.
#[derive(Debug, Clone, Default)]
struct Columns {
    email: usize,
    first: Option<usize>,
    last: Option<usize>,
    /// A full name, split at its first space, when there is no first and
    /// last name column.
    name: Option<usize>,
    organization: Option<usize>,
    sector: Option<usize>,
    state: Option<usize>,
}

/// A header as compared: lower case, letters and digits only
/// (`E-mail Address` → `emailaddress`).
fn folded(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The detail a header names, if any.
fn detail(header: &str) -> Option<&'static str> {
    Some(match folded(header).as_str() {
        "email" | "emailaddress" | "mail" | "mailaddress" | "primaryemail" | "workemail" => "email",
        "firstname" | "first" | "givenname" | "forename" | "fname" => "first",
        "lastname" | "last" | "surname" | "familyname" | "lname" => "last",
        "name" | "fullname" => "name",
        "organization" | "organisation" | "organizationname" | "organisationname" | "org"
        | "company" | "employer" | "agency" => "organization",
        "sector" => "sector",
        "state" | "stateorterritory" | "stateterritory" => "state",
        _ => return None,
    })
}

impl Columns {
    fn from_header(headers: &[String]) -> Result<Self, FileError> {
        let find = |want: &str| headers.iter().position(|h| detail(h) == Some(want));
        let found = || headers.join(", ");
        let email = find("email").ok_or_else(|| FileError::NoEmail(found()))?;
        let columns = Columns {
            email,
            first: find("first"),
            last: find("last"),
            name: find("name"),
            organization: find("organization"),
            sector: find("sector"),
            state: find("state"),
        };
        if (columns.first.is_none() || columns.last.is_none()) && columns.name.is_none() {
            return Err(FileError::NoName(found()));
        }
        Ok(columns)
    }
}

/// The separator the header line uses most: `,`, `;` or a tab.
fn separator(header_line: &[u8]) -> u8 {
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|s| (header_line.iter().filter(|b| *b == s).count(), *s == b','))
        .unwrap_or(b',')
}

/// `value` as one of `codes`: its code or its label, in any case; else as
/// given, for the contact rules to refuse with their message.
fn coded(value: &str, codes: &[(&'static str, &str)]) -> String {
    let value = value.trim();
    codes
        .iter()
        .find(|(code, label)| code.eq_ignore_ascii_case(value) || label.eq_ignore_ascii_case(value))
        .map_or_else(|| value.to_string(), |(code, _)| code.to_string())
}

/// The rows of a subscriber file, in order.
pub struct Rows<R: Read> {
    reader: csv::Reader<BufReader<R>>,
    columns: Columns,
    record: csv::ByteRecord,
}

/// Opens a subscriber file: reads its header row and tells its columns.
pub fn open<R: Read>(input: R) -> Result<Rows<R>, FileError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let start = input
        .fill_buf()
        .map_err(|e| FileError::Read(e.to_string()))?;
    let bom = start.starts_with(b"\xEF\xBB\xBF");
    let body = if bom { &start[3..] } else { start };
    let line_end = body.iter().position(|b| *b == b'\n').unwrap_or(body.len());
    let delimiter = separator(&body[..line_end]);
    if bom {
        input.consume(3);
    }
    // Records end at LF only, so that a row's line is counted right after
    // a CRLF too (csv counts a CRLF's LF into the next record); the CR is
    // whitespace at the end of the last cell, trimmed with the rest.
    let mut reader = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| FileError::Read(e.to_string()))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(FileError::Empty);
    }
    let columns = Columns::from_header(&headers)?;
    Ok(Rows {
        reader,
        columns,
        record: csv::ByteRecord::new(),
    })
}

impl<R: Read> Rows<R> {
    /// The next row: `Ok(None)` at the end; `Err` when the file stops
    /// reading (an I/O error), which ends it.
    pub fn next_row(&mut self) -> Result<Option<Result<Row, BadRow>>, FileError> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| FileError::Read(e.to_string()))?;
            if !more {
                return Ok(None);
            }
            // Spreadsheets leave rows of empty cells below the data.
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let line = self.record.position().map_or(0, |p| p.line());
            return Ok(Some(self.check(line)));
        }
    }

    fn check(&self, line: u64) -> Result<Row, BadRow> {
        let bad = |message: String| BadRow { line, message };
        let cell = |at: Option<usize>, what: &str| -> Result<String, BadRow> {
            let Some(bytes) = at.and_then(|i| self.record.get(i)) else {
                return Ok(String::new());
            };
            crate::web::hygiene::text(bytes)
                .map(|t| t.trim().to_string())
                .map_err(|p| bad(format!("{what}: {p}")))
        };
        let c = &self.columns;
        let email = cell(Some(c.email), "email")?;
        let (mut first, mut last) = (cell(c.first, "first name")?, cell(c.last, "last name")?);
        if first.trim().is_empty() && last.trim().is_empty() {
            let name = cell(c.name, "name")?;
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some((f, l)) = name.split_once(' ') {
                (first, last) = (f.to_string(), l.to_string());
            } else {
                first = name;
            }
        }
        let organization = cell(c.organization, "organization")?;
        let sector = coded(&cell(c.sector, "sector")?, SECTORS);
        let state = coded(&cell(c.state, "state")?, STATES);
        let mut errors = FieldErrors::default();
        let fields = ContactFields {
            first_name: &first,
            last_name: &last,
            email: &email,
            organization: &organization,
            sector: &sector,
            state: &state,
            ..ContactFields::default()
        };
        match contact(&mut errors, &fields, &super::domain::ASKS) {
            Some(p) => Ok(Row {
                line,
                email: p.email,
                first_name: p.first_name,
                last_name: p.last_name,
                organization: p.organization,
                sector: p.sector,
                state: p.state,
            }),
            None => Err(bad(errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field.replace('_', " "), e.message))
                .collect::<Vec<_>>()
                .join(" "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Vec<Result<Row, BadRow>> {
        let mut file = open(text).unwrap();
        let mut all = Vec::new();
        while let Some(row) = file.next_row().unwrap() {
            all.push(row);
        }
        all
    }

    #[test]
    fn excel_semicolons_a_bom_and_common_headers_are_read() {
        let got = rows(
            "\u{feff}E-mail Address;First Name;Last Name;Organisation;Sector;State\r\n\
             Ada@Example.org;Ada;Lovelace;Engines;Provider organization;new york\r\n\
             ;;;;;\r\n"
                .as_bytes(),
        );
        assert_eq!(got.len(), 1, "the empty row is skipped: {got:?}");
        let row = got[0].clone().unwrap();
        assert_eq!(row.email.as_str(), "ada@example.org");
        assert_eq!(
            (row.organization.as_str(), row.sector, row.state, row.line),
            ("Engines", "provider", "NY", 2)
        );
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_the_rest_still_read() {
        let got = rows(
            b"email,first name,last name,state\n\
              a@example.org,A,One,\n\
              not-an-address,B,Two,\n\
              \"c@example.org\",\"C\nsplit\",Three,ZZ\n\
              d@example.org,D,Four,ca\n",
        );
        assert!(got[0].is_ok() && got[3].is_ok(), "{got:?}");
        let bad: Vec<u64> = got
            .iter()
            .filter_map(|r| r.as_ref().err().map(|b| b.line))
            .collect();
        assert_eq!(bad, vec![3, 4], "{got:?}");
        assert!(got[2].as_ref().unwrap_err().message.contains("state"));
    }

    #[test]
    fn a_full_name_column_is_split_and_a_file_without_an_address_refused() {
        let got = rows(b"Name,Email\nAda King Lovelace,ada@example.org\n");
        let row = got[0].clone().unwrap();
        assert_eq!(
            (row.first_name.as_str(), row.last_name.as_str()),
            ("Ada", "King Lovelace")
        );
        assert!(matches!(
            open(&b"name,phone\nAda,123\n"[..]),
            Err(FileError::NoEmail(_))
        ));
        assert!(matches!(open(&b""[..]), Err(FileError::Empty)));
    }
}
