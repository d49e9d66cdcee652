//! A Jam's time reads in its zone's name with the other US mainland zones
//! beside it, on every page and e-mail, and carries a machine-readable
//! `<time>` for the script that adds the visitor's own.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use convene::auth::Role;
use convene::clock::Clock;

use crate::helpers::{create_user, page, sign_in, TestApp};

/// November 2, 2026: the next Jam is Tuesday, November 17, 13:00 EST
/// (18:00Z).
async fn november() -> TestApp {
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap();
    TestApp::spawn_with_clock(Clock::manual(at), |_| {}).await
}

const WHEN: &str = "Tuesday, November 17, 2026, 1:00 PM – 2:00 PM Eastern Time";
const ELSEWHERE: &str = "10:00 AM PT · 11:00 AM MT · 12:00 PM CT";
const MACHINE: &str = r#"<time datetime="2026-11-17T18:00:00Z" data-zone="America/New_York">"#;

#[tokio::test]
async fn the_home_and_session_pages_name_the_zone_and_the_other_us_zones() {
    let app = november().await;
    let session = app.next_jam().await;

    for path in ["/".to_string(), format!("/sessions/{session}")] {
        let html = app.get(&path).await.text().await.unwrap();
        assert!(html.contains(WHEN), "{path} reads `{WHEN}`:\n{html}");
        assert!(html.contains(ELSEWHERE), "{path} lists `{ELSEWHERE}`");
        assert!(html.contains(MACHINE), "{path} carries `{MACHINE}`");
        assert!(
            html.contains(r#"<script src="/static/local-time.js" defer></script>"#),
            "{path} links the visitor's-time script"
        );
        assert!(
            !html.contains("America/New_York time"),
            "{path}: no raw zone id as text"
        );
    }
}

#[tokio::test]
async fn the_visitors_time_script_is_served_as_javascript_and_reads_the_time_element() {
    let app = november().await;

    let response = app.get("/static/local-time.js").await;

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let script = response.text().await.unwrap();
    assert!(
        script.contains("time[datetime][data-zone]") && script.contains("Intl.DateTimeFormat"),
        "the script reads <time datetime> and formats with Intl: {script}"
    );
}

#[tokio::test]
async fn the_confirmation_email_names_the_zone_and_the_other_us_zones() {
    let app = november().await;
    let session = app.next_jam().await;

    app.register_ok(session, "ada@example.org").await;

    let mail = app.smtp.wait_for("ada@example.org", 1).await.remove(0);
    for (part, body) in [("text", &mail.text), ("html", &mail.html)] {
        assert!(
            body.contains(&format!("{WHEN} ({ELSEWHERE})")),
            "the {part} part reads the time and the other zones:\n{body}"
        );
    }
    assert!(mail.subject.contains(WHEN), "subject: {}", mail.subject);
}

/// Both parts of `mail` read `when` with the other US zones beside it.
fn reads_zones(mail: &crate::helpers::Mail, when: &str) {
    for (part, body) in [("text", &mail.text), ("html", &mail.html)] {
        assert!(
            body.contains(&format!("{when} ({ELSEWHERE})"))
                || body.contains(&format!("{when}; {ELSEWHERE})")),
            "the {part} part of `{}` reads the time and the other zones:\n{body}",
            mail.subject
        );
    }
}

#[tokio::test]
async fn the_cancellation_email_names_the_other_us_zones() {
    let app = november().await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, "ada@example.org").await;

    let cancelled = app.post_form(&format!("{manage}/cancel"), &[]).await;
    assert_eq!(cancelled.status().as_u16(), 303);

    let mail = app.smtp.wait_for("ada@example.org", 2).await.remove(1);
    assert!(
        mail.subject.starts_with("Registration cancelled"),
        "{}",
        mail.subject
    );
    reads_zones(&mail, WHEN);
}

#[tokio::test]
async fn the_follow_up_gives_the_next_sessions_time_in_the_other_us_zones() {
    let app = november().await;
    let session = app.next_jam().await;
    app.register_ok(session, "ada@example.org").await;

    // Well after the session: the follow-up goes without materials.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap());
    convene::jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick");

    let mail = app.smtp.wait_for("ada@example.org", 2).await.remove(1);
    reads_zones(
        &mail,
        "Tuesday, December 15, 2026, 1:00 PM – 2:00 PM Eastern Time",
    );
}

#[tokio::test]
async fn a_series_outside_the_us_shows_its_own_zone_and_no_us_list() {
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(Clock::manual(at), |s| {
        s.series.get_mut("jam").unwrap().timezone = chrono_tz::Europe::London;
    })
    .await;
    let session = app.next_jam().await;

    let html = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(
        html.contains("1:00 PM – 2:00 PM London time (GMT)"),
        "the series' own zone by name:\n{html}"
    );
    assert!(!html.contains(" PT · "), "no US list for a London series");
}

#[tokio::test]
async fn the_organizer_page_says_which_zone_registration_times_are_in() {
    let app = november().await;
    let session = app.next_jam().await;
    app.register_ok(session, "ada@example.org").await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;

    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();

    assert!(
        html.contains("Nov 2, 2026 7:00 AM EST"),
        "a registration's time names its zone:\n{html}"
    );
}
