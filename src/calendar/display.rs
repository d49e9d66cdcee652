//! How a session's time reads to a person: in the series' own zone, with the
//! zone named, so nobody has to guess.

use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;

/// "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM EST". Each end carries
/// its own abbreviation when they differ, so a time in the hour the clocks
/// repeat says which one it is: "1:30 AM EDT – 1:30 AM EST".
pub fn time_range(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, tz: Tz) -> String {
    const DAY_AND_TIME: &str = "%A, %B %-d, %Y, %-I:%M %p";
    const DAY_TIME_AND_ZONE: &str = "%A, %B %-d, %Y, %-I:%M %p %Z";
    let start = starts_at.with_timezone(&tz);
    let end = ends_at.with_timezone(&tz);
    let same_day = start.date_naive() == end.date_naive();
    let one_offset = start.offset().fix() == end.offset().fix();
    let start_text = match same_day && one_offset {
        true => start.format(DAY_AND_TIME),
        false => start.format(DAY_TIME_AND_ZONE),
    };
    let end_text = match same_day {
        true => end.format("%-I:%M %p %Z"),
        false => end.format(DAY_TIME_AND_ZONE),
    };
    format!("{start_text} – {end_text}")
}

/// "Dec 15, 2026"
pub fn short_date(starts_at: DateTime<Utc>, tz: Tz) -> String {
    starts_at
        .with_timezone(&tz)
        .format("%b %-d, %Y")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_jam_reads_in_new_york_time_with_its_abbreviation() {
        assert_eq!(
            time_range(
                at("2026-12-15T18:00:00Z"),
                at("2026-12-15T19:00:00Z"),
                chrono_tz::America::New_York
            ),
            "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM EST"
        );
    }

    #[test]
    fn an_hour_across_the_fall_back_names_both_ends_abbreviations() {
        // 01:30 happens twice in New York on 2026-11-01: EDT, then EST.
        assert_eq!(
            time_range(
                at("2026-11-01T05:30:00Z"),
                at("2026-11-01T06:30:00Z"),
                chrono_tz::America::New_York
            ),
            "Sunday, November 1, 2026, 1:30 AM EDT – 1:30 AM EST"
        );
        assert_eq!(
            time_range(
                at("2026-11-01T05:15:00Z"),
                at("2026-11-01T05:45:00Z"),
                chrono_tz::America::New_York
            ),
            "Sunday, November 1, 2026, 1:15 AM – 1:45 AM EDT",
            "one abbreviation is enough when both ends share it"
        );
    }

    #[test]
    fn a_session_over_midnight_names_both_days() {
        assert_eq!(
            time_range(
                at("2026-12-16T04:00:00Z"),
                at("2026-12-16T06:00:00Z"),
                chrono_tz::America::New_York
            ),
            "Tuesday, December 15, 2026, 11:00 PM EST – Wednesday, December 16, 2026, 1:00 AM EST"
        );
    }
}
