//! What every report format reads its cells with: addresses, header names,
//! durations, "no value" marks, and the extra columns a row keeps.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use super::dates::{DateError, Dates};
use super::ParseError;
use crate::mail::address::EmailAddress;

/// The normalized address, or why it will not do.
pub(crate) fn email(value: &str, line: usize) -> Result<String, ParseError> {
    EmailAddress::parse(value)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| ParseError::new(line, format!("not a usable e-mail address: {value:?}")))
}

/// Refuses a cell (or a line) on `line` holding a control character, as
/// every text a request carries is refused (`hygiene`). UTF-8 and UTF-16
/// are checked as the file is decoded.
pub(crate) fn clean(text: &str, line: usize) -> Result<(), ParseError> {
    crate::web::hygiene::check(text).map_err(|p| ParseError::new(line, format!("a value {p}")))
}

/// Header names compare trimmed and case-insensitively.
pub(crate) fn header_key(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').to_lowercase()
}

/// The position of the first header among `names` (already lower-case).
pub(crate) fn column(headers: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| headers.iter().position(|h| h == n))
}

/// `328-972-509` and `847 5984 1045` both mean digits.
pub(crate) fn digits(value: &str) -> Option<String> {
    let d: String = value.chars().filter(char::is_ascii_digit).collect();
    (!d.is_empty()).then_some(d)
}

/// Zoom's, Teams' and Meet's marks for "no value": empty, `--`, `NA`.
pub(crate) fn is_missing(value: &str) -> bool {
    matches!(value.trim(), "" | "--" | "-" | "NA" | "N/A")
}

/// A whole number in a metadata cell (`577`, `1,204`).
pub(crate) fn count(value: &str) -> Option<u32> {
    let d: String = value.trim().chars().filter(|c| *c != ',').collect();
    d.parse().ok()
}

/// A duration as the formats write it, in whole minutes (to the nearest):
/// Zoom's `65`, Teams' `1h 2m 3s`, Meet's `1 hr 2 min`, and `1:02:03`.
pub(crate) fn minutes(value: &str, what: &str, line: usize) -> Result<u32, ParseError> {
    let bad = || {
        ParseError::new(
            line,
            format!(
                "{what} {value:?} is not a duration like \"65\", \"1h 2m 3s\" or \"1 hr 5 min\""
            ),
        )
    };
    let value = value.trim();
    if let Ok(n) = value.parse::<u32>() {
        return Ok(n);
    }
    let seconds = if value.contains(':') {
        let parts: Vec<u32> = value
            .split(':')
            .map(|p| p.trim().parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match parts[..] {
            [h, m, s] if m < 60 && s < 60 => h.saturating_mul(3600) + m * 60 + s,
            [m, s] if s < 60 => m.saturating_mul(60) + s,
            _ => return Err(bad()),
        }
    } else {
        units(value).ok_or_else(bad)?
    };
    Ok(seconds.saturating_add(30) / 60)
}

/// `1h 2m 3s`, `45m`, `1 hr 2 min`, `2 hours 1 minute` in seconds.
fn units(value: &str) -> Option<u32> {
    let mut seconds: u32 = 0;
    let mut any = false;
    let mut rest = value.trim();
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u32 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let letters = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = match rest[..letters].to_ascii_lowercase().as_str() {
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            _ => return None,
        };
        seconds = seconds.saturating_add(n.saturating_mul(unit));
        rest = rest[letters..].trim_start_matches([' ', ',']);
        any = true;
    }
    any.then_some(seconds)
}

/// A date and time cell of a people row, read as the file's dates are. A
/// time alone (Meet writes `10:02 AM`) is on `day`, if the report gave one.
pub(crate) fn instant(
    dates: &mut Dates,
    value: &str,
    what: &str,
    line: usize,
    day: Option<NaiveDate>,
) -> Result<Option<NaiveDateTime>, ParseError> {
    if is_missing(value) {
        return Ok(None);
    }
    dates.read_on(value, line, day).map_err(|e| {
        let message = match e {
            DateError::NotADate => format!(
                "{what} {value:?} is not a date and time like \"Mar 22, 2025 7:13 PM\", \
                 \"03/22/2025 19:13:27\" or \"2025-03-22 19:13\""
            ),
            DateError::Contradicts { order, line: at } => format!(
                "{what} {value:?} cannot be read {}, as line {at} must be: the dates disagree",
                order.name()
            ),
        };
        ParseError::new(line, message)
    })
}

/// The most extra columns a row keeps, and the longest name one may have:
/// a file of thousands of columns, or of a megabyte-long name, costs what
/// its rows are, not a copy of it per row.
const MAX_EXTRA: usize = 32;
const MAX_NAME: usize = 200;

/// The columns of a header beyond those a format reads: custom registration
/// questions, `Country/Region Name`, `Source Name`... Names are held once
/// and shared by every row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra(Vec<(usize, Arc<str>)>);

impl Extra {
    /// Every named column of `header` (positions and names as written) whose
    /// key is not among `known`, up to `MAX_EXTRA`.
    pub(crate) fn new<'h>(
        header: impl Iterator<Item = &'h str>,
        keys: &[String],
        known: &[&[&str]],
    ) -> Self {
        let columns = header
            .enumerate()
            .filter(|(i, h)| {
                let key = &keys[*i];
                !key.is_empty()
                    && !h.trim().is_empty()
                    && !known.iter().any(|k| k.contains(&&**key))
            })
            .take(MAX_EXTRA)
            .map(|(i, h)| {
                let h = h.trim();
                let end = h.char_indices().nth(MAX_NAME).map_or(h.len(), |(at, _)| at);
                (i, Arc::from(&h[..end]))
            })
            .collect();
        Self(columns)
    }

    /// A row's values under the shared names; empty and `--` ones left out.
    pub(crate) fn of<'r>(&self, cell: impl Fn(usize) -> &'r str) -> BTreeMap<Arc<str>, String> {
        self.0
            .iter()
            .map(|(i, h)| (h, cell(*i)))
            .filter(|(_, v)| !is_missing(v))
            .map(|(h, v)| (Arc::clone(h), v.trim().to_owned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_ids_keep_only_digits() {
        assert_eq!(digits("328-972-509").as_deref(), Some("328972509"));
        assert_eq!(digits("847 5984 1045").as_deref(), Some("84759841045"));
        assert_eq!(digits("--"), None);
    }

    #[test]
    fn durations_in_every_form_are_whole_minutes() {
        for (value, want) in [
            ("65", 65),
            ("1h 2m 3s", 62),
            ("45m 10s", 45),
            ("45m 30s", 46),
            ("10s", 0),
            ("1 hr 2 min", 62),
            ("58 min", 58),
            ("2 hours 1 minute", 121),
            ("1:02:03", 62),
            ("45:10", 45),
        ] {
            assert_eq!(minutes(value, "Duration", 1), Ok(want), "{value}");
        }
        for value in ["ages", "1x", "1:99:00", "h", "-5"] {
            let err = minutes(value, "Duration", 7).unwrap_err();
            assert_eq!(err.line, 7, "{value}");
        }
    }

    #[test]
    fn extra_columns_are_bounded_and_their_names_shared() {
        let long = "Q".repeat(10_000);
        let mut header: Vec<String> = vec!["Email".into(), long.clone()];
        header.extend((0..100).map(|i| format!("Question {i}")));
        let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
        let extra = Extra::new(header.iter().map(String::as_str), &keys, &[&["email"]]);
        assert_eq!(extra.0.len(), MAX_EXTRA, "at most {MAX_EXTRA} columns kept");
        assert_eq!(extra.0[0].1.chars().count(), MAX_NAME, "a long name is cut");
        let a = extra.of(|_| "yes");
        let b = extra.of(|_| "no");
        let (ka, kb) = (a.keys().next().unwrap(), b.keys().next().unwrap());
        assert!(Arc::ptr_eq(ka, kb), "one name, shared by every row");
        assert!(extra.of(|_| "--").is_empty(), "`--` is no answer");
    }
}
