use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use convene::auth::Role;
use convene::clock::Clock;
use icalendar::Component;
use serde_json::json;

use crate::helpers::{create_user, next_third_tuesday_1pm_new_york, send, token, TestApp};

#[tokio::test]
async fn the_api_lists_six_months_of_third_tuesday_jams_at_1pm_new_york() {
    let app = TestApp::spawn().await;
    let sessions = app.sessions().await;
    assert!(
        (6..=7).contains(&sessions.len()),
        "about six months of Jams, got {}",
        sessions.len()
    );
    let first: DateTime<Utc> = sessions[0]["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        first,
        next_third_tuesday_1pm_new_york(Utc::now()),
        "the next Jam is the next third Tuesday 13:00 New York"
    );
    for s in &sessions {
        assert_eq!(s["series"], "jam");
        assert_eq!(s["time_zone"], "America/New_York");
        assert_eq!(s["capacity"], 1000);
        let start: DateTime<Utc> = s["starts_at"].as_str().unwrap().parse().expect("RFC 3339");
        let local = start.with_timezone(&chrono_tz::America::New_York);
        assert_eq!(local.weekday(), Weekday::Tue, "{start}");
        assert!(
            (15..=21).contains(&local.day()),
            "{start} is not a third Tuesday"
        );
        assert_eq!(
            (local.hour(), local.minute()),
            (13, 0),
            "{start} is not 13:00 in New York"
        );
    }
}

#[tokio::test]
async fn starting_again_on_the_same_database_creates_no_duplicate_sessions() {
    let app = TestApp::spawn().await;
    let before = app.sessions().await.len();
    // A second instance (as when several run against one database).
    let second = convene::Application::build(app.settings.clone())
        .await
        .expect("second instance");
    drop(second);
    let created = convene::jobs::sync_series(
        &app.pool,
        std::sync::Arc::new(app.settings.clone()),
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(created, 0, "a scheduler tick should create nothing new");
    assert_eq!(
        app.sessions().await.len(),
        before,
        "sessions were duplicated"
    );
}

#[tokio::test]
async fn the_home_page_shows_the_next_jam_in_new_york_time() {
    let app = TestApp::spawn().await;
    let page = app.get("/").await.text().await.unwrap();
    let start =
        next_third_tuesday_1pm_new_york(Utc::now()).with_timezone(&chrono_tz::America::New_York);
    let expected = start.format("%A, %B %-d, %Y, 1:00 PM").to_string();
    assert!(
        page.contains("Workforce Solutions Jam</a></h2>"),
        "the card's heading is the next session's topic"
    );
    assert!(
        page.contains(&expected),
        "expected `{expected}` on the home page"
    );
    assert!(
        page.contains("Eastern Time"),
        "the time zone should be named"
    );
}

#[tokio::test]
async fn a_session_calendar_file_is_a_published_event_with_its_uid() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let response = app.get(&format!("/sessions/{session}/calendar.ics")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = response.text().await.unwrap();
    assert!(text.contains("METHOD:PUBLISH\r\n"), "{text}");
    let calendar: icalendar::Calendar = text.parse().expect("the file parses as iCalendar");
    let event = calendar.events().next().expect("one event");
    let start = next_third_tuesday_1pm_new_york(Utc::now());
    assert_eq!(
        event.get_start(),
        Some(icalendar::DatePerhapsTime::DateTime(
            icalendar::CalendarDateTime::Utc(start)
        ))
    );
    assert!(
        event
            .get_uid()
            .is_some_and(|u| u.ends_with("@convene.test")),
        "UID should be ours"
    );
}

/// The lines of `text` (an .ics) from its event with `uid` that start with
/// `prefix`.
fn event_lines<'a>(text: &'a str, uid: &str, prefix: &str) -> Vec<&'a str> {
    text.split("BEGIN:VEVENT\r\n")
        .filter(|event| event.contains(&format!("UID:{uid}\r\n")))
        .flat_map(|event| event.split("\r\n"))
        .filter(|line| line.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn a_session_moved_into_the_repeated_fall_back_hour_is_the_first_one_everywhere() {
    // 01:30 happens twice in New York on 2026-11-01: 05:30Z (EDT), 06:30Z (EST).
    let october = Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(Clock::manual(october), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let bearer = token(&app, "org@example.org").await;
    let create = json!({ "series": "jam", "start": "2026-10-20 13:00", "title": "Night owls" });
    let (status, created) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/sessions",
        Some(&bearer),
        Some(create),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["session"]["id"].as_i64().unwrap();

    let (status, moved) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{id}/reschedule"),
        Some(&bearer),
        Some(json!({ "start": "2026-11-01 01:30", "duration": "60" })),
    )
    .await;

    assert_eq!(status, 200, "{moved}");
    let session = &moved["session"];
    assert_eq!(
        session["starts_at"], "2026-11-01T05:30:00+00:00",
        "the first 01:30 is taken: {moved}"
    );
    let note = moved["notes"][0].as_str().unwrap_or_default();
    assert!(note.contains("twice") && note.contains("EDT"), "{moved}");
    let line =
        "Sunday, November 1, 2026, 1:30 AM Eastern Daylight Time – 1:30 AM Eastern Standard Time";
    assert_eq!(session["when"], line, "the API's time line");
    let page = app
        .get(&format!("/sessions/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(line),
        "the page should read `{line}`:\n{page}"
    );

    let download = app
        .get(&format!("/sessions/{id}/calendar.ics"))
        .await
        .text()
        .await
        .unwrap();
    let calendar: icalendar::Calendar = download.parse().expect("the file parses");
    let uid = calendar.events().next().and_then(|e| e.get_uid()).unwrap();
    let feed = app.get("/calendar/jam.ics").await.text().await.unwrap();
    for (name, text) in [("download", &download), ("feed", &feed)] {
        assert_eq!(
            event_lines(text, uid, "DTSTART"),
            ["DTSTART:20261101T053000Z"],
            "the {name} writes the start as its instant:\n{text}"
        );
        assert_eq!(
            event_lines(text, uid, "DTEND"),
            ["DTEND:20261101T063000Z"],
            "the {name} writes the end as its instant:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_download_of_a_cancelled_session_is_a_published_event_marked_cancelled() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let bearer = token(&app, "org@example.org").await;
    let start = (Utc::now() + Duration::days(40)).to_rfc3339();
    let create = json!({ "series": "jam", "start": start, "title": "Town hall" });
    let path = "/api/v1/organizer/sessions";
    let (_, created) = send(
        &app,
        reqwest::Method::POST,
        path,
        Some(&bearer),
        Some(create),
    )
    .await;
    let id = created["session"]["id"].as_i64().expect("a session");
    let cancel = format!("/api/v1/organizer/sessions/{id}/cancel");
    let reason = json!({ "reason": "Merged into the Jam" });
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &cancel,
        Some(&bearer),
        Some(reason),
    )
    .await;
    assert_eq!(status, 200, "the session is cancelled");

    let response = app.get(&format!("/sessions/{id}/calendar.ics")).await;

    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap();
    for needle in ["METHOD:PUBLISH\r\n", "STATUS:CANCELLED\r\n"] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    assert!(
        !text.contains("METHOD:CANCEL") && !text.contains("ATTENDEE"),
        "a download is nobody's cancellation:\n{text}"
    );
}
