//! How a session's time reads to a person: in the series' own zone, with the
//! zone named in words ("Eastern Time"), and for a US series the other
//! mainland zones beside it, so nobody across the country has to convert.

use chrono::{DateTime, Datelike, Offset, Utc};
use chrono_tz::Tz;

/// The US zones by the name people use; `letter` is the zone's short
/// initial in "10:00 AM PT".
struct UsZone {
    name: &'static str,
    letter: &'static str,
}

impl UsZone {
    const fn new(name: &'static str, letter: &'static str) -> Self {
        Self { name, letter }
    }
}

const EASTERN: UsZone = UsZone::new("Eastern", "ET");
const CENTRAL: UsZone = UsZone::new("Central", "CT");
const MOUNTAIN: UsZone = UsZone::new("Mountain", "MT");
const ARIZONA: UsZone = UsZone::new("Arizona", "MST");
const PACIFIC: UsZone = UsZone::new("Pacific", "PT");
const ALASKA: UsZone = UsZone::new("Alaska", "AKT");
const HAWAII: UsZone = UsZone::new("Hawaii", "HT");

/// The four mainland zones, west to east, each by one city that keeps it.
const MAINLAND: [(Tz, &UsZone); 4] = [
    (chrono_tz::America::Los_Angeles, &PACIFIC),
    (chrono_tz::America::Denver, &MOUNTAIN),
    (chrono_tz::America::Chicago, &CENTRAL),
    (chrono_tz::America::New_York, &EASTERN),
];

fn us_zone(tz: Tz) -> Option<&'static UsZone> {
    let name = tz.name();
    let central_indiana = ["America/Indiana/Knox", "America/Indiana/Tell_City"];
    Some(match name {
        _ if central_indiana.contains(&name) => &CENTRAL,
        "America/New_York"
        | "America/Detroit"
        | "US/Eastern"
        | "US/Michigan"
        | "EST5EDT"
        | "America/Fort_Wayne"
        | "America/Indianapolis"
        | "America/Louisville" => &EASTERN,
        _ if name.starts_with("America/Indiana/") || name.starts_with("America/Kentucky/") => {
            &EASTERN
        }
        "America/Chicago" | "America/Menominee" | "US/Central" | "CST6CDT" => &CENTRAL,
        _ if name.starts_with("America/North_Dakota/") => &CENTRAL,
        "America/Denver" | "America/Boise" | "US/Mountain" | "MST7MDT" | "America/Shiprock" => {
            &MOUNTAIN
        }
        "America/Phoenix" | "US/Arizona" => &ARIZONA,
        "America/Los_Angeles" | "US/Pacific" | "PST8PDT" => &PACIFIC,
        "America/Anchorage" | "America/Juneau" | "America/Nome" | "America/Sitka"
        | "America/Yakutat" | "America/Metlakatla" | "US/Alaska" => &ALASKA,
        "Pacific/Honolulu" | "US/Hawaii" => &HAWAII,
        _ => return None,
    })
}

/// The zone as people say it: "Eastern Time", or outside the US its
/// place and abbreviation at `at`: "London time (GMT)".
pub fn zone_name(tz: Tz, at: DateTime<Utc>) -> String {
    if let Some(zone) = us_zone(tz) {
        return format!("{} Time", zone.name);
    }
    let abbreviation = at.with_timezone(&tz).format("%Z").to_string();
    match tz.name().rsplit_once('/') {
        Some((_, place)) => format!("{} time ({abbreviation})", place.replace('_', " ")),
        None => abbreviation,
    }
}

/// The zone at one instant, when the two ends of a range differ (the
/// clocks changed in between): "Eastern Daylight Time", "GMT".
fn zone_at(tz: Tz, at: DateTime<Utc>) -> String {
    let abbreviation = at.with_timezone(&tz).format("%Z").to_string();
    match us_zone(tz) {
        Some(zone) if abbreviation.ends_with("DT") => format!("{} Daylight Time", zone.name),
        Some(zone) if abbreviation.ends_with("ST") => format!("{} Standard Time", zone.name),
        _ => abbreviation,
    }
}

/// "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM Eastern Time". Each end
/// carries its own zone when the clocks change in between, so a time in
/// the hour that repeats says which one it is: "1:30 AM Eastern Daylight
/// Time – 1:30 AM Eastern Standard Time".
pub fn time_range(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, tz: Tz) -> String {
    const DAY_AND_TIME: &str = "%A, %B %-d, %Y, %-I:%M %p";
    let start = starts_at.with_timezone(&tz);
    let end = ends_at.with_timezone(&tz);
    let same_day = start.date_naive() == end.date_naive();
    let one_offset = start.offset().fix() == end.offset().fix();
    let (start_zone, end_zone) = match one_offset {
        true => (zone_name(tz, starts_at), zone_name(tz, ends_at)),
        false => (zone_at(tz, starts_at), zone_at(tz, ends_at)),
    };
    let start_text = match same_day && one_offset {
        true => start.format(DAY_AND_TIME).to_string(),
        false => format!("{} {start_zone}", start.format(DAY_AND_TIME)),
    };
    let end_text = match same_day {
        true => format!("{} {end_zone}", end.format("%-I:%M %p")),
        false => format!("{} {end_zone}", end.format(DAY_AND_TIME)),
    };
    format!("{start_text} – {end_text}")
}

/// For a series in a US zone, the start in the other mainland zones, west
/// to east: "10:00 AM PT · 11:00 AM MT · 12:00 PM CT" (a zone where it is
/// another day says which: "10:30 PM Sat PT"). None outside the US, where
/// the list would not help.
pub fn us_elsewhere(starts_at: DateTime<Utc>, tz: Tz) -> Option<String> {
    let own = us_zone(tz)?;
    let own_day = starts_at.with_timezone(&tz).date_naive();
    let others: Vec<String> = MAINLAND
        .iter()
        .filter(|(_, zone)| zone.name != own.name)
        .map(|(city, zone)| {
            let there = starts_at.with_timezone(city);
            match there.date_naive() == own_day {
                true => format!("{} {}", there.format("%-I:%M %p"), zone.letter),
                false => format!(
                    "{} {} {}",
                    there.format("%-I:%M %p"),
                    weekday_short(there.weekday()),
                    zone.letter
                ),
            }
        })
        .collect();
    Some(others.join(" · "))
}

fn weekday_short(day: chrono::Weekday) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day.num_days_from_monday() as usize]
}

/// One instant on an organizer's page, its zone said: "Dec 15, 2026
/// 1:00 PM EST".
pub fn moment(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%b %-d, %Y %-I:%M %p %Z")
        .to_string()
}

/// The instant as the machine-readable `datetime` of a `<time>` element,
/// which the page's script turns into the visitor's own time:
/// "2026-12-15T18:00:00Z".
pub fn machine(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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
    fn a_jam_reads_in_eastern_time_by_name() {
        assert_eq!(
            time_range(
                at("2026-12-15T18:00:00Z"),
                at("2026-12-15T19:00:00Z"),
                chrono_tz::America::New_York
            ),
            "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM Eastern Time"
        );
    }

    #[test]
    fn an_hour_across_the_fall_back_names_both_ends_zones() {
        // 01:30 happens twice in New York on 2026-11-01: EDT, then EST.
        assert_eq!(
            time_range(
                at("2026-11-01T05:30:00Z"),
                at("2026-11-01T06:30:00Z"),
                chrono_tz::America::New_York
            ),
            "Sunday, November 1, 2026, 1:30 AM Eastern Daylight Time – 1:30 AM Eastern Standard Time"
        );
        assert_eq!(
            time_range(
                at("2026-11-01T05:15:00Z"),
                at("2026-11-01T05:45:00Z"),
                chrono_tz::America::New_York
            ),
            "Sunday, November 1, 2026, 1:15 AM – 1:45 AM Eastern Time",
            "one zone name is enough when both ends share it"
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
            "Tuesday, December 15, 2026, 11:00 PM Eastern Time – Wednesday, December 16, 2026, 1:00 AM Eastern Time"
        );
    }

    #[test]
    fn an_eastern_jam_lists_the_other_mainland_zones_west_to_east() {
        assert_eq!(
            us_elsewhere(at("2026-12-15T18:00:00Z"), chrono_tz::America::New_York).as_deref(),
            Some("10:00 AM PT · 11:00 AM MT · 12:00 PM CT")
        );
        assert_eq!(
            us_elsewhere(at("2026-12-15T18:00:00Z"), chrono_tz::America::Chicago).as_deref(),
            Some("10:00 AM PT · 11:00 AM MT · 1:00 PM ET"),
            "a Central series lists Eastern instead of itself"
        );
    }

    #[test]
    fn a_zone_where_it_is_another_day_says_which() {
        assert_eq!(
            us_elsewhere(at("2026-12-16T05:30:00Z"), chrono_tz::America::New_York).as_deref(),
            Some("9:30 PM Tue PT · 10:30 PM Tue MT · 11:30 PM Tue CT")
        );
    }

    #[test]
    fn a_series_outside_the_us_names_its_own_zone_and_lists_none() {
        let london = chrono_tz::Europe::London;
        assert_eq!(us_elsewhere(at("2026-12-15T18:00:00Z"), london), None);
        assert_eq!(
            time_range(
                at("2026-12-15T18:00:00Z"),
                at("2026-12-15T19:00:00Z"),
                london
            ),
            "Tuesday, December 15, 2026, 6:00 PM – 7:00 PM London time (GMT)"
        );
    }

    #[test]
    fn every_us_zone_has_a_name_and_the_machine_time_is_utc() {
        let noon = at("2026-07-21T17:00:00Z");
        for (tz, name) in [
            (chrono_tz::America::Indiana::Tell_City, "Central Time"),
            (chrono_tz::America::Indiana::Indianapolis, "Eastern Time"),
            (chrono_tz::America::Boise, "Mountain Time"),
            (chrono_tz::America::Phoenix, "Arizona Time"),
            (chrono_tz::America::Anchorage, "Alaska Time"),
            (chrono_tz::Pacific::Honolulu, "Hawaii Time"),
        ] {
            assert_eq!(zone_name(tz, noon), name, "{tz}");
        }
        assert_eq!(machine(noon), "2026-07-21T17:00:00Z");
        assert_eq!(
            moment(noon, chrono_tz::America::New_York),
            "Jul 21, 2026 1:00 PM EDT"
        );
    }
}
