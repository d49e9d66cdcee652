//! Recurrence rules evaluated in a series' own time zone: "the third Tuesday of
//! every month at 13:00 America/New_York" stays at 13:00 local across
//! daylight-saving changes. Pure functions, no I/O.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
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

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
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
                let split = byday
                    .len()
                    .checked_sub(2)
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

/// The `ordinal`-th `weekday` of a month; negative ordinals count from the end.
pub fn nth_weekday_of_month(
    year: i32,
    month: u32,
    weekday: Weekday,
    ordinal: i8,
) -> Option<NaiveDate> {
    if ordinal > 0 {
        NaiveDate::from_weekday_of_month_opt(year, month, weekday, ordinal as u8)
    } else {
        let first_of_next =
            NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
        let last = first_of_next.pred_opt()?;
        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        let date = last - Duration::days(i64::from(back) + 7 * i64::from(-ordinal - 1));
        (date.month() == month).then_some(date)
    }
}

/// Local dates matched by `rule` in `[from, until)`.
pub fn local_dates(rule: &Rule, from: NaiveDate, until: NaiveDate) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    match rule {
        Rule::MonthlyByWeekday { ordinal, weekday } => {
            let mut month =
                NaiveDate::from_ymd_opt(from.year(), from.month(), 1).expect("first of month");
            while month < until {
                if let Some(d) =
                    nth_weekday_of_month(month.year(), month.month(), *weekday, *ordinal)
                {
                    if d >= from && d < until {
                        dates.push(d);
                    }
                }
                month = month + Months::new(1);
            }
        }
        Rule::Weekly { weekdays } => {
            let mut day = from;
            while day < until {
                if weekdays.contains(&day.weekday()) {
                    dates.push(day);
                }
                day = day.succ_opt().expect("date in range");
            }
        }
    }
    dates
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
            let before = tz.offset_from_utc_datetime(&(local - Duration::hours(3)));
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
        let first = from.with_timezone(&self.timezone).date_naive() - Duration::days(1);
        let last = until.with_timezone(&self.timezone).date_naive() + Duration::days(2);
        local_dates(&self.rule, first, last)
            .into_iter()
            .map(|local_date| {
                let starts_at = local_to_utc(self.timezone, local_date, self.start_time);
                Occurrence {
                    local_date,
                    starts_at,
                    ends_at: starts_at + self.duration,
                }
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
        let got = local_dates(&rule, from, from + Duration::days(14));
        let days: Vec<u32> = got.iter().map(|d| d.day()).collect();
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
