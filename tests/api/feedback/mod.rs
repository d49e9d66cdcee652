//! Feedback after each session: "what came of it", asked once
//! `evaluation.follow_up_days` after the session of those who said they
//! would take something back (never the anonymous, those who did not, or
//! the erased), answered on their manage link's page; and the reports
//! (`report.rs`). Evaluations of known content are written by `seed`;
//! `evaluations::whole` takes the same path through the forms.

mod report;
mod seed;

use chrono::{Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::json;

use crate::helpers::{create_user, send, token, TestApp};
use seed::{evaluate, jams, questions, registration, since, tick};

#[tokio::test]
async fn those_who_took_something_back_are_asked_once_what_came_of_it() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    let (session, ends) = jams(&app, 1).await[0];
    let q = questions(&app);
    let jane = app.register_ok(session, "jane@example.org").await;
    let sam = app.register_ok(session, "sam@example.org").await;
    app.register_ok(session, "erin@example.org").await;
    let said = |text| vec![(q.rating, "5"), (q.take_back, text), (q.lever, "Payment")];
    let jane_eval = evaluate(
        &app,
        session,
        Some(registration(&app, session, "jane@example.org")),
        true,
        &said("Peer support roles in our clinics"),
    );
    let sam_eval = evaluate(
        &app,
        session,
        Some(registration(&app, session, "sam@example.org")),
        false,
        &[(q.rating, "3")],
    );
    let anonymous = evaluate(&app, session, None, true, &said("Something anonymous"));
    let erin_eval = evaluate(
        &app,
        session,
        Some(registration(&app, session, "erin@example.org")),
        true,
        &said("Something erased"),
    );
    create_user(&app, "admin@example.org", Role::Admin);
    let admin = token(&app, "admin@example.org").await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&admin),
        Some(json!({ "email": "erin@example.org" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    app.clock.set(ends + Duration::days(89));
    assert_eq!(tick(&app).await.since_asked, 0, "not before 90 days");
    app.clock
        .set(ends + Duration::days(90) + Duration::minutes(1));
    assert_eq!(tick(&app).await.since_asked, 1, "jane only");
    assert_eq!(tick(&app).await.since_asked, 0, "never twice");
    let queued: Vec<(String, String)> = app
        .outbox("evaluation:")
        .into_iter()
        .map(|(key, to, _)| (key, to))
        .collect();
    assert_eq!(
        queued,
        [(
            format!("evaluation:{jane_eval}:since"),
            "jane@example.org".to_string()
        )],
        "one message, to jane"
    );
    assert!(since(&app, jane_eval).0.is_some(), "marked as asked");
    for (who, id) in [
        ("sam", sam_eval),
        ("anonymous", anonymous),
        ("erin", erin_eval),
    ] {
        assert!(since(&app, id).0.is_none(), "{who} is never asked");
    }

    let mail = seed::mail_titled(
        &app,
        "jane@example.org",
        "Workforce Solutions Jam: what came of it?",
    )
    .await;
    assert!(
        mail.text.contains("90 days ago")
            && mail.text.contains("«Peer support roles in our clinics»"),
        "{}",
        mail.text
    );
    let link = mail.link("http://convene.test/r/").expect("a link");
    assert_eq!(link, format!("{jane}/since"), "the manage link's page");
    assert!(mail
        .html
        .contains(&format!("http://convene.test{jane}/since")));
    // Sam was not asked: his link has no such page.
    let response = app.get(&format!("{sam}/since")).await;
    assert_eq!(response.status().as_u16(), 404);

    let response = app.get(&link).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("Peer support roles in our clinics"), "{html}");
    assert!(
        html.contains(r#"name="acted_on" type="radio" value="yes" required"#),
        "yes or no is required: {html}"
    );
    assert!(!html.contains(r#"name="changed" required"#));
    assert!(!html.contains(r#"name="lever" type="checkbox" value="payment" required"#));

    let response = app
        .post_form(&link, &[("lever", "payment"), ("changed", "x")])
        .await;
    assert_eq!(response.status().as_u16(), 422, "yes or no is missing");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("autofocus") && html.contains(r##"href="#acted_on""##),
        "{html}"
    );
    assert!(html.contains("Say whether you acted on it"), "{html}");
    assert!(
        html.contains(r#"value="payment" checked"#),
        "what was posted stays"
    );
    assert!(since(&app, jane_eval).1.is_none(), "nothing stored");

    let response = app
        .post_form(&link, &[("acted_on", "yes"), ("lever", "vibes")])
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains(r##"href="#levers""##));

    let response = app
        .post_form(
            &link,
            &[
                ("acted_on", "yes"),
                ("lever", "technology"),
                ("lever", "payment"),
                ("changed", "We now bill for peer support."),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let thanks = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(thanks, format!("{jane}/since/thanks"));
    assert_eq!(app.get(&thanks).await.status().as_u16(), 200);
    let (asked, answered, acted_on, levers, changed) = since(&app, jane_eval);
    assert!(asked.is_some() && answered.is_some());
    assert_eq!(acted_on, Some(true));
    assert_eq!(levers, r#"["payment","technology"]"#);
    assert_eq!(changed, "We now bill for peer support.");

    // The page shows the answer; answering again replaces it.
    let html = app.get(&link).await.text().await.unwrap();
    assert!(html.contains("We now bill for peer support.") && html.contains("answered already"));
    let response = app
        .post_form(&link, &[("acted_on", "no"), ("lever", "payment")])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, _, acted_on, levers, changed) = since(&app, jane_eval);
    assert_eq!(
        (acted_on, levers.as_str(), changed.as_str()),
        (Some(false), "[]", "")
    );
    assert_eq!(
        app.outbox("evaluation:").len(),
        1,
        "answering sends nothing"
    );
}

#[tokio::test]
async fn follow_up_days_is_honoured_and_zero_never_asks() {
    for (days, asked_at) in [(30, Some(30)), (0, None)] {
        let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |s| {
            s.evaluation.follow_up_days = days;
        })
        .await;
        let (session, ends) = jams(&app, 1).await[0];
        let q = questions(&app);
        app.register_ok(session, "jane@example.org").await;
        let id = evaluate(
            &app,
            session,
            Some(registration(&app, session, "jane@example.org")),
            true,
            &[(q.take_back, "Supervision hours")],
        );
        app.clock.set(ends + Duration::days(29));
        assert_eq!(tick(&app).await.since_asked, 0, "{days}: too early");
        app.clock.set(ends + Duration::days(31));
        let expected = usize::from(asked_at.is_some());
        assert_eq!(tick(&app).await.since_asked, expected, "{days} days");
        app.clock.set(ends + Duration::days(400));
        assert_eq!(tick(&app).await.since_asked, 0, "{days}: once at most");
        assert_eq!(since(&app, id).0.is_some(), asked_at.is_some());
    }
}
