//! Forms as people use them: a sent form lands on its own page (303), so a
//! reload sends nothing twice; the form's address leads to the form; an
//! approved participant who applies again hears so by e-mail only; a
//! refused form puts the focus on its error summary; the site has an icon.

use reqwest::Method;
use serde_json::json;

use crate::echo::{application, application_ids, apply, echo_app};
use crate::helpers::{send, TestApp};

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn subscribe_and_interest_redirect_to_a_sent_page_that_names_no_address() {
    let app = TestApp::spawn().await;
    let subscribed = app
        .post_form(
            "/subscribe",
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", "ada@example.org"),
                ("list", "jam"),
            ],
        )
        .await;
    let interest = app
        .post_form(
            "/interest",
            &[
                ("first_name", "Mary"),
                ("last_name", "Seacole"),
                ("email", "mary@example.org"),
                ("organization", "Crimea Community Health"),
                ("sector", "provider"),
                ("state", "MD"),
                ("want", "list"),
            ],
        )
        .await;

    for (response, sent) in [
        (subscribed, "/subscribe/sent"),
        (interest, "/interest/sent"),
    ] {
        assert_eq!(response.status().as_u16(), 303, "{sent}: a redirect");
        assert_eq!(location(&response), sent);
        let page = app.get(sent).await;
        assert_eq!(page.status().as_u16(), 200, "{sent}");
        let html = page.text().await.unwrap();
        assert!(
            !html.contains("@example.org"),
            "{sent} names no address:\n{html}"
        );
    }
    app.smtp.wait_for("ada@example.org", 1).await;
}

#[tokio::test]
async fn the_apply_address_leads_to_the_form() {
    let (app, _) = echo_app(40).await;

    let response = app.get("/echo/cohort-3/apply").await;

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/echo/cohort-3#apply");
    let html = app.get("/echo/cohort-3").await.text().await.unwrap();
    assert!(html.contains(r#"<h2 id="apply">"#), "the form's anchor");
    assert_eq!(
        app.get("/echo/no-such-cohort/apply")
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn someone_approved_who_applies_again_is_told_by_email_only() {
    let (app, token) = echo_app(40).await;
    let first = apply(&app, &application("dorothea@example.org", "participant")).await;
    assert_eq!(first.status().as_u16(), 303);
    let id = application_ids(&app)[0];
    let (status, body) = send(
        &app,
        Method::POST,
        &format!("/api/v1/echo/applications/{id}/decision"),
        Some(&token),
        Some(json!({ "decision": "approved" })),
    )
    .await;
    assert_eq!(status, 200, "approval: {body}");
    let before = app.smtp.wait_for("dorothea@example.org", 2).await.len();

    let again = apply(&app, &application("dorothea@example.org", "observer")).await;

    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(
        location(&again),
        location(&first),
        "the page is the one everyone gets"
    );
    let html = app.get(&location(&again)).await.text().await.unwrap();
    assert!(
        !html.contains("already"),
        "the page says nothing of it:\n{html}"
    );
    let mail = app
        .smtp
        .wait_for("dorothea@example.org", before + 1)
        .await
        .pop()
        .unwrap();
    assert!(mail.subject.contains("already in"), "{}", mail.subject);
    assert!(
        mail.text.contains("http://convene.test/echo/link"),
        "points to where the page's link is sent again:\n{}",
        mail.text
    );
}

#[tokio::test]
async fn a_refused_registration_focuses_its_error_summary() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;

    let refused = app
        .post_form(&format!("/sessions/{session}/register"), &[("email", "x")])
        .await;

    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus>"#),
        "the summary takes the focus without script:\n{html}"
    );
}

#[tokio::test]
async fn the_site_has_an_icon() {
    let app = TestApp::spawn().await;

    let html = app.get("/").await.text().await.unwrap();
    let icon = app.get("/static/favicon.svg").await;

    assert!(html.contains(r#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#));
    assert_eq!(icon.status().as_u16(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn cancelling_asks_once_naming_the_day_then_says_what_happened() {
    let november = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 2, 12, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(convene::clock::Clock::manual(november), |_| {}).await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, "leaving@example.org").await;

    let page = app.get(&manage).await.text().await.unwrap();
    assert!(
        page.contains(&format!(r#"href="{manage}/cancel""#)),
        "the manage page leads to the question, it does not cancel at once:\n{page}"
    );
    let question = app.get(&format!("{manage}/cancel")).await;
    assert_eq!(question.status().as_u16(), 200);
    let question = question.text().await.unwrap();
    assert!(
        question.contains("Cancel your place on Tuesday 17 November?"),
        "{question}"
    );
    assert!(
        question.contains("<title>Cancel your place: Workforce Solutions Jam · convene</title>"),
        "the tab says what the page is"
    );
    assert!(
        page.contains("<title>Your registration: Workforce Solutions Jam · convene</title>"),
        "{page}"
    );
    assert!(question.contains(&format!(r#"<form method="post" action="{manage}/cancel">"#)));
    assert_eq!(
        app.registered_count(session).await,
        (1, 0),
        "asking changes nothing"
    );

    let done = app.post_form(&format!("{manage}/cancel"), &[]).await;

    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), manage);
    let after = app.get(&manage).await.text().await.unwrap();
    assert!(
        after.contains("Your place on Tuesday 17 November is <strong>cancelled</strong>"),
        "{after}"
    );
}
