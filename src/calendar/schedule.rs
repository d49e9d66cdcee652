//! Recurrence rules evaluated in a series' own time zone: "the third Tuesday of
//! every month at 13:00 America/New_York" stays at 13:00 local across
//! daylight-saving changes. Pure functions, no I/O.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

/// The subset of RFC 5545 recurrence rules convene supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `FREQ=MONTHLY;BYDAY=3TU`: the n-th (1..=5) or, counting from the end,
    /// the -n-th weekday of every month. Months without that day are skipped.
    MonthlyByWeekday { ordinal: i8, weekday: Weekday },
    /// `FREQ=WEEKLY;BYDAY=MO,TH`: every listed weekday of every week.
    Weekly { weekdays: Vec<Weekday> },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported recurrence rule `{rule}`: {reason} (supported: FREQ=MONTHLY;BYDAY=3TU or FREQ=WEEKLY;BYDAY=MO,TH)")]
pub struct RuleError {
    rule: String,
    reason: &'static str,
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn parse_weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// The longest rule text read: `FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU`
/// is 38 bytes, so a longer one is not a rule, and is refused before any
/// work (or an echo of it in the message).
pub const MAX_RULE_BYTES: usize = 100;

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.len() > MAX_RULE_BYTES {
            let shown: String = input.chars().take(20).collect();
            return Err(RuleError {
                rule: format!("{shown}…"),
                reason: "longer than 100 bytes",
            });
        }
        let fail = |reason| RuleError {
            rule: input.to_string(),
            reason,
        };
        let body = input.trim();
        let body = body.strip_prefix("RRULE:").unwrap_or(body);
        let mut freq = None;
        let mut byday = None;
        for part in body.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| fail("expected KEY=VALUE parts"))?;
            match key.to_ascii_uppercase().as_str() {
                "FREQ" => freq = Some(value.to_ascii_uppercase()),
                "BYDAY" => byday = Some(value.to_ascii_uppercase()),
                "INTERVAL" if value == "1" => {}
                _ => return Err(fail("only FREQ and BYDAY are supported")),
            }
        }
        let byday = byday.ok_or_else(|| fail("BYDAY is required"))?;
        match freq.as_deref() {
            Some("MONTHLY") => {
                // The weekday is the last two characters: split where they
                // start, which is not a byte count once there is a `é`.
                let split = byday
                    .char_indices()
                    .rev()
                    .nth(1)
                    .map(|(at, _)| at)
                    .filter(|&at| at > 0)
                    .ok_or_else(|| fail("BYDAY needs an ordinal and a day, e.g. 3TU"))?;
                let (ordinal, day) = byday.split_at(split);
                let weekday = parse_weekday(day).ok_or_else(|| fail("unknown weekday in BYDAY"))?;
                let ordinal: i8 = ordinal.trim_start_matches('+').parse().map_err(|_| {
                    fail("a monthly rule needs one ordinal weekday, e.g. BYDAY=3TU")
                })?;
                if ordinal == 0 || !(-5..=5).contains(&ordinal) {
                    return Err(fail("the ordinal must be 1..5 or -1..-5"));
                }
                Ok(Rule::MonthlyByWeekday { ordinal, weekday })
            }
            Some("WEEKLY") => {
                let weekdays = byday
                    .split(',')
                    .map(|d| parse_weekday(d).ok_or_else(|| fail("unknown weekday in BYDAY")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Rule::Weekly { weekdays })
            }
            _ => Err(fail("FREQ must be MONTHLY or WEEKLY")),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::MonthlyByWeekday { ordinal, weekday } => {
                write!(f, "FREQ=MONTHLY;BYDAY={ordinal}{}", weekday_code(*weekday))
            }
            Rule::Weekly { weekdays } => {
                let days: Vec<_> = weekdays.iter().map(|d| weekday_code(*d)).collect();
                write!(f, "FREQ=WEEKLY;BYDAY={}", days.join(","))
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The years a date given to convene may fall in. Beyond them a date is a
/// typo, and near chrono's own limits (±262 000 years) month arithmetic
/// overflows: input is refused outside this span (see [`sane_date`]).
pub const YEARS: RangeInclusive<i32> = 1900..=2200;

/// `date` when its year is one of [`YEARS`]; else the message for its field.
pub fn sane_date(date: NaiveDate) -> Result<NaiveDate, String> {
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(format!(
            "{date} is not between the years {} and {}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// The `ordinal`-th `weekday` of a month; negative ordinals count from the end.
pub fn nth_weekday_of_month(
    year: i32,
    month: u32,
    weekday: Weekday,
    ordinal: i8,
) -> Option<NaiveDate> {
    if ordinal == 0 {
        None
    } else if ordinal > 0 {
        NaiveDate::from_weekday_of_month_opt(year, month, weekday, ordinal as u8)
    } else {
        let first_of_next =
            NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
        let last = first_of_next.pred_opt()?;
        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        let date = last.checked_sub_days(Days::new(
            u64::from(back) + 7 * u64::from(ordinal.unsigned_abs() - 1),
        ))?;
        (date.month() == month).then_some(date)
    }
}

/// Local dates matched by `rule` in `[from, until)`, first to last, made as
/// they are taken: a caller that wants the first 61 of a rule over
/// centuries does the work of 61. Any dates will do, up to chrono's limits.
pub fn local_dates(
    rule: &Rule,
    from: NaiveDate,
    until: NaiveDate,
) -> Box<dyn Iterator<Item = NaiveDate> + '_> {
    match rule {
        Rule::MonthlyByWeekday { ordinal, weekday } => {
            let (ordinal, weekday) = (*ordinal, *weekday);
            let first_month = from.with_day(1).unwrap_or(from);
            Box::new(
                std::iter::successors(Some(first_month), |m| m.checked_add_months(Months::new(1)))
                    .take_while(move |m| *m < until)
                    .filter_map(move |m| {
                        nth_weekday_of_month(m.year(), m.month(), weekday, ordinal)
                    })
                    .filter(move |d| from <= *d && *d < until),
            )
        }
        // A weekly rule names at least one day (the parser sees to it);
        // with none, a walk over every day would find nothing.
        Rule::Weekly { weekdays } if weekdays.is_empty() => Box::new(std::iter::empty()),
        Rule::Weekly { weekdays } => Box::new(
            from.iter_days()
                .take_while(move |d| *d < until)
                .filter(|d| weekdays.contains(&d.weekday())),
        ),
    }
}

/// The instant a wall-clock time happens in `tz`. A time skipped by a
/// daylight-saving jump is moved forward by the jump (RFC 5545 §3.3.5);
/// a time that happens twice takes the first.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
        LocalResult::None => {
            // Offsets before and after the gap, taken an hour either side.
            let earlier = local
                .checked_sub_signed(Duration::hours(3))
                .unwrap_or(local);
            let before = tz.offset_from_utc_datetime(&earlier);
            let instant = local
                - Duration::seconds(i64::from(chrono::Offset::fix(&before).local_minus_utc()));
            Utc.from_utc_datetime(&instant)
        }
    }
}

/// A series' timetable: which days, what local time, how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timetable {
    pub rule: Rule,
    pub timezone: Tz,
    pub start_time: NaiveTime,
    pub duration: Duration,
}

/// One generated session slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub local_date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Timetable {
    /// Occurrences starting in `[from, until)`.
    pub fn occurrences(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Occurrence> {
        // Widen by a day on each side for the zone offset, then filter by instant.
        let first = from.with_timezone(&self.timezone).date_naive();
        let first = first.pred_opt().unwrap_or(first);
        let last = until.with_timezone(&self.timezone).date_naive();
        let last = last
            .checked_add_days(Days::new(2))
            .unwrap_or(NaiveDate::MAX);
        local_dates(&self.rule, first, last)
            .filter_map(|local_date| {
                let starts_at = local_to_utc(self.timezone, local_date, self.start_time);
                Some(Occurrence {
                    local_date,
                    starts_at,
                    ends_at: starts_at.checked_add_signed(self.duration)?,
                })
            })
            .filter(|o| o.starts_at >= from && o.starts_at < until)
            .collect()
    }

    /// Occurrences from `now` up to `months` calendar months ahead.
    pub fn upcoming(&self, now: DateTime<Utc>, months: u32) -> Vec<Occurrence> {
        let until = now.checked_add_months(Months::new(months)).unwrap_or(now);
        self.occurrences(now, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;

    fn jam() -> Timetable {
        Timetable {
            rule: "FREQ=MONTHLY;BYDAY=3TU".parse().unwrap(),
            timezone: chrono_tz::America::New_York,
            start_time: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
            duration: Duration::minutes(60),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_rule_round_trips_through_its_rrule_text() {
        for text in [
            "FREQ=MONTHLY;BYDAY=3TU",
            "FREQ=MONTHLY;BYDAY=-1FR",
            "FREQ=WEEKLY;BYDAY=MO,TH",
        ] {
            let rule: Rule = text.parse().unwrap();
            assert_eq!(
                rule.to_string(),
                text,
                "rule text should survive parse and display"
            );
        }
    }

    #[test]
    fn unsupported_rules_are_refused_with_a_reason() {
        for text in [
            "FREQ=DAILY;BYDAY=TU",
            "FREQ=MONTHLY;BYDAY=TU",
            "FREQ=MONTHLY;BYDAY=0TU",
            "FREQ=MONTHLY;BYDAY=3XX",
            "FREQ=MONTHLY;BYMONTHDAY=3",
            "",
        ] {
            assert!(text.parse::<Rule>().is_err(), "`{text}` should be refused");
        }
    }

    #[test]
    fn a_weekday_written_with_a_multibyte_letter_is_refused_not_split_inside_it() {
        for text in [
            "FREQ=MONTHLY;BYDAY=éX",
            "FREQ=MONTHLY;BYDAY=3éX",
            "FREQ=MONTHLY;BYDAY=3Tü",
            "FREQ=MONTHLY;BYDAY=é",
            "FREQ=WEEKLY;BYDAY=MO,é",
        ] {
            let err = text.parse::<Rule>().unwrap_err();
            assert!(
                err.to_string().contains("BYDAY"),
                "`{text}` should be refused for its BYDAY: {err}"
            );
        }
    }

    #[test]
    fn a_rule_longer_than_any_rule_is_refused_without_echoing_it() {
        let long = format!("FREQ=WEEKLY;BYDAY={}", "MO,".repeat(100_000));
        let err = long.parse::<Rule>().unwrap_err().to_string();
        assert!(err.contains("longer than 100 bytes"), "{err}");
        assert!(err.len() < 300, "the message quotes only the start: {err}");
    }

    #[test]
    fn rules_near_the_limits_of_the_calendar_give_dates_not_panics() {
        let near_end = NaiveDate::from_ymd_opt(262_142, 12, 1).unwrap();
        let near_start = NaiveDate::from_ymd_opt(-262_143, 1, 1).unwrap();
        for text in [
            "FREQ=MONTHLY;BYDAY=3TU",
            "FREQ=MONTHLY;BYDAY=-1FR",
            "FREQ=MONTHLY;BYDAY=-5SU",
            "FREQ=WEEKLY;BYDAY=MO,TH",
        ] {
            let rule: Rule = text.parse().unwrap();
            let late: Vec<_> = local_dates(&rule, near_end, NaiveDate::MAX).collect();
            assert!(
                late.len() <= 9,
                "`{text}` in December {}: {late:?}",
                near_end.year()
            );
            let early =
                local_dates(&rule, NaiveDate::MIN, near_start + Duration::days(400)).count();
            assert!(early >= 1, "`{text}` finds its day in the first year");
        }
        for ordinal in [i8::MIN, -6, 0, 6, i8::MAX] {
            assert_eq!(
                nth_weekday_of_month(2026, 1, Weekday::Fri, ordinal),
                None,
                "ordinal {ordinal}"
            );
        }
    }

    #[test]
    fn a_weekly_rule_over_every_date_there_is_makes_only_the_dates_taken() {
        let rule: Rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU".parse().unwrap();
        // Listed eagerly, this span is 190 million dates (760 MB).
        let first: Vec<_> = local_dates(&rule, NaiveDate::MIN, NaiveDate::MAX)
            .take(61)
            .collect();
        assert_eq!(first.len(), 61);
        assert_eq!(first[60], NaiveDate::MIN + Duration::days(60), "day by day");
    }

    #[test]
    fn dates_are_sane_from_1900_to_2200() {
        let date = |y| NaiveDate::from_ymd_opt(y, 6, 1).unwrap();
        assert!(sane_date(date(1900)).is_ok() && sane_date(date(2200)).is_ok());
        for year in [1899, 2201, 262_142, -5] {
            let err = sane_date(date(year)).unwrap_err();
            assert!(err.contains("between the years 1900 and 2200"), "{err}");
        }
    }

    #[test]
    fn december_2026_jam_is_on_the_15th_at_18_utc() {
        let got = jam().occurrences(utc("2026-12-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
        assert_eq!(got.len(), 1, "one Jam in December");
        assert_eq!(
            got[0].local_date,
            NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()
        );
        assert_eq!(
            got[0].starts_at,
            utc("2026-12-15T18:00:00Z"),
            "13:00 EST is 18:00 UTC"
        );
        assert_eq!(got[0].ends_at, utc("2026-12-15T19:00:00Z"));
    }

    #[test]
    fn summer_jam_is_at_17_utc_because_of_daylight_saving() {
        let got = jam().occurrences(utc("2026-07-01T00:00:00Z"), utc("2026-08-01T00:00:00Z"));
        assert_eq!(
            got[0].starts_at,
            utc("2026-07-21T17:00:00Z"),
            "13:00 EDT is 17:00 UTC"
        );
    }

    #[test]
    fn a_session_already_started_is_not_upcoming() {
        let got = jam().upcoming(utc("2026-12-15T18:30:00Z"), 2);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].local_date,
            NaiveDate::from_ymd_opt(2027, 1, 19).unwrap()
        );
    }

    #[test]
    fn last_friday_counts_from_the_end_of_the_month() {
        assert_eq!(
            nth_weekday_of_month(2026, 1, Weekday::Fri, -1),
            NaiveDate::from_ymd_opt(2026, 1, 30)
        );
        assert_eq!(
            nth_weekday_of_month(2026, 2, Weekday::Sat, -1),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            nth_weekday_of_month(2026, 2, Weekday::Sun, -5),
            None,
            "February 2026 has four Sundays"
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_by_the_jump() {
        // 2026-03-08 02:30 does not exist in New York; it becomes 03:30 EDT = 07:30 UTC.
        let got = local_to_utc(
            chrono_tz::America::New_York,
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(got, utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn an_ambiguous_autumn_time_takes_the_first() {
        let got = local_to_utc(
            chrono_tz::America::New_York,
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(got, utc("2026-11-01T05:30:00Z"), "01:30 EDT comes first");
    }

    #[test]
    fn weekly_rule_lists_each_named_day() {
        let rule: Rule = "FREQ=WEEKLY;BYDAY=MO,TH".parse().unwrap();
        let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let days: Vec<u32> = local_dates(&rule, from, from + Duration::days(14))
            .map(|d| d.day())
            .collect();
        assert_eq!(days, vec![23, 26, 30, 3]);
    }

    #[test]
    fn jam_dates_2024_to_2040_match_an_independent_rfc5545_expansion() {
        let set: rrule::RRuleSet = "DTSTART;TZID=America/New_York:20240101T130000\nRRULE:FREQ=MONTHLY;BYDAY=3TU;UNTIL=20401231T235959Z"
            .parse()
            .expect("rrule parses");
        let expected: Vec<DateTime<Utc>> = set
            .all(1000)
            .dates
            .iter()
            .map(|d| d.with_timezone(&Utc))
            .collect();
        let ours: Vec<DateTime<Utc>> = jam()
            .occurrences(utc("2024-01-01T00:00:00Z"), utc("2041-01-01T00:00:00Z"))
            .iter()
            .map(|o| o.starts_at)
            .collect();
        assert_eq!(
            expected.len(),
            17 * 12,
            "rrule should expand one Jam a month"
        );
        assert_eq!(
            ours, expected,
            "our third Tuesdays differ from the rrule crate's"
        );
    }

    proptest! {
        #[test]
        fn every_jam_is_a_third_tuesday_at_13_new_york(year in 2024i32..=2040, month in 1u32..=12) {
            let from = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).unwrap();
            let until = from.checked_add_months(Months::new(1)).unwrap();
            let got = jam().occurrences(from - Duration::days(1), until + Duration::days(1));
            let this_month: Vec<_> = got.iter().filter(|o| o.local_date.month() == month && o.local_date.year() == year).collect();
            prop_assert_eq!(this_month.len(), 1, "exactly one Jam in {}-{}", year, month);
            let o = this_month[0];
            prop_assert_eq!(o.local_date.weekday(), Weekday::Tue);
            prop_assert!((15..=21).contains(&o.local_date.day()), "day {} is not in 15..=21", o.local_date.day());
            let local = o.starts_at.with_timezone(&chrono_tz::America::New_York);
            prop_assert_eq!((local.hour(), local.minute()), (13, 0), "local time drifted");
            prop_assert_eq!(local.date_naive(), o.local_date);
            // UTC offset in New York is -5 (EST) or -4 (EDT): the instant is 17:00 or 18:00 UTC.
            prop_assert!([17, 18].contains(&o.starts_at.hour()), "unexpected UTC hour {}", o.starts_at.hour());
            prop_assert_eq!(o.ends_at - o.starts_at, Duration::minutes(60));
        }
    }
}
