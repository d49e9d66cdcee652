//! iCalendar (RFC 5545) files for sessions, built with the `icalendar` crate.
//! Files sent by e-mail (`render`) carry times in UTC, so no VTIMEZONE is
//! needed; calendar programs show them in each reader's own zone. The
//! scheduling method (RFC 5546) says what a file is: PUBLISH (a download),
//! REQUEST (an invitation or its update), CANCEL (remove it). A series'
//! subscribable feed (`render_feed`) writes local times in the series' zone
//! with its VTIMEZONE, so recurring times stay put across DST in every
//! program; an event that starts or ends in the hour the clocks repeat is
//! written in UTC there too, the one form every reader takes alike.

use std::ops::Range;

use chrono::{DateTime, Duration, LocalResult, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{
    Alarm, Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property,
};
use serde::{Deserialize, Serialize};

use crate::calendar::vtimezone;

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
    let mut calendar = header(method);
    let cancelled = method == Method::Cancel;
    for e in events {
        calendar.push(event(e, stamp, cancelled, Flavor::Message));
    }
    calendar.to_string()
}

/// One session in a series' feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub event: SessionEvent,
    pub cancelled: bool,
    /// When the session last changed; its DTSTAMP, so that the same data
    /// always gives the same bytes (and the same ETag).
    pub changed_at: DateTime<Utc>,
}

/// How often calendar programs should fetch a feed again.
const FEED_REFRESH: &str = "PT1H";

/// The public download of one session (PUBLISH, nobody's copy). A
/// cancelled session stays a PUBLISH marked `STATUS:CANCELLED`: a CANCEL
/// is addressed to attendees (RFC 5546), and a download has none.
pub fn render_download(e: &SessionEvent, cancelled: bool, stamp: DateTime<Utc>) -> String {
    let mut calendar = header(Method::Publish);
    calendar.push(event(e, stamp, cancelled, Flavor::Message));
    calendar.to_string()
}

/// A series' subscribable calendar (PUBLISH): named `name`, times local to
/// `zone` with its VTIMEZONE covering `covers` and every event. Never
/// carries attendees. The same input gives the same text.
pub fn render_feed(
    name: &str,
    zone: Tz,
    covers: Range<DateTime<Utc>>,
    events: &[FeedEvent],
) -> String {
    let mut calendar = header(Method::Publish);
    calendar
        .append_property(("X-WR-CALNAME", name))
        .append_property(("X-WR-TIMEZONE", zone.name()))
        .append_property(
            Property::new("REFRESH-INTERVAL", FEED_REFRESH)
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(("X-PUBLISHED-TTL", FEED_REFRESH));
    for e in events {
        calendar.push(event(
            &e.event,
            e.changed_at,
            e.cancelled,
            Flavor::Feed(zone),
        ));
    }
    let from = events
        .iter()
        .map(|e| e.event.starts_at)
        .fold(covers.start, DateTime::min);
    let to = events
        .iter()
        .map(|e| e.event.ends_at)
        .fold(covers.end, DateTime::max);
    // icalendar has no VTIMEZONE type: put ours, already CRLF-terminated
    // lines, where RFC 5545 readers expect it, before the first event.
    let mut text = calendar.to_string();
    let at = text
        .find("\r\nBEGIN:VEVENT\r\n")
        .or_else(|| text.find("\r\nEND:VCALENDAR\r\n"))
        .map_or(text.len(), |i| i + 2);
    text.insert_str(at, &vtimezone::render(zone, from, to));
    text
}

fn header(method: Method) -> Calendar {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("PRODID", "-//convene//convene//EN"))
        .append_property(("VERSION", "2.0"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", method.as_str()));
    calendar
}

/// What an event is written for.
#[derive(Debug, Clone, Copy)]
enum Flavor {
    /// A file in an e-mail or a download: UTC times, one person's copy.
    Message,
    /// A public feed: local times in the zone, nobody's copy, stable bytes.
    Feed(Tz),
}

/// Whether `at`'s wall time in `zone` happens twice (the clocks go back).
/// RFC 5545 reads such a local time as the first, ical.js (Thunderbird)
/// and node-ical as the second: it is never written as a local time.
fn repeated(at: DateTime<Utc>, zone: Tz) -> bool {
    let local = at.with_timezone(&zone).naive_local();
    matches!(zone.from_local_datetime(&local), LocalResult::Ambiguous(..))
}

/// `at` as the wall time in `zone`, with its TZID.
fn in_zone(at: DateTime<Utc>, zone: Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: at.with_timezone(&zone).naive_local(),
        tzid: zone.name().to_string(),
    }
}

/// A parameter value (a CN) as RFC 5545's `param-value` allows it:
/// `paramtext / quoted-string`, neither of which can hold a DQUOTE or a
/// control. A DQUOTE becomes an apostrophe and controls (line breaks
/// among them) spaces; icalendar then quotes a value with `:`, `;` or
/// `,`, so no name can end the parameter and start another, or a line.
fn param_value(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn event(e: &SessionEvent, stamp: DateTime<Utc>, cancelled: bool, flavor: Flavor) -> Event {
    let mut event = Event::new();
    event.uid(&e.uid).sequence(e.sequence).timestamp(stamp);
    match flavor {
        // Both ends in UTC when either is repeated: one length for every reader.
        Flavor::Feed(zone) if !repeated(e.starts_at, zone) && !repeated(e.ends_at, zone) => event
            .starts(in_zone(e.starts_at, zone))
            .ends(in_zone(e.ends_at, zone)),
        Flavor::Message | Flavor::Feed(_) => event.starts(e.starts_at).ends(e.ends_at),
    };
    event
        .summary(&e.summary)
        .description(&e.description)
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", e.organizer.email))
                .add_parameter("CN", &param_value(&e.organizer.name))
                .done(),
        );
    if let Some(url) = &e.join_url {
        event.url(url).location(url);
    }
    if let (Some(a), Flavor::Message) = (&e.attendee, flavor) {
        event.append_property(
            Property::new("ATTENDEE", format!("mailto:{}", a.email))
                .add_parameter("CN", &param_value(&a.name))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "ACCEPTED")
                .add_parameter("RSVP", "FALSE")
                .done(),
        );
    }
    if cancelled {
        event.status(EventStatus::Cancelled);
    } else {
        let mut alarm = Alarm::display(
            &format!("{} starts in {ALARM_MINUTES} minutes", e.summary),
            -Duration::minutes(ALARM_MINUTES),
        );
        if let Flavor::Feed(_) = flavor {
            // icalendar fills a missing UID with a random one and DTSTAMP
            // with the current time; a feed must not change between polls.
            alarm
                .append_property(("UID", format!("{}-alarm", e.uid).as_str()))
                .append_property((
                    "DTSTAMP",
                    stamp.format("%Y%m%dT%H%M%SZ").to_string().as_str(),
                ));
        }
        event.status(EventStatus::Confirmed).alarm(alarm);
    }
    event.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::DatePerhapsTime;

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

    /// The parameters of the one `name` property of the one event in
    /// `text`, as a calendar program reads them.
    fn params_of(text: &str, name: &str) -> Vec<(String, String)> {
        let parsed: icalendar::Calendar = text.parse().expect("the file parses");
        let event = parsed.events().next().expect("one event");
        let found: Vec<_> = event
            .properties()
            .values()
            .filter(|p| p.key() == name)
            .chain(event.multi_properties().get(name).into_iter().flatten())
            .collect();
        assert_eq!(found.len(), 1, "one {name} in:\n{text}");
        let mut params: Vec<(String, String)> = found[0]
            .params()
            .iter()
            .map(|(k, p)| (k.clone(), p.value().to_string()))
            .collect();
        params.sort();
        params
    }

    #[test]
    fn a_name_cannot_add_a_parameter_or_a_line_to_the_attendee() {
        for name in [
            "Eve\";ROLE=CHAIR;X=\"",
            "\"Eve;ROLE=CHAIR\"",
            "Eve\r\nATTENDEE;CN=Mallory:mailto:m@example.org",
            "Eve\nROLE=CHAIR",
        ] {
            let mut e = sample();
            e.attendee = Some(Party {
                name: name.into(),
                email: "eve@example.org".into(),
            });
            e.organizer.name = name.into();
            let text = render(Method::Request, &[e], Utc::now());
            let params = params_of(&text, "ATTENDEE");
            let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                keys,
                ["CN", "PARTSTAT", "ROLE", "RSVP"],
                "{name:?} added a parameter:\n{text}"
            );
            assert!(
                params.contains(&("ROLE".into(), "REQ-PARTICIPANT".into())),
                "{name:?} changed the role:\n{text}"
            );
            let cn = &params[0].1;
            assert!(
                cn.contains("Eve") && !cn.contains('"') && !cn.contains('\n'),
                "{name:?} gave CN {cn:?}"
            );
            let organizer: Vec<String> = params_of(&text, "ORGANIZER")
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            assert_eq!(organizer, ["CN"], "{name:?} in the organizer:\n{text}");
            let lines: Vec<&str> = text
                .split("\r\n")
                .filter(|l| l.starts_with("ATTENDEE") || l.starts_with("ORGANIZER"))
                .collect();
            assert_eq!(lines.len(), 2, "{name:?} added a line:\n{text}");
        }
    }

    #[test]
    fn a_parameter_value_holds_no_dquote_and_no_control() {
        assert_eq!(param_value("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(param_value("Eve \"the\" Hacker"), "Eve 'the' Hacker");
        assert_eq!(param_value("Eve\r\n\tX\u{0}"), "Eve X");
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

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn feed_event(uid: &str, starts: &str, cancelled: bool) -> FeedEvent {
        let starts_at = at(starts);
        FeedEvent {
            event: SessionEvent {
                uid: uid.into(),
                starts_at,
                ends_at: starts_at + Duration::hours(1),
                ..sample()
            },
            cancelled,
            changed_at: at("2026-11-01T12:00:00Z"),
        }
    }

    fn jam_feed(events: &[FeedEvent]) -> String {
        render_feed(
            "Workforce Solutions Jam",
            chrono_tz::America::New_York,
            at("2026-11-15T00:00:00Z")..at("2027-05-15T00:00:00Z"),
            events,
        )
    }

    #[test]
    fn a_feed_writes_new_york_wall_times_on_both_sides_of_a_dst_change() {
        let text = jam_feed(&[
            feed_event("feb@convene.test", "2027-02-16T18:00:00Z", false),
            feed_event("apr@convene.test", "2027-04-20T17:00:00Z", false),
        ]);
        for needle in [
            "METHOD:PUBLISH\r\n",
            "X-WR-CALNAME:Workforce Solutions Jam\r\n",
            "X-WR-TIMEZONE:America/New_York\r\n",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n",
            "X-PUBLISHED-TTL:PT1H\r\n",
            "DTSTART;TZID=America/New_York:20270216T130000\r\n",
            "DTEND;TZID=America/New_York:20270216T140000\r\n",
            "DTSTART;TZID=America/New_York:20270420T130000\r\n",
            "DTSTAMP:20261101T120000Z\r\n",
            "STATUS:CONFIRMED\r\n",
            "BEGIN:VALARM\r\n",
        ] {
            assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
        }
        let zone = text.find("BEGIN:VTIMEZONE\r\n").expect("a VTIMEZONE");
        let first_event = text.find("BEGIN:VEVENT\r\n").expect("an event");
        assert!(
            zone < first_event,
            "the VTIMEZONE should come before the events"
        );
        assert!(
            text[zone..first_event].contains("DTSTART:20270314T020000\r\n"),
            "the March 2027 change should be described:\n{text}"
        );
    }

    #[test]
    fn a_feed_parses_back_to_the_same_instants() {
        let text = jam_feed(&[feed_event(
            "feb@convene.test",
            "2027-02-16T18:00:00Z",
            false,
        )]);
        let parsed: icalendar::Calendar = text.parse().expect("the feed parses");
        let event = parsed.events().next().expect("one event");
        let Some(icalendar::DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
            date_time,
            tzid,
        })) = event.get_start()
        else {
            panic!(
                "DTSTART should be local with a TZID: {:?}",
                event.get_start()
            );
        };
        let zone: Tz = tzid.parse().expect("an IANA zone");
        assert_eq!(
            zone.from_local_datetime(&date_time).single(),
            Some(at("2027-02-16T18:00:00Z").with_timezone(&zone))
        );
    }

    #[test]
    fn a_cancelled_feed_event_is_marked_and_does_not_ring() {
        let text = jam_feed(&[feed_event(
            "gone@convene.test",
            "2027-02-16T18:00:00Z",
            true,
        )]);
        assert!(text.contains("STATUS:CANCELLED\r\n"), "{text}");
        assert!(
            !text.contains("VALARM"),
            "a cancelled event should not ring"
        );
        assert!(text.contains("SEQUENCE:2\r\n"), "{text}");
    }

    #[test]
    fn a_feed_never_names_an_attendee() {
        let text = jam_feed(&[feed_event(
            "feb@convene.test",
            "2027-02-16T18:00:00Z",
            false,
        )]);
        assert!(!text.contains("ATTENDEE"), "{text}");
        assert!(!text.contains("ada@example.org"), "{text}");
    }

    #[test]
    fn the_same_feed_data_gives_the_same_bytes() {
        let events = [
            feed_event("feb@convene.test", "2027-02-16T18:00:00Z", false),
            feed_event("gone@convene.test", "2027-03-16T17:00:00Z", true),
        ];
        assert_eq!(jam_feed(&events), jam_feed(&events));
    }

    #[test]
    fn a_feed_keeps_crlf_lines_within_75_octets() {
        let text = jam_feed(&[feed_event(
            "feb@convene.test",
            "2027-02-16T18:00:00Z",
            false,
        )]);
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(!line.contains('\n'), "bare LF inside a line: {line:?}");
            assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
        }
    }

    #[test]
    fn an_empty_feed_still_describes_its_zone() {
        let text = jam_feed(&[]);
        assert!(
            text.contains("END:VTIMEZONE\r\nEND:VCALENDAR\r\n"),
            "{text}"
        );
    }

    #[test]
    fn an_event_in_the_repeated_fall_back_hour_is_written_in_utc() {
        // 01:30 New York is 05:30Z (EDT), then 06:30Z (EST) on 2026-11-01:
        // each is an instant, as is an end then; a normal event stays local.
        let starts = ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"];
        let text = jam_feed(&[
            feed_event("first@convene.test", starts[0], false),
            feed_event("second@convene.test", starts[1], false),
            feed_event("late@convene.test", "2026-11-01T04:45:00Z", false),
            feed_event("feb@convene.test", "2027-02-16T18:00:00Z", false),
        ]);
        let parsed: icalendar::Calendar = text.parse().expect("the feed parses");
        let utc = |s: &str| Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at(s))));
        let times: Vec<_> = parsed
            .events()
            .map(|e| (e.get_start(), e.get_end()))
            .collect();
        assert_eq!(times[0], (utc(starts[0]), utc(starts[1])), "{text}");
        assert_eq!(times[1], (utc(starts[1]), utc("2026-11-01T07:30:00Z")));
        let late = (utc("2026-11-01T04:45:00Z"), utc("2026-11-01T05:45:00Z"));
        assert_eq!(times[2], late, "{text}");
        let local = "DTSTART;TZID=America/New_York:20270216T130000\r\n";
        assert!(text.contains(local), "{text}");
    }

    #[test]
    fn a_cancelled_download_is_a_published_cancelled_event() {
        let text = render_download(&sample(), true, Utc::now());
        for needle in ["METHOD:PUBLISH\r\n", "STATUS:CANCELLED\r\n"] {
            assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
        }
        assert!(
            !text.contains("VALARM"),
            "a cancelled event should not ring"
        );
        let text = render_download(&sample(), false, Utc::now());
        assert!(text.contains("STATUS:CONFIRMED\r\n"), "{text}");
    }
}
