//! What an organizer writes about a session, read and checked: its start
//! (a wall-clock time in the series' zone or an exact instant), length,
//! title, join link, capacity, a cancellation's reason; a one-off session
//! and details to change.

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::ManageError;

// ---------------------------------------------------------------- input

/// When a session starts, as an organizer writes it: a wall-clock time in
/// the series' zone (`2027-01-12 14:00`), or an exact instant (RFC 3339,
/// with an offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Local(NaiveDateTime),
    Exact(DateTime<Utc>),
}

impl FromStr for Start {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let sane = |date| crate::calendar::schedule::sane_date(date).map(|_| ());
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            sane(t.date_naive())?;
            return Ok(Start::Exact(t.with_timezone(&Utc)));
        }
        for format in [
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
                sane(t.date())?;
                return Ok(Start::Local(t));
            }
        }
        Err(format!(
            "`{s}` is not a start like \"2027-01-12 14:00\" (local time in the series' zone) \
             or 2027-01-12T14:00:00-05:00"
        ))
    }
}

impl Start {
    /// The instant this start means in `tz`, and a note to show the
    /// organizer when the local time was ambiguous. A local time the clocks
    /// skip (spring forward) is refused rather than guessed.
    pub fn resolve(self, tz: Tz) -> Result<(DateTime<Utc>, Option<String>), ManageError> {
        let local = match self {
            Start::Exact(t) => return Ok((t, None)),
            Start::Local(local) => local,
        };
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Ok((t.with_timezone(&Utc), None)),
            LocalResult::Ambiguous(earlier, later) => {
                let note = format!(
                    "{} happens twice in {tz} (the clocks go back): took the earlier, {} rather than {}",
                    local.format("%Y-%m-%d %H:%M"),
                    earlier.format("%H:%M %Z"),
                    later.format("%H:%M %Z"),
                );
                Ok((earlier.with_timezone(&Utc), Some(note)))
            }
            LocalResult::None => Err(ManageError::Invalid(format!(
                "{} does not exist in {tz}: the clocks go forward over it; choose another time",
                local.format("%Y-%m-%d %H:%M")
            ))),
        }
    }
}

/// How long a session lasts: `90m`, `1h30m`, or plain minutes (`90`);
/// whole minutes, more than zero, at most a day (a longer one is a typo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length(Duration);

const LONGEST_MINUTES: i64 = 24 * 60;

impl Length {
    pub fn minutes(n: i64) -> Result<Self, String> {
        if n <= 0 {
            return Err(format!(
                "the duration must be more than zero minutes (got {n})"
            ));
        }
        if n > LONGEST_MINUTES {
            return Err(format!(
                "the duration must be at most 24 hours (got {n} minutes)"
            ));
        }
        Ok(Self(Duration::minutes(n)))
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    pub fn whole_minutes(self) -> i32 {
        // At most a day: always fits.
        self.0.num_minutes() as i32
    }
}

impl FromStr for Length {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Length::minutes(n);
        }
        let d = humantime::parse_duration(s)
            .map_err(|_| format!("`{s}` is not a duration like 90m, 1h30m or 90 (minutes)"))?;
        if d.subsec_nanos() != 0 || d.as_secs() % 60 != 0 {
            return Err(format!("`{s}`: give the duration in whole minutes"));
        }
        Length::minutes(i64::try_from(d.as_secs() / 60).unwrap_or(i64::MAX))
    }
}

/// A session's title: not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(pub(super) String);

impl FromStr for Title {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("the title must not be empty".into());
        }
        crate::web::hygiene::one_line(s).map_err(|e| format!("the title {e}"))?;
        Ok(Self(s.to_string()))
    }
}

impl Title {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where people join: an http(s) URL with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinUrl(pub(super) String);

impl FromStr for JoinUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let url = url::Url::parse(s).map_err(|e| format!("`{s}` is not a valid URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(format!(
                "`{s}` is not a valid join URL: it must start with https:// (or http://) and name a host"
            ));
        }
        Ok(Self(url.to_string()))
    }
}

impl JoinUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Places in a session: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity(pub(super) i32);

impl FromStr for Capacity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a number of places"))?;
        if n < 1 {
            return Err(format!("the capacity must be at least 1 (got {n})"));
        }
        i32::try_from(n)
            .map(Self)
            .map_err(|_| format!("the capacity {n} is too large"))
    }
}

impl Capacity {
    pub fn get(self) -> i32 {
        self.0
    }
}

/// Why a session is cancelled, told to everyone registered: not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(pub(super) String);

impl FromStr for Reason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("give a reason: it is told to everyone registered".into());
        }
        Ok(Self(s.to_string()))
    }
}

/// A one-off session; what is not given comes from the series.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub series: String,
    pub start: Start,
    pub length: Option<Length>,
    pub title: Title,
    pub description: Option<String>,
    pub join_url: Option<JoinUrl>,
    pub capacity: Option<Capacity>,
}

/// Details to change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub title: Option<Title>,
    pub description: Option<String>,
    pub join_url: Option<JoinUrl>,
    pub capacity: Option<Capacity>,
}

#[cfg(test)]
mod tests {

    use chrono_tz::America::New_York;

    use super::*;

    fn local(s: &str) -> Start {
        s.parse().expect("a start")
    }

    #[test]
    fn a_local_start_is_read_in_the_series_zone() {
        let (at, note) = local("2027-01-12 14:00").resolve(New_York).unwrap();
        assert_eq!(at.to_rfc3339(), "2027-01-12T19:00:00+00:00", "EST is UTC-5");
        assert_eq!(note, None);
        let (summer, _) = local("2027-07-13T14:00").resolve(New_York).unwrap();
        assert_eq!(
            summer.to_rfc3339(),
            "2027-07-13T18:00:00+00:00",
            "EDT is UTC-4"
        );
    }

    #[test]
    fn an_rfc3339_start_keeps_its_own_offset() {
        let start = local("2027-01-12T14:00:00-08:00");
        assert_eq!(
            start.resolve(New_York).unwrap().0.to_rfc3339(),
            "2027-01-12T22:00:00+00:00"
        );
    }

    #[test]
    fn a_local_time_the_clocks_skip_is_refused() {
        // 2027-03-14: New York jumps from 02:00 to 03:00.
        let err = local("2027-03-14 02:30").resolve(New_York).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn a_local_time_that_happens_twice_takes_the_earlier_and_says_so() {
        // 2027-11-07: New York goes back from 02:00 EDT to 01:00 EST.
        let (at, note) = local("2027-11-07 01:30").resolve(New_York).unwrap();
        assert_eq!(at.to_rfc3339(), "2027-11-07T05:30:00+00:00", "01:30 EDT");
        let note = note.expect("a note");
        assert!(note.contains("earlier") && note.contains("EDT"), "{note}");
    }

    #[test]
    fn what_is_not_a_start_is_refused_with_an_example() {
        let err = "next Tuesday".parse::<Start>().unwrap_err();
        assert!(err.contains("2027-01-12 14:00"), "{err}");
        assert!("2027-02-30 10:00".parse::<Start>().is_err());
    }

    #[test]
    fn a_start_outside_the_years_convene_takes_is_refused_naming_them() {
        for far in [
            "+262142-12-01 10:00",
            "1899-12-31T23:00",
            "2201-01-01 00:00",
            "9999-01-01T10:00:00Z",
        ] {
            let err = far.parse::<Start>().unwrap_err();
            assert!(err.contains("1900 and 2200"), "{far}: {err}");
        }
        assert!(
            "2200-12-31 23:59".parse::<Start>().is_ok(),
            "the last year is in"
        );
    }

    #[test]
    fn durations_are_positive_whole_minutes() {
        let minutes = |s: &str| s.parse::<Length>().map(|l| l.duration().num_minutes());
        assert_eq!(minutes("90"), Ok(90));
        assert_eq!(minutes("90m"), Ok(90));
        assert_eq!(minutes("1h30m"), Ok(90));
        assert_eq!(minutes("2h"), Ok(120));
        for bad in ["0", "0m", "-5", "-5m", "90s", "soon", "25h", ""] {
            assert!(minutes(bad).is_err(), "`{bad}` should be refused");
        }
        assert!(minutes("-5").unwrap_err().contains("more than zero"));
    }

    #[test]
    fn titles_reasons_urls_and_capacities_are_checked() {
        assert!("  ".parse::<Title>().is_err());
        assert!("Two\nlines".parse::<Title>().is_err());
        assert_eq!("  A title ".parse::<Title>().unwrap().0, "A title");
        assert!("".parse::<Reason>().is_err());
        assert!("not a url".parse::<JoinUrl>().is_err());
        assert!("ftp://zoom.us/j/1".parse::<JoinUrl>().is_err());
        assert!("mailto:jam@example.org".parse::<JoinUrl>().is_err());
        assert_eq!(
            "https://zoom.us/j/123".parse::<JoinUrl>().unwrap().0,
            "https://zoom.us/j/123"
        );
        assert!("0".parse::<Capacity>().is_err());
        assert!("-3".parse::<Capacity>().is_err());
        assert!("99999999999".parse::<Capacity>().is_err());
        assert_eq!("250".parse::<Capacity>().unwrap().0, 250);
    }
}
