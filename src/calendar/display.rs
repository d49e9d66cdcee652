//! How a session's time reads to a person: in the series' own zone, with the
//! zone named, so nobody has to guess.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM EST"
pub fn time_range(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, tz: Tz) -> String {
    let start = starts_at.with_timezone(&tz);
    let end = ends_at.with_timezone(&tz);
    if start.date_naive() == end.date_naive() {
        format!(
            "{} – {}",
            start.format("%A, %B %-d, %Y, %-I:%M %p"),
            end.format("%-I:%M %p %Z")
        )
    } else {
        format!(
            "{} – {}",
            start.format("%A, %B %-d, %Y, %-I:%M %p %Z"),
            end.format("%A, %B %-d, %Y, %-I:%M %p %Z")
        )
    }
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

    #[test]
    fn a_jam_reads_in_new_york_time_with_its_abbreviation() {
        let s = DateTime::parse_from_rfc3339("2026-12-15T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = DateTime::parse_from_rfc3339("2026-12-15T19:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            time_range(s, e, chrono_tz::America::New_York),
            "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM EST"
        );
    }
}
