//! The de-identification screen for an ECHO case: finds what could identify
//! a client or an employee in the case form's free text, so the form can ask
//! for it to be removed before peers read the case. No I/O.
//!
//! # What is flagged
//!
//! - **E-mail addresses**: `local@domain.tld`.
//! - **US phone numbers**: `555-123-4567`, `(555) 123-4567`, `555.123.4567`,
//!   `555 123 4567`, `+1 555 123 4567`, `1-555-123-4567`, `+1 (555) 123-4567`,
//!   and ten digits alone (`5551234567`, `+15551234567`). The area code must
//!   start with 2–9 (as every US one does); the exchange is not checked, so
//!   the `555-123-4567` of examples is still found. Seven-digit local numbers
//!   (`555-1234`) are not flagged: without an area code they are too often
//!   something else. Toll-free numbers (800, 833, 844, 855, 866, 877, 888)
//!   are not flagged either: in these cases they are help and crisis lines
//!   (`1-800-273-8255`), which identify no client or employee.
//! - **Dates of birth**: a *full* date (month, day and year) in one of the
//!   forms `03/14/1985`, `3-14-85`, `3.14.1985`, `1985-03-14`,
//!   `March 14, 1985`, `Mar. 14th 1985`, `14 March 1985`, that is a real
//!   calendar date *and* follows a birth cue — `DOB`, `D.O.B.`, `born`,
//!   `birth`, `birthday`, `birthdate`, `date of birth` — by at most three
//!   words (and 80 bytes) in the same sentence and line. A full date with no
//!   cue is an event date ("on 2024-03-14 the board met") and is left alone,
//!   and so is a partial date after a cue ("born in March 1985"). There is no
//!   clock here, so the age the date implies is not checked: the cue is what
//!   makes it a birth date.
//! - **Social security numbers**: `123-45-6789` or `123 45 6789` (one kind
//!   of separator), and nine digits alone within a few characters after `SSN`,
//!   `SS#`, `S.S.N.` or `social security`. Numbers the SSA never issues are
//!   not flagged: area `000`, `666` or `9xx`, group `00`, serial `0000`.
//! - **Street addresses**: a house number (`12`, `12B`), one to four street
//!   name words that start with a capital or a digit (`Main`, `N`, `5th`,
//!   `St.`), and a capitalized street suffix (`St`, `Street`, `Ave`, `Rd`,
//!   `Blvd`, `Dr`, `Ln`, `Ct`, `Way`, `Pl`, `Pkwy`, `Hwy`, `Terrace`,
//!   `Circle`, … with an optional period), then optionally a direction
//!   (`NW`) and a unit (`Apt 4B`, `Suite 200`, `#3`); and post office boxes
//!   (`P.O. Box 123`, `PO Box 12`, `Post Office Box 9`). Capitals are asked
//!   for so that counts in running prose ("3 staff members Dr. Lee trained")
//!   are not taken for addresses. A road named without a house number and
//!   suffix (`Route 66`, `Highway 50`, `County Road 12`) is not flagged: it
//!   names a road, not where someone lives.
//!
//! A number glued to a longer number, a word, a currency sign or a percent
//! sign (`$5551234567`, `2019-555-123-4567`, `5551234567%`) is not flagged.
//! Where two findings overlap, the one that starts first (then the longer)
//! is kept.
//!
//! # Excerpts
//!
//! A finding's `excerpt` is the matched text, partly masked so that the
//! message that quotes it does not repeat the secret in full:
//! e-mail `j***@example.org`; phone, whatever its form, `(555) ***-4567`;
//! SSN `***-**-6789`; date of birth keeps only its year
//! (`**/**/1985`, `***** **, 1985`); address and PO box have their digits
//! starred (`*** Main St Apt *B`, `P.O. Box ***`).

use std::ops::Range;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};
use serde::Serialize;

/// What kind of identifying information a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    EmailAddress,
    PhoneNumber,
    DateOfBirth,
    SocialSecurityNumber,
    StreetAddress,
}

impl Kind {
    /// How a person calls it: "phone number".
    pub fn label(self) -> &'static str {
        match self {
            Kind::EmailAddress => "e-mail address",
            Kind::PhoneNumber => "phone number",
            Kind::DateOfBirth => "date of birth",
            Kind::SocialSecurityNumber => "social security number",
            Kind::StreetAddress => "street address",
        }
    }

    fn article(self) -> &'static str {
        match self {
            Kind::EmailAddress => "an",
            _ => "a",
        }
    }
}

/// One piece of identifying information in one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The field name as given to [`screen`].
    pub field: String,
    pub kind: Kind,
    /// The matched text, masked (see the module docs).
    pub excerpt: String,
    /// 1-based, within the field's text.
    pub line: usize,
    /// 1-based, in characters (not bytes) from the start of the line.
    pub column: usize,
}

impl Finding {
    /// `"Case question, line 2: a phone number (555) ***-4567 — remove it"`,
    /// where `field_label` is what the form calls the field.
    pub fn message(&self, field_label: &str) -> String {
        format!(
            "{field_label}, line {}: {} {} {} — remove it",
            self.line,
            self.kind.article(),
            self.kind.label(),
            self.excerpt
        )
    }
}

/// Every finding in `fields` (field name, text), in field order, then in
/// order of position within the field.
pub fn screen(fields: &[(&str, &str)]) -> Vec<Finding> {
    fields
        .iter()
        .flat_map(|&(field, text)| {
            // Hits come in order of position: one walk places them all.
            let mut place = Walk::new(text);
            screen_text(text).into_iter().map(move |m| {
                let (line, column) = place.to(m.at);
                Finding {
                    field: field.to_owned(),
                    kind: m.kind,
                    excerpt: m.excerpt,
                    line,
                    column,
                }
            })
        })
        .collect()
}

// Work done, in bytes looked at, where it could grow faster than the text:
// tests pin that screening stays linear by it, as a clock cannot.
#[cfg(test)]
thread_local! {
    static LOOKED_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn looked_at(_bytes: usize) {
    #[cfg(test)]
    LOOKED_AT.with(|n| n.set(n.get() + _bytes));
}

/// Line and column of positions in a text, taken in increasing order: each
/// byte is walked over once, however many positions are asked for.
struct Walk<'a> {
    text: &'a str,
    at: usize,
    line: usize,
    column: usize,
}

impl<'a> Walk<'a> {
    fn new(text: &'a str) -> Self {
        Walk {
            text,
            at: 0,
            line: 1,
            column: 1,
        }
    }

    /// 1-based line and column (in characters) of byte `at`, which is not
    /// before the last one asked for.
    fn to(&mut self, at: usize) -> (usize, usize) {
        let passed = &self.text[self.at..at];
        looked_at(passed.len());
        match passed.rfind('\n') {
            Some(last) => {
                self.line += passed.bytes().filter(|&b| b == b'\n').count();
                self.column = passed[last + 1..].chars().count() + 1;
            }
            None => self.column += passed.chars().count(),
        }
        self.at = at;
        (self.line, self.column)
    }
}

/// A finding before it is placed: byte offsets into the field's text.
struct Hit {
    at: usize,
    end: usize,
    kind: Kind,
    excerpt: String,
}

fn screen_text(text: &str) -> Vec<Hit> {
    let detectors: [fn(&str) -> Vec<Hit>; 5] = [
        email_addresses,
        phone_numbers,
        social_security_numbers,
        dates_of_birth,
        street_addresses,
    ];
    let mut hits: Vec<Hit> = detectors.iter().flat_map(|detect| detect(text)).collect();
    hits.sort_by_key(|h| (h.at, std::cmp::Reverse(h.end)));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        if kept.last().is_none_or(|k| hit.at >= k.end) {
            kept.push(hit);
        }
    }
    kept
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("screen patterns are valid")
}

/// Every match of `re` that `accept` turns into a hit. A refused match is
/// retried one character later, so that a near miss does not hide a real
/// match inside it.
fn scan(re: &Regex, text: &str, accept: impl Fn(&Captures) -> Option<Hit>) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut from = 0;
    while let Some(caps) = re.captures_at(text, from) {
        let whole = caps.get(0).expect("group 0 always matches");
        match accept(&caps) {
            Some(hit) => {
                from = hit.end.max(whole.start() + 1);
                hits.push(hit);
            }
            None => from = whole.start() + 1,
        }
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    hits
}

/// The span is not part of a longer number, a word, an amount or a
/// percentage.
fn stands_alone(text: &str, span: Range<usize>) -> bool {
    let mut before = text[..span.start].chars().rev();
    let glued_before = match before.next() {
        None => false,
        Some(c) if c.is_alphanumeric() || "$@_".contains(c) => true,
        Some(c) if "-./,:".contains(c) => before.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => false,
    };
    let mut after = text[span.end..].chars();
    let glued_after = match after.next() {
        None => false,
        Some(c) if c.is_alphanumeric() || "%@_".contains(c) => true,
        Some(c) if "-./,".contains(c) => after.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => false,
    };
    !glued_before && !glued_after
}

/// `text` with its letters and digits starred where `keep` says no.
fn star(text: &str, keep: impl Fn(usize, char) -> bool) -> String {
    text.char_indices()
        .map(|(i, c)| {
            if c.is_alphanumeric() && !keep(i, c) {
                '*'
            } else {
                c
            }
        })
        .collect()
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
});

fn email_addresses(text: &str) -> Vec<Hit> {
    scan(&EMAIL, text, |caps| {
        let m = caps.get(0)?;
        Some(Hit {
            at: m.start(),
            end: m.end(),
            kind: Kind::EmailAddress,
            excerpt: crate::mail::address::mask(m.as_str()),
        })
    })
}

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    regex(concat!(
        // Grouped: optional country code, area code (bracketed or not),
        // exchange, line.
        r"(?:\+1[ .-]?|1[ .-])?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[0-9]{3}[ .-][0-9]{4}",
        // Ten digits alone, optionally after +1.
        r"|(?:\+1)?[2-9][0-9]{9}",
    ))
});

/// Toll-free area codes: help and crisis lines, which name no person.
const TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

fn phone_numbers(text: &str) -> Vec<Hit> {
    scan(&PHONE, text, |caps| {
        let m = caps.get(0)?;
        if !stands_alone(text, m.range()) {
            return None;
        }
        let d = digits(m.as_str());
        let d = &d[d.len() - 10..];
        if TOLL_FREE.contains(&&d[..3]) {
            return None;
        }
        Some(Hit {
            at: m.start(),
            end: m.end(),
            kind: Kind::PhoneNumber,
            excerpt: format!("({}) ***-{}", &d[..3], &d[6..]),
        })
    })
}

static SSN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b([0-9]{3})([- ])([0-9]{2})([- ])([0-9]{4})\b"));
static SSN_AFTER_CUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:ssn|ss#|s\.s\.n\.?|social[ \t]+security)[^0-9\n]{0,25}?([0-9]{9})\b")
});

fn social_security_numbers(text: &str) -> Vec<Hit> {
    let grouped = scan(&SSN, text, |caps| {
        let m = caps.get(0)?;
        if caps[2] != caps[4] || !stands_alone(text, m.range()) {
            return None;
        }
        ssn_hit(m.range(), &caps[1], &caps[3], &caps[5])
    });
    let after_cue = scan(&SSN_AFTER_CUE, text, |caps| {
        let m = caps.get(1)?;
        if !stands_alone(text, m.range()) {
            return None;
        }
        let n = m.as_str();
        ssn_hit(m.range(), &n[..3], &n[3..5], &n[5..])
    });
    grouped.into_iter().chain(after_cue).collect()
}

/// A hit unless the number is one the SSA never issues.
fn ssn_hit(span: Range<usize>, area: &str, group: &str, serial: &str) -> Option<Hit> {
    let never_issued = area == "000"
        || area == "666"
        || area.starts_with('9')
        || group == "00"
        || serial == "0000";
    (!never_issued).then(|| Hit {
        at: span.start,
        end: span.end,
        kind: Kind::SocialSecurityNumber,
        excerpt: format!("***-**-{serial}"),
    })
}

const MONTHS: &str = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

/// A full date in each accepted form, and which capture groups hold its
/// month, day and year.
struct DateForm {
    re: Regex,
    month: usize,
    day: usize,
    year: usize,
    /// Numeric forms must use one separator throughout.
    separators: Option<(usize, usize)>,
}

static DATE_FORMS: LazyLock<[DateForm; 4]> = LazyLock::new(|| {
    [
        DateForm {
            re: regex(r"\b([0-9]{1,2})([/.-])([0-9]{1,2})([/.-])([0-9]{4}|[0-9]{2})\b"),
            month: 1,
            day: 3,
            year: 5,
            separators: Some((2, 4)),
        },
        DateForm {
            re: regex(r"\b([0-9]{4})([/.-])([0-9]{1,2})([/.-])([0-9]{1,2})\b"),
            month: 3,
            day: 5,
            year: 1,
            separators: Some((2, 4)),
        },
        DateForm {
            re: regex(&format!(
                r"(?i)\b{MONTHS}\.?[ \t]+([0-9]{{1,2}})(?:st|nd|rd|th)?,?[ \t]+([0-9]{{4}})\b"
            )),
            month: 1,
            day: 2,
            year: 3,
            separators: None,
        },
        DateForm {
            re: regex(&format!(
                r"(?i)\b([0-9]{{1,2}})(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{MONTHS}\.?,?[ \t]+([0-9]{{4}})\b"
            )),
            month: 2,
            day: 1,
            year: 3,
            separators: None,
        },
    ]
});

static BIRTH_CUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:date[ \t]+of[ \t]+birth|d\.?o\.?b\b\.?|born|birth(?:day|date)?)")
});
static SENTENCE_END: LazyLock<Regex> = LazyLock::new(|| regex(r"[.!?;](?:\s|$)|\n"));

/// How many words may stand between a birth cue and the date.
const CUE_REACH_WORDS: usize = 3;
/// ... and so many bytes, which bounds the work on a text full of cues.
const CUE_REACH_BYTES: usize = 80;

fn dates_of_birth(text: &str) -> Vec<Hit> {
    let cue_ends: Vec<usize> = BIRTH_CUE.find_iter(text).map(|m| m.end()).collect();
    if cue_ends.is_empty() {
        return Vec::new();
    }
    // Only the nearest cue before a date need be asked: an earlier one is
    // further away, across every word and sentence end the nearest is.
    let cued = |at: usize| {
        let nearest = cue_ends.partition_point(|&end| end <= at).checked_sub(1);
        nearest.is_some_and(|i| {
            let end = cue_ends[i];
            at - end <= CUE_REACH_BYTES && {
                let gap = &text[end..at];
                looked_at(gap.len());
                !SENTENCE_END.is_match(gap)
                    && gap
                        .split_whitespace()
                        .filter(|w| w.chars().any(char::is_alphanumeric))
                        .count()
                        <= CUE_REACH_WORDS
            }
        })
    };
    DATE_FORMS
        .iter()
        .flat_map(|form| {
            scan(&form.re, text, |caps| {
                let m = caps.get(0)?;
                if let Some((a, b)) = form.separators {
                    if caps[a] != caps[b] || !stands_alone(text, m.range()) {
                        return None;
                    }
                }
                if !is_calendar_date(&caps[form.month], &caps[form.day], &caps[form.year])
                    || !cued(m.start())
                {
                    return None;
                }
                let year = caps.get(form.year)?.range();
                let year = year.start - m.start()..year.end - m.start();
                Some(Hit {
                    at: m.start(),
                    end: m.end(),
                    kind: Kind::DateOfBirth,
                    excerpt: star(m.as_str(), |i, _| year.contains(&i)),
                })
            })
        })
        .collect()
}

fn is_calendar_date(month: &str, day: &str, year: &str) -> bool {
    let month = month.parse::<u32>().ok().or_else(|| month_number(month));
    let year = match year.parse::<i32>() {
        // Only whether the day exists matters here; any century will do.
        Ok(y) if year.len() == 2 => Some(1900 + y),
        Ok(y) => Some(y),
        Err(_) => None,
    };
    match (year, month, day.parse::<u32>().ok()) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d).is_some(),
        _ => false,
    }
}

fn month_number(name: &str) -> Option<u32> {
    const ABBREVIATIONS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = name.get(..3)?.to_ascii_lowercase();
    let index = ABBREVIATIONS.iter().position(|&a| a == prefix)?;
    u32::try_from(index + 1).ok()
}

const STREET_SUFFIXES: &str = concat!(
    "st|street|ave?|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|",
    "pkwy|parkway|hwy|highway|ter|terrace|cir|circle|sq|square|trl|trail|loop|pike|plz|plaza|",
    "aly|alley|row|xing|crossing|cres|crescent|walk"
);

static STREET_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        concat!(
            r"(?i)\b[0-9]{{1,6}}[a-z]?[ \t]+",
            r"((?:[a-z0-9][a-z0-9'.-]*[ \t]+){{1,4}}?)",
            r"({STREET_SUFFIXES})\b\.?",
            r"(?:[ \t]+(?:n|s|e|w|ne|nw|se|sw)\b\.?)?",
            r"(?:,?[ \t]+(?:apt|apartment|suite|ste|unit|rm|room|fl|floor|bldg|building|lot)\b\.?[ \t]*#?[ \t]*[a-z0-9-]+",
            r"|[ \t]*#[ \t]*[a-z0-9-]+)?",
        ),
        STREET_SUFFIXES = STREET_SUFFIXES
    ))
});
static PO_BOX: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)\b(?:p\.?[ \t]?o\.?[ \t]*box|post[ \t]+office[ \t]+box)[ \t]*#?[ \t]*[0-9]+\b")
});

fn street_addresses(text: &str) -> Vec<Hit> {
    let starts_capitalized = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
    };
    let hit = |m: regex::Match| Hit {
        at: m.start(),
        end: m.end(),
        kind: Kind::StreetAddress,
        excerpt: star(m.as_str(), |_, c| !c.is_ascii_digit()),
    };
    let streets = scan(&STREET_ADDRESS, text, |caps| {
        let m = caps.get(0)?;
        let capitalized =
            caps[1].split_whitespace().all(starts_capitalized) && starts_capitalized(&caps[2]);
        (capitalized && stands_alone(text, m.range())).then(|| hit(m))
    });
    let boxes = scan(&PO_BOX, text, |caps| caps.get(0).map(hit));
    streets.into_iter().chain(boxes).collect()
}

#[cfg(test)]
mod tests;
