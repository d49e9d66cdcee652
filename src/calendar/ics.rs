//! iCalendar (RFC 5545) files for sessions, built with the `icalendar` crate.
//! Times are written in UTC, so no VTIMEZONE is needed; calendar programs
//! show them in each reader's own zone. The scheduling method (RFC 5546)
//! says what a file is: PUBLISH (a download), REQUEST (an invitation or its
//! update), CANCEL (remove it).

use chrono::{DateTime, Duration, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, EventStatus, Property};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Publish,
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// The MIME type of a message part carrying this method.
    pub fn content_type(self) -> String {
        format!("text/calendar; method={}; charset=UTF-8", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub email: String,
}

/// One session as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvent {
    /// Stable for the life of the session: calendars match updates by it.
    pub uid: String,
    /// Goes up with every change a calendar should apply over the old copy.
    pub sequence: u32,
    pub summary: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub join_url: Option<String>,
    pub organizer: Party,
    pub attendee: Option<Party>,
}

/// Minutes before the start at which calendars remind the reader.
pub const ALARM_MINUTES: i64 = 15;

/// The whole `.ics` text for `events` with `method`, stamped `stamp`.
pub fn render(method: Method, events: &[SessionEvent], stamp: DateTime<Utc>) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("PRODID", "-//convene//convene//EN"))
        .append_property(("VERSION", "2.0"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", method.as_str()));
    for e in events {
        calendar.push(event(method, e, stamp));
    }
    calendar.to_string()
}

fn event(method: Method, e: &SessionEvent, stamp: DateTime<Utc>) -> Event {
    let mut event = Event::new();
    event
        .uid(&e.uid)
        .sequence(e.sequence)
        .timestamp(stamp)
        .starts(e.starts_at)
        .ends(e.ends_at)
        .summary(&e.summary)
        .description(&e.description)
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", e.organizer.email))
                .add_parameter("CN", &e.organizer.name)
                .done(),
        );
    if let Some(url) = &e.join_url {
        event.url(url).location(url);
    }
    if let Some(a) = &e.attendee {
        event.append_property(
            Property::new("ATTENDEE", format!("mailto:{}", a.email))
                .add_parameter("CN", &a.name)
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "ACCEPTED")
                .add_parameter("RSVP", "FALSE")
                .done(),
        );
    }
    if method == Method::Cancel {
        event.status(EventStatus::Cancelled);
    } else {
        event.status(EventStatus::Confirmed).alarm(Alarm::display(
            &format!("{} starts in {ALARM_MINUTES} minutes", e.summary),
            -Duration::minutes(ALARM_MINUTES),
        ));
    }
    event.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SessionEvent {
        SessionEvent {
            uid: "abc123@convene.test".into(),
            sequence: 2,
            summary: "Workforce Solutions Jam: pay, burnout; and retention".into(),
            description: "Join: https://zoom.us/j/1\nManage your registration: https://convene.test/r/tok — with ünïcödé text that is long enough to be folded several times over, ✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓".into(),
            starts_at: DateTime::parse_from_rfc3339("2026-12-15T18:00:00Z").unwrap().with_timezone(&Utc),
            ends_at: DateTime::parse_from_rfc3339("2026-12-15T19:00:00Z").unwrap().with_timezone(&Utc),
            join_url: Some("https://zoom.us/j/1".into()),
            organizer: Party { name: "Jam Team".into(), email: "jam@convene.test".into() },
            attendee: Some(Party { name: "Ada Lovelace".into(), email: "ada@example.org".into() }),
        }
    }

    #[test]
    fn lines_end_in_crlf_and_fold_within_75_octets_on_character_boundaries() {
        let text = render(Method::Request, &[sample()], Utc::now());
        assert!(text.ends_with("\r\n"), "file should end with CRLF");
        for line in text.split("\r\n") {
            assert!(!line.contains('\n'), "bare LF inside a line: {line:?}");
            assert!(
                line.len() <= 75,
                "line longer than 75 octets ({}): {line:?}",
                line.len()
            );
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(
            unfolded.contains("✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓"),
            "folding must not split a character"
        );
    }

    #[test]
    fn an_invitation_has_the_properties_calendars_need() {
        let text = render(Method::Request, &[sample()], Utc::now()).replace("\r\n ", "");
        for needle in [
            "METHOD:REQUEST",
            "UID:abc123@convene.test",
            "SEQUENCE:2",
            "DTSTART:20261215T180000Z",
            "DTEND:20261215T190000Z",
            "ORGANIZER;CN=Jam Team:mailto:jam@convene.test",
            "RSVP=FALSE",
            "mailto:ada@example.org",
            "URL:https://zoom.us/j/1",
            "LOCATION:https://zoom.us/j/1",
            "BEGIN:VALARM",
            "TRIGGER:-PT900S",
            "STATUS:CONFIRMED",
            "SUMMARY:Workforce Solutions Jam: pay\\, burnout\\; and retention",
        ] {
            assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
        }
    }

    #[test]
    fn a_cancellation_is_marked_cancelled_and_has_no_alarm() {
        let text = render(Method::Cancel, &[sample()], Utc::now());
        assert!(text.contains("METHOD:CANCEL"));
        assert!(text.contains("STATUS:CANCELLED"));
        assert!(
            !text.contains("VALARM"),
            "a cancelled event should not ring"
        );
    }

    #[test]
    fn the_file_parses_back_with_the_same_start() {
        let text = render(Method::Publish, &[sample()], Utc::now());
        let parsed: icalendar::Calendar = text.parse().expect("our own file parses");
        let event = parsed.events().next().expect("one event");
        assert_eq!(event.get_uid(), Some("abc123@convene.test"));
        assert_eq!(
            event.get_start(),
            Some(icalendar::DatePerhapsTime::DateTime(
                icalendar::CalendarDateTime::Utc(sample().starts_at)
            ))
        );
        assert_eq!(
            event.get_description().map(|d| d.contains("ünïcödé")),
            Some(true)
        );
    }
}
