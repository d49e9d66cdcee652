//! "Add to calendar" links for web calendars that do not take a file.

use chrono::{DateTime, Utc};
use serde_json::json;
use url::form_urlencoded;

use crate::config::PublicUrl;

/// The feed's addresses for pages: `webcal` (opens the calendar program to
/// subscribe) and `url`, the same over http(s), to paste into web calendars.
pub fn feed_links(public: &PublicUrl, slug: &str) -> serde_json::Value {
    let url = public.join(&format!("/calendar/{slug}.ics"));
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(&url);
    json!({ "webcal": format!("webcal://{rest}"), "url": url })
}

fn compact(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn google(
    title: &str,
    details: &str,
    location: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("action", "TEMPLATE")
        .append_pair("text", title)
        .append_pair(
            "dates",
            &format!("{}/{}", compact(starts_at), compact(ends_at)),
        )
        .append_pair("details", details)
        .append_pair("location", location)
        .finish();
    format!("https://calendar.google.com/calendar/render?{query}")
}

pub fn outlook(
    title: &str,
    details: &str,
    location: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("path", "/calendar/action/compose")
        .append_pair("rru", "addevent")
        .append_pair("subject", title)
        .append_pair(
            "startdt",
            &starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
        .append_pair(
            "enddt",
            &ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
        .append_pair("body", details)
        .append_pair("location", location)
        .finish();
    format!("https://outlook.office.com/calendar/0/deeplink/compose?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_link_carries_utc_times_and_escapes_text() {
        let s = DateTime::parse_from_rfc3339("2026-12-15T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let link = google(
            "Jam & more",
            "x",
            "https://zoom.us/j/1",
            s,
            s + chrono::Duration::hours(1),
        );
        assert!(
            link.contains("dates=20261215T180000Z%2F20261215T190000Z"),
            "{link}"
        );
        assert!(link.contains("text=Jam+%26+more"), "{link}");
    }
}
