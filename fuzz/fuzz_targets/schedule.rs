//! Fuzz target `schedule`: recurrence rules (`FREQ=MONTHLY;BYDAY=3TU`)
//! evaluated over any span of dates, and session start times as
//! organizers type them.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use convene::calendar::schedule::{self, Rule, Timetable};

/// Zones with the odd cases: half-hour DST (Lord Howe), +13:45 (Chatham),
/// a day skipped (Apia), none at all (UTC).
const ZONES: [chrono_tz::Tz; 5] = [
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Chatham,
    chrono_tz::Pacific::Apia,
    chrono_tz::UTC,
];

/// The first line of `data` as a rule, the second as a session start; the
/// last eight bytes pick a span, a zone and a time. A rule read prints as
/// itself, and its dates are its own, in order, inside the span.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let rule_text = lines.next().unwrap_or_default();
    let start_text = lines.next().unwrap_or_default();
    let knobs = |i: usize| data.len().checked_sub(i + 1).map_or(0, |at| data[at]);
    let zone = ZONES[usize::from(knobs(0)) % ZONES.len()];
    if let Ok(start) = start_text.parse::<convene::organizer::manage::Start>() {
        let _ = start.resolve(zone);
    }
    let Ok(rule) = rule_text.parse::<Rule>() else {
        return;
    };
    assert_eq!(
        rule.to_string().parse::<Rule>().as_ref(),
        Ok(&rule),
        "`{rule}` does not read back"
    );
    // Any span chrono has, as cohorts and generation walk it.
    let day = |hi: u8, lo: u8| i32::from(i16::from_be_bytes([hi, lo])) * 8;
    let from = NaiveDate::MIN + Duration::days(i64::from(day(knobs(1), knobs(2)) + 262_144 * 365));
    let from = if knobs(7) % 2 == 0 {
        from
    } else {
        NaiveDate::MAX - Duration::days(i64::from(knobs(3)))
    };
    let until = from
        .checked_add_signed(Duration::days(i64::from(knobs(4)) * 20))
        .unwrap_or(NaiveDate::MAX);
    let mut last = None;
    for date in schedule::local_dates(&rule, from, until).take(61) {
        assert!(
            from <= date && date < until,
            "{date} outside {from}..{until}"
        );
        assert!(last < Some(date), "{date} out of order");
        if let Rule::Weekly { weekdays } = &rule {
            assert!(
                weekdays.contains(&date.weekday()),
                "{date} is not a {rule} day"
            );
        }
        last = Some(date);
    }
    // Sessions in a zone, over dates convene takes.
    let first = NaiveDate::from_ymd_opt(1900 + i32::from(knobs(5)) % 300, 1, 1).expect("a year");
    let timetable = Timetable {
        rule,
        timezone: zone,
        start_time: NaiveTime::from_hms_opt(u32::from(knobs(6)) % 24, 30, 0).expect("a time"),
        duration: Duration::minutes(90),
    };
    let from = first.and_time(NaiveTime::MIN).and_utc();
    for o in timetable.upcoming(from, 13) {
        assert!(o.starts_at >= from && o.ends_at > o.starts_at, "{o:?}");
    }
}
