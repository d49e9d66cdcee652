//! Applying to a cohort: approved applicants get the calendar and a magic
//! link, and applications only while the window is open.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::{application, application_ids, apply, call, echo_app, vevents};
use crate::helpers::Mail;

#[tokio::test]
async fn an_approved_applicant_gets_the_calendar_and_a_magic_link_to_their_page() {
    let (app, t) = echo_app(1).await;
    let page_html = app.get("/echo/cohort-3").await.text().await.unwrap();
    assert!(
        page_html.contains("Send my application"),
        "applications are open"
    );

    // Bad fields: a message per field, nothing written.
    let mut bad = application("not-an-address", "lurker");
    bad.retain(|(k, _)| *k != "hopes_to_learn");
    let refused = apply(&app, &bad).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Error: Cohort 3")
            && html.contains("href=\"#email\"")
            && html.contains("href=\"#role\"")
            && html.contains("href=\"#hopes_to_learn\""),
        "{html}"
    );
    assert!(application_ids(&app).is_empty());

    let sent = apply(&app, &application("dorothea@example.org", "participant")).await;
    assert_eq!(sent.status().as_u16(), 303);
    let thanks = sent.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(thanks, "/echo/cohort-3/applied");
    let receipt = app.smtp.wait_for("dorothea@example.org", 1).await.remove(0);
    assert!(
        receipt
            .subject
            .contains("We received your application to Cohort 3"),
        "{}",
        receipt.subject
    );
    let again = apply(&app, &application("dorothea@example.org", "observer")).await;
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        thanks,
        "applying again lands where a first application does: a stranger learns nothing"
    );
    assert_eq!(
        application_ids(&app).len(),
        1,
        "one application per person and cohort"
    );
    apply(&app, &application("clara@example.org", "observer")).await;

    let (status, list) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3/applications?status=pending",
        &t,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["applications"].as_array().unwrap().len(), 2);
    assert_eq!(list["applications"][0]["role"], "participant");
    assert!(list["applications"][0].get("access_token").is_none());
    let ids = application_ids(&app);

    let decide = |id: i64, body: Value| {
        let (app, t) = (&app, t.clone());
        async move {
            call(
                app,
                reqwest::Method::POST,
                &format!("/api/v1/echo/applications/{id}/decision"),
                &t,
                Some(body),
            )
            .await
        }
    };
    let (status, body) = decide(ids[0], json!({ "decision": "maybe" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = decide(
        ids[0],
        json!({ "decision": "approved", "message": "Glad to have you." }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");
    let (status, body) = decide(ids[1], json!({ "decision": "approved" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("cohort_full"))
    );
    let (status, _) = decide(
        ids[1],
        json!({ "decision": "waitlisted", "message": "We'll know by November." }),
    )
    .await;
    assert_eq!(status, 200);
    let waitlisted = app.smtp.wait_for("clara@example.org", 2).await.remove(1);
    assert!(waitlisted.text.contains("We'll know by November."));
    let (status, body) = decide(ids[0], json!({ "decision": "declined" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_decided"))
    );

    let welcome: Mail = app.smtp.wait_for("dorothea@example.org", 2).await.remove(1);
    assert!(
        welcome.subject.starts_with("Welcome to Cohort 3"),
        "{}",
        welcome.subject
    );
    assert!(welcome.text.contains("Glad to have you."));
    for (part, body) in [("text", &welcome.text), ("html", &welcome.html)] {
        assert!(
            body.contains("3:00 PM – 4:00 PM Eastern Time (12:00 PM PT · 1:00 PM MT · 2:00 PM CT)"),
            "the {part} part gives each session's time in the other US zones:\n{body}"
        );
    }
    let (method, ics) = welcome.calendar.clone().expect("the cohort's calendar");
    assert_eq!(method, "PUBLISH");
    assert_eq!(vevents(&ics), 6, "every session in one file");
    let parsed: icalendar::Calendar = ics.parse().expect("calendar programs can read it");
    let events = parsed
        .components
        .iter()
        .filter(|c| c.as_event().is_some())
        .count();
    assert_eq!(events, 6, "six VEVENTs as a calendar program reads them");
    let link = welcome
        .link("http://convene.test/echo/p/")
        .expect("the magic link");
    let path = link.trim_start_matches("http://convene.test").to_string();

    let mine = app.get(&path).await;
    assert_eq!(mine.status().as_u16(), 200);
    assert_eq!(mine.headers()["cache-control"], "no-store");
    let html = mine.text().await.unwrap();
    assert!(
        html.contains("Welcome, Dorothea") && html.contains("a participant who presents a case"),
        "{html}"
    );
    assert_eq!(
        html.matches("https://zoom.us/j/00000000001").count(),
        6,
        "a join link per session"
    );

    let feed = app.get(&format!("{path}/calendar.ics")).await;
    assert_eq!(feed.status().as_u16(), 200);
    assert!(feed.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
    let body = feed.text().await.unwrap();
    assert_eq!(vevents(&body), 6);
    assert!(body.contains("X-WR-CALNAME:Cohort 3"));

    // Someone else's (or a made-up) link shows nothing.
    assert_eq!(
        app.get("/echo/p/0123456789abcdef0123456789abcdef01234567")
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(app.get("/echo/p/short").await.status().as_u16(), 404);
}

#[tokio::test]
async fn applications_are_taken_only_while_the_window_is_open() {
    let (app, _) = echo_app(40).await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap());
    let html = app.get("/echo/cohort-3").await.text().await.unwrap();
    assert!(!html.contains("Send my application"));
    let late = apply(&app, &application("late@example.org", "observer")).await;
    assert_eq!(late.status().as_u16(), 409);
    assert!(application_ids(&app).is_empty());
}
