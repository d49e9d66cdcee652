//! Dates and times as meeting reports write them, for any account setting:
//! a month name or numbers, 12-hour with AM/PM or 24-hour, with or without
//! seconds, month-first or day-first (`Dec 16, 2025 12:58 PM`,
//! `15/08/2022 01:27`, `3/22/25, 7:13:27 PM`, `2025-03-22 19:13:27`).
//!
//! A numeric date such as `03/04/2025` reads either way. [`Dates`] decides
//! the order for a whole file: a day past 12 in either place settles it
//! (the file says), else the order asked for, else month-first. Reading a
//! file twice does it right: the first pass ([`Dates::scan`]) finds what
//! the file says, the second ([`Dates::fixed`]) reads every date in it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `12/16/2025`, as US accounts write.
    MonthFirst,
    /// `16/12/2025`, as most others do.
    DayFirst,
}

impl DateOrder {
    pub fn name(self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "month-first",
            DateOrder::DayFirst => "day-first",
        }
    }

    /// `month-first`/`mdy` or `day-first`/`dmy`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "month-first" | "mdy" | "us" => Some(DateOrder::MonthFirst),
            "day-first" | "dmy" => Some(DateOrder::DayFirst),
            _ => None,
        }
    }
}

/// Where a file's date order came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// A date in the file reads only this way (its line).
    File(usize),
    /// No date settles it: the order asked for.
    Asked,
    /// No date settles it and none was asked for: month-first.
    Default,
}

/// How a file's dates are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dates {
    asked: Option<DateOrder>,
    /// Set for the second pass: every numeric date reads this way.
    fixed: Option<(DateOrder, Decided)>,
    /// The first date that reads only one way, and its line.
    found: Option<(DateOrder, usize)>,
    /// A date read either way before any settled the file: read in this
    /// order (the one asked for, or the default).
    guessed: Option<DateOrder>,
}

/// A date that reads neither way, or that contradicts the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    NotADate,
    /// Reads only in the other order than the one the file settled on.
    Contradicts {
        order: DateOrder,
        line: usize,
    },
}

impl Dates {
    /// A first pass: finds the order the file's dates settle, reading each
    /// numeric date whichever way it can.
    pub fn scan(asked: Option<DateOrder>) -> Self {
        Self {
            asked,
            fixed: None,
            found: None,
            guessed: None,
        }
    }

    /// Reads every numeric date `order`-first (said to come from `decided`).
    pub fn fixed(order: DateOrder, decided: Decided) -> Self {
        Self {
            asked: None,
            fixed: Some((order, decided)),
            found: None,
            guessed: None,
        }
    }

    /// The order dates are (or were) read in, and why.
    pub fn order(&self) -> (DateOrder, Decided) {
        if let Some((order, decided)) = &self.fixed {
            return (*order, decided.clone());
        }
        match (self.found, self.asked) {
            (Some((order, line)), _) => (order, Decided::File(line)),
            (None, Some(order)) => (order, Decided::Asked),
            (None, None) => (DateOrder::MonthFirst, Decided::Default),
        }
    }

    /// After a first pass: whether it read a date before the file settled
    /// the order, in the other order. Its rows are then read again, with
    /// [`Dates::settled`]; otherwise the first pass read every date as the
    /// second would.
    pub fn misread(&self) -> bool {
        matches!((self.guessed, self.found), (Some(guess), Some((order, _))) if guess != order)
    }

    /// The same reading for the file's second pass.
    pub fn settled(&self) -> Self {
        let (order, decided) = self.order();
        Self::fixed(order, decided)
    }

    /// Reads a metadata value as the rows are read so far, settling
    /// nothing: `None` if it will not read.
    pub fn peek(&self, value: &str) -> Option<NaiveDateTime> {
        self.clone().read(value, 0).ok()
    }

    /// Reads a metadata date with no time (`Dec 16, 2025`, `Tuesday,
    /// December 16, 2025`, `2025-12-16`), settling nothing.
    pub fn peek_day(&self, value: &str) -> Option<NaiveDate> {
        let value = value.trim();
        let value = match value.split_once(',') {
            Some((day, rest)) if WEEKDAYS.iter().any(|w| day.eq_ignore_ascii_case(w)) => rest,
            _ => value,
        };
        self.peek(&format!("{value} 00:00")).map(|t| t.date())
    }

    /// Reads `value`, found on `line`: a date and time.
    pub fn read(&mut self, value: &str, line: usize) -> Result<NaiveDateTime, DateError> {
        self.read_on(value, line, None)?.ok_or(DateError::NotADate)
    }

    /// Reads `value`, found on `line`: a date and time, or a time alone
    /// (Meet writes `10:02 AM`), which is on `day` (none without one).
    pub fn read_on(
        &mut self,
        value: &str,
        line: usize,
        day: Option<NaiveDate>,
    ) -> Result<Option<NaiveDateTime>, DateError> {
        let (date, time) = match split(value).ok_or(DateError::NotADate)? {
            Written::Time(time) => return Ok(day.map(|d| d.and_time(time))),
            Written::Plain(date, time) => (date, time),
            Written::Numeric {
                first,
                second,
                year,
                time,
            } => {
                let month_first = ymd(year, first, second);
                let day_first = ymd(year, second, first);
                let date = match (&self.fixed, month_first, day_first) {
                    (Some((DateOrder::MonthFirst, _)), Some(d), _) => d,
                    (Some((DateOrder::DayFirst, _)), _, Some(d)) => d,
                    (Some(_), _, _) | (None, None, None) => return Err(DateError::NotADate),
                    (None, Some(m), Some(d)) => {
                        let order = self.order().0;
                        if self.found.is_none() {
                            self.guessed = Some(order);
                        }
                        match order {
                            DateOrder::MonthFirst => m,
                            DateOrder::DayFirst => d,
                        }
                    }
                    (None, Some(d), None) => self.settle(DateOrder::MonthFirst, line, d)?,
                    (None, None, Some(d)) => self.settle(DateOrder::DayFirst, line, d)?,
                };
                (date, time)
            }
        };
        Ok(Some(date.and_time(time)))
    }

    /// A date that reads only `order`-first: it settles the file, unless an
    /// earlier one settled it the other way.
    fn settle(
        &mut self,
        order: DateOrder,
        line: usize,
        date: NaiveDate,
    ) -> Result<NaiveDate, DateError> {
        match self.found {
            Some((found, at)) if found != order => Err(DateError::Contradicts {
                order: found,
                line: at,
            }),
            Some(_) => Ok(date),
            None => {
                self.found = Some((order, line));
                Ok(date)
            }
        }
    }
}

/// A date-time taken apart.
enum Written {
    /// A time with no date (`10:02 AM`, `19:13:27`).
    Time(NaiveTime),
    /// The date is plain: a month name, or the year first.
    Plain(NaiveDate, NaiveTime),
    /// `first/second/year`: the order decides.
    Numeric {
        first: u32,
        second: u32,
        year: i32,
        time: NaiveTime,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    /// Digits and how many.
    Num(u32, usize),
    Word(&'a str),
}

/// Numbers and words, whatever separates them (`/`, `-`, `.`, `,`, `:`,
/// spaces, ISO's `T`).
fn tokens(value: &str) -> Option<Vec<Token<'_>>> {
    let mut out = Vec::with_capacity(8);
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        if b.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start > 4 {
                return None;
            }
            out.push(Token::Num(value[start..i].parse().ok()?, i - start));
        } else if b.is_ascii_alphabetic() {
            while i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'.') {
                i += 1;
            }
            let word = value[start..i].trim_end_matches('.');
            // ISO's `T` between the date and the time.
            if !word.eq_ignore_ascii_case("t") {
                out.push(Token::Word(word));
            }
        } else if b" /-.,:".contains(&b) {
            i += 1;
        } else {
            return None;
        }
        if out.len() > 8 {
            return None;
        }
    }
    Some(out)
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// `Dec`, `December`, `Sept` as a month number.
fn month(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let i = MONTHS.iter().position(|m| w.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][i];
    (full.starts_with(&w) || w == "sept").then_some(i as u32 + 1)
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// A two-digit year is this century's.
fn year(n: u32, digits: usize) -> Option<i32> {
    match digits {
        2 => Some(2000 + n as i32),
        4 => Some(n as i32),
        _ => None,
    }
}

/// `h:m[:s] [AM|PM]`: nothing may follow.
fn time(rest: &[Token<'_>]) -> Option<NaiveTime> {
    let mut nums = Vec::with_capacity(3);
    let mut meridiem = None;
    for (i, t) in rest.iter().enumerate() {
        match *t {
            Token::Num(n, len) if meridiem.is_none() && nums.len() < 3 && len <= 2 => nums.push(n),
            Token::Word(w) if i == rest.len() - 1 && nums.len() >= 2 => {
                meridiem = Some(match w.to_ascii_lowercase().replace('.', "").as_str() {
                    "am" => false,
                    "pm" => true,
                    _ => return None,
                });
            }
            _ => return None,
        }
    }
    let (h, m, s) = match nums[..] {
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    let h = match meridiem {
        None => h,
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(pm) => h % 12 + if pm { 12 } else { 0 },
    };
    NaiveTime::from_hms_opt(h, m, s)
}

fn split(value: &str) -> Option<Written> {
    let t = tokens(value.trim())?;
    // A time alone has a colon and no date's three numbers before it.
    if value.contains(':') {
        if let Some(time) = time(&t) {
            return Some(Written::Time(time));
        }
    }
    match t[..] {
        // 2025-03-22 19:13:27
        [Token::Num(y, 4), Token::Num(m, _), Token::Num(d, _), ref rest @ ..] => {
            Some(Written::Plain(ymd(y as i32, m, d)?, time(rest)?))
        }
        // Dec 16, 2025 12:58 PM
        [Token::Word(w), Token::Num(d, 1..=2), Token::Num(y, n), ref rest @ ..] => {
            Some(Written::Plain(ymd(year(y, n)?, month(w)?, d)?, time(rest)?))
        }
        // 16 Dec 2025 12:58
        [Token::Num(d, 1..=2), Token::Word(w), Token::Num(y, n), ref rest @ ..] => {
            Some(Written::Plain(ymd(year(y, n)?, month(w)?, d)?, time(rest)?))
        }
        // 12/16/2025 12:58, 16.12.25 12:58
        [Token::Num(a, 1..=2), Token::Num(b, 1..=2), Token::Num(y, n), ref rest @ ..] => {
            Some(Written::Numeric {
                first: a,
                second: b,
                year: year(y, n)?,
                time: time(rest)?,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn read(order: Option<DateOrder>, value: &str) -> Option<NaiveDateTime> {
        Dates::scan(order).read(value, 1).ok()
    }

    #[test]
    fn a_first_pass_says_when_it_read_a_date_the_other_way_than_the_file_settled() {
        let mut dates = Dates::scan(None);
        dates.read("03/04/2025 10:00", 2).unwrap();
        assert!(!dates.misread(), "nothing settled yet: {dates:?}");
        dates.read("25/04/2025 10:00", 3).unwrap();
        assert!(dates.misread(), "line 2 was read month-first: {dates:?}");

        let mut dates = Dates::scan(Some(DateOrder::DayFirst));
        dates.read("03/04/2025 10:00", 2).unwrap();
        dates.read("25/04/2025 10:00", 3).unwrap();
        assert!(!dates.misread(), "read day-first as asked: {dates:?}");

        let mut dates = Dates::scan(None);
        dates.read("25/04/2025 10:00", 2).unwrap();
        dates.read("03/04/2025 10:00", 3).unwrap();
        assert!(!dates.misread(), "settled before: {dates:?}");
        assert!(!dates.settled().misread());
    }

    /// Every way Zoom and Teams write 16 December 2025 at 1:58:07 PM, with
    /// and without seconds, for each account setting.
    #[test]
    fn each_combination_reads_the_same_instant() {
        let with = at("2025-12-16 13:58:07");
        let without = at("2025-12-16 13:58:00");
        let cases = [
            // month name, 12-hour / 24-hour, seconds or not
            ("Dec 16, 2025 01:58:07 PM", with),
            ("Dec 16, 2025 1:58 PM", without),
            ("Dec 16, 2025 13:58:07", with),
            ("Dec 16, 2025 13:58", without),
            ("December 16, 2025 1:58:07 pm", with),
            ("16 Dec 2025 13:58:07", with),
            ("16 Dec 2025 1:58 PM", without),
            // numeric month-first
            ("12/16/2025 01:58:07 PM", with),
            ("12/16/2025 1:58 PM", without),
            ("12/16/2025 13:58:07", with),
            ("12/16/2025 13:58", without),
            ("12/16/25, 1:58:07 PM", with),
            // numeric day-first
            ("16/12/2025 01:58:07 PM", with),
            ("16/12/2025 1:58 PM", without),
            ("16/12/2025 13:58:07", with),
            ("16/12/2025 13:58", without),
            ("16.12.2025 13:58", without),
            ("16-12-2025 13:58:07", with),
            // ISO
            ("2025-12-16 13:58:07", with),
            ("2025-12-16T13:58", without),
            ("2025/12/16 1:58:07 PM", with),
        ];
        for (value, want) in cases {
            for order in [None, Some(DateOrder::MonthFirst), Some(DateOrder::DayFirst)] {
                assert_eq!(read(order, value), Some(want), "{value} ({order:?})");
            }
        }
    }

    #[test]
    fn an_ambiguous_date_follows_the_order_asked_for_or_month_first() {
        let value = "03/04/2025 13:00";
        assert_eq!(read(None, value), Some(at("2025-03-04 13:00:00")));
        assert_eq!(
            read(Some(DateOrder::MonthFirst), value),
            Some(at("2025-03-04 13:00:00"))
        );
        assert_eq!(
            read(Some(DateOrder::DayFirst), value),
            Some(at("2025-04-03 13:00:00"))
        );
        let mut dates = Dates::scan(None);
        dates.read(value, 4).unwrap();
        assert_eq!(dates.order(), (DateOrder::MonthFirst, Decided::Default));
        let mut dates = Dates::scan(Some(DateOrder::DayFirst));
        dates.read(value, 4).unwrap();
        assert_eq!(dates.order(), (DateOrder::DayFirst, Decided::Asked));
    }

    #[test]
    fn a_day_past_twelve_settles_the_order_for_the_whole_file() {
        let mut dates = Dates::scan(Some(DateOrder::MonthFirst));
        dates.read("03/04/2022 01:20", 5).unwrap();
        dates.read("15/08/2022 01:27", 9).unwrap();
        assert_eq!(dates.order(), (DateOrder::DayFirst, Decided::File(9)));
        let mut second = dates.settled();
        assert_eq!(
            second.read("03/04/2022 01:20", 5),
            Ok(at("2022-04-03 01:20:00")),
            "the ambiguous date, read again, is day-first"
        );
        assert_eq!(
            second.read("12/16/2025 13:58", 12),
            Err(DateError::NotADate)
        );
    }

    #[test]
    fn dates_that_settle_both_ways_refuse_the_file() {
        let mut dates = Dates::scan(None);
        dates.read("15/08/2022 01:27", 3).unwrap();
        assert_eq!(
            dates.read("08/15/2022 01:27", 7),
            Err(DateError::Contradicts {
                order: DateOrder::DayFirst,
                line: 3
            })
        );
    }

    #[test]
    fn what_is_not_a_date_is_refused() {
        for value in [
            "yesterday",
            "",
            "--",
            "13/13/2025 10:00",
            "Dec 32, 2025 10:00",
            "12/16/2025",
            "12/16/2025 25:00",
            "12/16/2025 13:00 PM",
            "12/16/2025 0:30 AM",
            "Foo 16, 2025 10:00",
            "12/16/2025 10:00 EST",
            "12/16/20255 10:00",
            "2025-12-16 10:00:00:00",
        ] {
            assert_eq!(read(None, value), None, "{value:?}");
        }
    }

    #[test]
    fn orders_are_named_and_parsed() {
        for order in [DateOrder::MonthFirst, DateOrder::DayFirst] {
            assert_eq!(DateOrder::parse(order.name()), Some(order));
        }
        assert_eq!(DateOrder::parse("dmy"), Some(DateOrder::DayFirst));
        assert_eq!(DateOrder::parse("sideways"), None);
    }
}
