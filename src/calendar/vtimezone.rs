//! VTIMEZONE components (RFC 5545 §3.6.5) generated from chrono-tz, so a
//! feed can write local times with `TZID` and every calendar program reads
//! them with the same rules. No maintained crate does this; the zone's rules
//! are found by sampling its UTC offset and bisecting to each change.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One STANDARD or DAYLIGHT sub-component: from `starts` on, the zone is
/// `offset_to` seconds east of UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub daylight: bool,
    /// The wall time at which it begins, read in the offset before it (the
    /// DTSTART RFC 5545 asks for).
    pub starts: NaiveDateTime,
    pub offset_from: i32,
    pub offset_to: i32,
    pub name: Option<String>,
}

/// Where to look for the change into the offset in force at the start of
/// the range: a year back finds it for any zone that still changes clocks.
const LOOKBACK_DAYS: i64 = 400;
/// Sampling step of the scan. Zones do not change offset and back within a
/// day, so no change is missed.
const STEP_SECONDS: i64 = 86_400;

fn offset_at(tz: Tz, at: i64) -> (i32, bool, Option<String>) {
    let utc = DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc);
    (
        offset.fix().local_minus_utc(),
        offset.dst_offset() != Duration::zero(),
        offset.abbreviation().map(str::to_string),
    )
}

fn total_offset(tz: Tz, at: i64) -> i32 {
    offset_at(tz, at).0
}

/// The instants (Unix seconds) in `(start, end]` at which `tz`'s UTC offset
/// changes: each is the first second of the new offset.
fn transitions(tz: Tz, start: i64, end: i64) -> Vec<i64> {
    let mut found = Vec::new();
    let mut cursor = start;
    while cursor < end {
        let next = (cursor + STEP_SECONDS).min(end);
        let before = total_offset(tz, cursor);
        if total_offset(tz, next) == before {
            cursor = next;
            continue;
        }
        // offset(lo) is the old one, offset(hi) is not: close in on the change.
        let (mut lo, mut hi) = (cursor, next);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if total_offset(tz, mid) == before {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        found.push(hi);
        // Go on from the change itself, so a second one in the same step is
        // compared against the new offset and found too.
        cursor = hi;
    }
    found
}

fn observance(tz: Tz, at: i64, offset_from: i32) -> Observance {
    let (offset_to, daylight, name) = offset_at(tz, at);
    let starts = DateTime::from_timestamp(at + i64::from(offset_from), 0)
        .unwrap_or_default()
        .naive_utc();
    Observance {
        daylight,
        starts,
        offset_from,
        offset_to,
        name,
    }
}

/// The observances that describe `tz` from `from` to `to`: the one in force
/// at `from`, then one per change of offset up to `to`. A zone that has not
/// changed in the last year gets one observance starting 1970-01-01.
pub fn observances(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Observance> {
    let (from, to) = (from.timestamp(), to.timestamp().max(from.timestamp()));
    let start = from - LOOKBACK_DAYS * 86_400;
    let changes = transitions(tz, start, to);
    let (before, within): (Vec<i64>, Vec<i64>) = changes.into_iter().partition(|t| *t <= from);
    let first = match before.last() {
        Some(&t) => observance(tz, t, total_offset(tz, t - 1)),
        None => {
            let offset = total_offset(tz, from);
            Observance {
                starts: NaiveDate::from_ymd_opt(1970, 1, 1)
                    .unwrap_or_default()
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default(),
                ..observance(tz, from, offset)
            }
        }
    };
    let mut all = vec![first];
    all.extend(
        within
            .iter()
            .map(|&t| observance(tz, t, total_offset(tz, t - 1))),
    );
    all
}

/// "+0100", "-0500", "+0530"; seconds only when there are any.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// The VTIMEZONE block for `tz` covering `from`..`to`, CRLF line endings.
/// Every line is short (zone names and abbreviations are), so none needs
/// folding; abbreviations hold no character TEXT must escape.
pub fn render(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    for o in observances(tz, from, to) {
        let kind = if o.daylight { "DAYLIGHT" } else { "STANDARD" };
        out.push_str(&format!(
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
            o.starts.format("%Y%m%dT%H%M%S"),
            utc_offset(o.offset_from),
            utc_offset(o.offset_to),
        ));
        if let Some(name) = &o.name {
            out.push_str(&format!("TZNAME:{name}\r\n"));
        }
        out.push_str(&format!("END:{kind}\r\n"));
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap()
    }

    fn summary(o: &Observance) -> (bool, String, String, String, Option<&str>) {
        (
            o.daylight,
            o.starts.format("%Y%m%dT%H%M%S").to_string(),
            utc_offset(o.offset_from),
            utc_offset(o.offset_to),
            o.name.as_deref(),
        )
    }

    /// What a calendar program does with the observances: the latest one
    /// that has begun by `at` gives the offset.
    fn offset_by_observances(obs: &[Observance], at: DateTime<Utc>) -> Option<i32> {
        obs.iter()
            .filter(|o| {
                let onset = o.starts.and_utc() - Duration::seconds(i64::from(o.offset_from));
                onset <= at
            })
            .max_by_key(|o| o.starts.and_utc() - Duration::seconds(i64::from(o.offset_from)))
            .map(|o| o.offset_to)
    }

    #[test]
    fn new_york_changes_on_the_first_sunday_of_november_and_the_second_of_march() {
        let obs = observances(
            chrono_tz::America::New_York,
            utc(2026, 6, 1),
            utc(2027, 12, 31),
        );
        let got: Vec<_> = obs.iter().map(summary).collect();
        assert_eq!(
            got,
            vec![
                (
                    true,
                    "20260308T020000".into(),
                    "-0500".into(),
                    "-0400".into(),
                    Some("EDT")
                ),
                (
                    false,
                    "20261101T020000".into(),
                    "-0400".into(),
                    "-0500".into(),
                    Some("EST")
                ),
                (
                    true,
                    "20270314T020000".into(),
                    "-0500".into(),
                    "-0400".into(),
                    Some("EDT")
                ),
                (
                    false,
                    "20271107T020000".into(),
                    "-0400".into(),
                    "-0500".into(),
                    Some("EST")
                ),
            ],
            "observances of America/New_York, June 2026 to December 2027"
        );
    }

    #[test]
    fn the_rendered_block_has_one_sub_component_per_change() {
        let text = render(
            chrono_tz::America::New_York,
            utc(2026, 6, 1),
            utc(2027, 12, 31),
        );
        assert!(
            text.starts_with("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"),
            "{text}"
        );
        assert!(text.ends_with("END:VTIMEZONE\r\n"), "{text}");
        assert!(
            text.contains(
                "BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\n\
                 TZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n"
            ),
            "the November 2026 change to EST is missing:\n{text}"
        );
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\n\
                 TZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\n"
            ),
            "the March 2027 change to EDT is missing:\n{text}"
        );
        assert_eq!(text.matches("BEGIN:DAYLIGHT").count(), 2, "{text}");
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 2, "{text}");
    }

    #[test]
    fn utc_has_one_standard_observance_from_1970() {
        let text = render(chrono_tz::UTC, utc(2026, 1, 1), utc(2027, 1, 1));
        assert_eq!(
            text,
            "BEGIN:VTIMEZONE\r\nTZID:UTC\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
             TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nTZNAME:UTC\r\nEND:STANDARD\r\n\
             END:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn tokyo_has_one_standard_observance_from_1970() {
        let obs = observances(chrono_tz::Asia::Tokyo, utc(2026, 1, 1), utc(2027, 1, 1));
        assert_eq!(
            obs.iter().map(summary).collect::<Vec<_>>(),
            vec![(
                false,
                "19700101T000000".into(),
                "+0900".into(),
                "+0900".into(),
                Some("JST")
            )]
        );
    }

    #[test]
    fn london_moves_at_one_in_the_morning_utc_on_the_last_sundays() {
        let obs = observances(
            chrono_tz::Europe::London,
            utc(2026, 1, 1),
            utc(2026, 12, 31),
        );
        assert_eq!(
            obs.iter().map(summary).collect::<Vec<_>>(),
            vec![
                (
                    false,
                    "20251026T020000".into(),
                    "+0100".into(),
                    "+0000".into(),
                    Some("GMT")
                ),
                (
                    true,
                    "20260329T010000".into(),
                    "+0000".into(),
                    "+0100".into(),
                    Some("BST")
                ),
                (
                    false,
                    "20261025T020000".into(),
                    "+0100".into(),
                    "+0000".into(),
                    Some("GMT")
                ),
            ]
        );
        assert_eq!(obs[1].starts, local("20260329T010000"));
    }

    #[test]
    fn offsets_with_minutes_and_seconds_are_written_in_full() {
        assert_eq!(utc_offset(5 * 3600 + 30 * 60), "+0530");
        assert_eq!(utc_offset(-(3 * 3600 + 30 * 60)), "-0330");
        assert_eq!(utc_offset(-(17 * 60 + 30)), "-001730");
        assert_eq!(utc_offset(0), "+0000");
    }

    #[test]
    fn every_zone_renders_short_crlf_lines() {
        for tz in chrono_tz::TZ_VARIANTS {
            let text = render(tz, utc(2026, 1, 1), utc(2027, 4, 1));
            assert!(text.ends_with("\r\n"), "{}", tz.name());
            for line in text.trim_end_matches("\r\n").split("\r\n") {
                assert!(
                    !line.is_empty() && !line.contains('\n'),
                    "{}: {line:?}",
                    tz.name()
                );
                assert!(line.len() <= 75, "{}: {line:?} is too long", tz.name());
            }
        }
    }

    proptest! {
        /// For any zone and any instant in the range, the offset a calendar
        /// program derives from the observances is chrono-tz's.
        #[test]
        fn the_observances_give_chrono_tz_offset_everywhere_in_the_range(
            zone in 0..chrono_tz::TZ_VARIANTS.len(),
            start in 1_600_000_000i64..2_100_000_000,
            span_days in 1i64..600,
            at_fraction in 0.0f64..=1.0,
        ) {
            let tz = chrono_tz::TZ_VARIANTS[zone];
            let from = DateTime::from_timestamp(start, 0).unwrap();
            let to = from + Duration::days(span_days);
            let at = from + Duration::seconds(((to - from).num_seconds() as f64 * at_fraction) as i64);
            let obs = observances(tz, from, to);
            let expected = tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
            prop_assert_eq!(offset_by_observances(&obs, at), Some(expected), "{} at {}", tz.name(), at);
        }
    }

    #[test]
    fn the_observances_give_the_right_offset_around_each_new_york_change() {
        let tz = chrono_tz::America::New_York;
        let obs = observances(tz, utc(2026, 6, 1), utc(2027, 12, 31));
        for at in [
            Utc.with_ymd_and_hms(2026, 11, 1, 5, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 14, 6, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 14, 7, 0, 0).unwrap(),
        ] {
            let expected = tz
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc();
            assert_eq!(offset_by_observances(&obs, at), Some(expected), "at {at}");
        }
    }
}
