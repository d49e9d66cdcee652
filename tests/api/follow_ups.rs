//! The follow-up after a session: once its slides or recording are
//! published, or some time after it ends; attendees thanked, registered
//! no-shows told "sorry we missed you", both with the links and the next
//! session; once each; never for a cancelled session; and the optional
//! notice of materials published later.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use convene::jobs;
use serde_json::json;

use crate::archive::{add, fixture};
use crate::helpers::{create_user, send, token, with_conn, TestApp};

async fn tick(app: &TestApp) -> jobs::Tick {
    jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

/// The follow-up messages queued: (recipient, template), by recipient.
fn queued(app: &TestApp) -> Vec<(String, String)> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        use diesel::prelude::*;
        outbox
            .filter(template.eq_any(["session_follow_up", "session_materials"]))
            .order((recipient, id))
            .select((recipient, template))
            .load(c)
            .unwrap()
    })
}

/// Imports a plain list of who attended `session`.
async fn attended(app: &TestApp, t: &str, session: i64, emails: &[&str]) {
    let mut csv = String::from("Email,Minutes\n");
    for e in emails {
        csv.push_str(&format!("{e},50\n"));
    }
    let response = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/attendance/csv",
            app.address
        ))
        .bearer_auth(t)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

/// The next two Jams: (id, end) of the first, and the second's id.
async fn two_jams(app: &TestApp) -> ((i64, DateTime<Utc>), i64) {
    let jams: Vec<serde_json::Value> = app
        .sessions()
        .await
        .into_iter()
        .filter(|s| s["series"] == "jam")
        .collect();
    let end = jams[0]["ends_at"].as_str().unwrap().parse().unwrap();
    (
        (jams[0]["id"].as_i64().unwrap(), end),
        jams[1]["id"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn attendees_and_no_shows_get_their_own_follow_up_once_slides_are_out() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let ((session, ends), next) = two_jams(&app).await;
    for email in ["jane@example.org", "sam@example.org"] {
        app.register_ok(session, email).await;
    }
    let kim = app.register_ok(session, "kim@example.org").await;
    let cancelled = app.post_form(&format!("{kim}/cancel"), &[]).await;
    assert!(
        cancelled.status().is_redirection(),
        "{}",
        cancelled.status()
    );

    app.clock.set(ends + Duration::hours(1));
    let t = token(&app, "org@example.org").await;
    attended(
        &app,
        &t,
        session,
        &["jane@example.org", "walk.in@example.com"],
    )
    .await;
    assert_eq!(
        tick(&app).await.session_follow_ups,
        0,
        "nothing published yet"
    );

    let (status, body) = add(
        &app,
        &t,
        session,
        &[
            ("kind", "slides"),
            ("title", "The deck"),
            ("published", "true"),
        ],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let slides = body["material"]["id"].as_i64().unwrap();
    assert_eq!(tick(&app).await.session_follow_ups, 2, "one each, at once");
    assert_eq!(
        queued(&app),
        [
            (
                "jane@example.org".to_string(),
                "session_follow_up".to_string()
            ),
            (
                "sam@example.org".to_string(),
                "session_follow_up".to_string()
            ),
        ],
        "registered people only: not the cancelled one, not the walk-in"
    );

    let jane = app.smtp.wait_for("jane@example.org", 2).await.remove(1);
    assert_eq!(
        jane.subject,
        "Thank you for joining Workforce Solutions Jam"
    );
    assert!(
        jane.text
            .contains("Thank you for joining Workforce Solutions Jam on"),
        "{}",
        jane.text
    );
    let slides_url = format!("http://convene.test/materials/{slides}");
    let register_url = format!("http://convene.test/sessions/{next}");
    assert!(
        jane.text.contains(&slides_url) && jane.text.contains(&register_url),
        "the slides and the next session: {}",
        jane.text
    );
    assert!(jane.html.contains(&format!("href=\"{slides_url}\"")));
    let sam = app.smtp.wait_for("sam@example.org", 2).await.remove(1);
    assert_eq!(
        sam.subject,
        "Sorry we missed you at Workforce Solutions Jam"
    );
    assert!(
        sam.text.contains("You can catch up on what you missed:") && sam.text.contains(&slides_url)
    );

    // A recording later, more ticks, a restart: nothing more by default.
    let (status, _) = add(
        &app,
        &t,
        session,
        &[
            ("kind", "recording"),
            ("url", "https://vimeo.com/1"),
            ("published", "true"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 201);
    app.clock.advance(Duration::days(4));
    assert_eq!(tick(&app).await.session_follow_ups, 0);
    assert_eq!(queued(&app).len(), 2, "once each");
}

#[tokio::test]
async fn with_nothing_published_the_follow_up_goes_after_the_wait_and_the_materials_notice_later() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |s| {
        s.archive.follow_up_after_hours = 48;
        s.archive.new_materials_notice = true;
    })
    .await;
    create_user(&app, "org@example.org", Role::Organizer);
    let ((session, ends), _) = two_jams(&app).await;
    app.register_ok(session, "jane@example.org").await;

    app.clock.set(ends + Duration::hours(47));
    assert_eq!(tick(&app).await.session_follow_ups, 0, "not yet");
    app.clock.set(ends + Duration::hours(48));
    assert_eq!(tick(&app).await.session_follow_ups, 1, "the wait is over");
    let first = app.smtp.wait_for("jane@example.org", 2).await.remove(1);
    assert_eq!(
        first.subject, "Workforce Solutions Jam: thank you for registering",
        "no attendance recorded: no guess at whether she came"
    );
    assert!(
        first.text.contains("http://convene.test/past/jam"),
        "{}",
        first.text
    );
    assert_eq!(tick(&app).await.session_follow_ups, 0);

    let t = token(&app, "org@example.org").await;
    let (status, _) = add(
        &app,
        &t,
        session,
        &[
            ("kind", "recording"),
            ("url", "https://youtu.be/abc"),
            ("published", "true"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(tick(&app).await.session_follow_ups, 1, "the notice");
    assert_eq!(tick(&app).await.session_follow_ups, 0, "once");
    let notice = app.smtp.wait_for("jane@example.org", 3).await.remove(2);
    assert_eq!(
        notice.subject,
        "Workforce Solutions Jam: the recording and slides are ready"
    );
    assert!(
        notice.text.contains("https://youtu.be/abc"),
        "{}",
        notice.text
    );
}

#[tokio::test]
async fn a_cancelled_session_and_one_long_past_are_never_followed_up() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let ((session, ends), second) = two_jams(&app).await;
    app.register_ok(session, "jane@example.org").await;
    app.register_ok(second, "sam@example.org").await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/cancel"),
        Some(&t),
        Some(json!({ "reason": "A holiday week" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for id in [session, second] {
        let (status, _) = add(
            &app,
            &t,
            id,
            &[("kind", "slides"), ("published", "true")],
            Some(("deck.pdf", fixture("slides.pdf"))),
        )
        .await;
        assert_eq!(status, 201);
    }
    // The cancelled one is over, its slides out, well within the window.
    app.clock.set(ends + Duration::days(4));
    assert_eq!(tick(&app).await.session_follow_ups, 0, "cancelled: never");
    // The second ended more than two weeks before the scheduler saw it.
    let second_ends: DateTime<Utc> = app
        .sessions()
        .await
        .iter()
        .find(|s| s["id"] == second)
        .map(|s| s["ends_at"].as_str().unwrap().parse().unwrap())
        .unwrap();
    app.clock.set(second_ends + Duration::days(15));
    assert_eq!(tick(&app).await.session_follow_ups, 0, "too long ago");
    assert!(queued(&app).is_empty(), "{:?}", queued(&app));
}
