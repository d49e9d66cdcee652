//! What the session is about, first: its topic is the page's <h1> and the
//! home card's heading; presenters with their talks, the levers (each
//! explained, each leading to past sessions on it), what it costs and how
//! long it lasts, and the Register button come before anything else; the
//! calendar feed's address comes after the form.

use convene::auth::Role;
use serde_json::json;

use crate::helpers::{create_user, send, token, TestApp};

/// The next Jam, retitled with a topic, tagged with a lever, and with one
/// confirmed presenter.
async fn a_jam_with_a_topic(app: &TestApp) -> i64 {
    create_user(app, "org@example.org", Role::Organizer);
    let t = token(app, "org@example.org").await;
    let session = app.next_jam().await;
    for (method, path, body) in [
        (
            reqwest::Method::PATCH,
            format!("/api/v1/organizer/sessions/{session}"),
            json!({ "title": "Paying peer specialists fairly" }),
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/organizer/sessions/{session}/levers"),
            json!({ "levers": ["payment"] }),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/organizer/sessions/{session}/lineup"),
            json!({ "name": "Grace Okafor", "email": "grace@example.org", "role": "presenter",
                    "talk_title": "Billing codes that pay for peers", "bio": "Runs a peer program.",
                    "invite": true }),
        ),
    ] {
        let (status, body) = send(app, method, &path, Some(&t), Some(body)).await;
        assert!(status < 300, "{path}: {status} {body}");
    }
    let invitation = app.smtp.wait_for("grace@example.org", 1).await.remove(0);
    let at = invitation.text.find("/present/").expect("an accept link");
    let link: String = invitation.text[at + 9..].chars().take(40).collect();
    let answered = app.post_form(&format!("/present/{link}/accept"), &[]).await;
    assert_eq!(answered.status().as_u16(), 200, "the presenter accepts");
    session
}

/// Where `needle` first appears in `html`, or a failure naming it.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is on the page:\n{html}"))
}

#[tokio::test]
async fn the_session_page_opens_with_the_topic_presenters_levers_facts_and_register() {
    let app = TestApp::spawn().await;
    let session = a_jam_with_a_topic(&app).await;

    let html = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(
        html.contains("<h1>Paying peer specialists fairly</h1>"),
        "the topic is the <h1>:\n{html}"
    );
    assert!(html.contains(r#"<p class="kicker">Workforce Solutions Jam</p>"#));
    let order = [
        "<h1>",
        "Eastern Time",
        "Free · online · 60 minutes",
        r##"<a class="button" href="#register">Register</a>"##,
        "Grace Okafor</strong>: Billing codes that pay for peers",
        r#"<details class="lever"><summary>Payment</summary>"#,
        "About the presenters",
        r#"<h2 id="register">Register</h2>"#,
        "</form>",
        "Add all Workforce Solutions Jam sessions to your calendar",
        r#"<code class="feed-url">"#,
    ];
    let places: Vec<usize> = order.iter().map(|n| at(&html, n)).collect();
    for (pair, place) in order.windows(2).zip(places.windows(2)) {
        assert!(
            place[0] < place[1],
            "`{}` comes before `{}`",
            pair[0],
            pair[1]
        );
    }
    assert!(
        html.contains(r#"<a href="/past?lever=payment">"#),
        "the lever leads to past sessions on it"
    );
    assert!(
        html.contains("How the work is paid for"),
        "the lever is explained without script"
    );
}

#[tokio::test]
async fn the_home_card_is_headed_by_the_next_sessions_topic() {
    let app = TestApp::spawn().await;
    let session = a_jam_with_a_topic(&app).await;

    let html = app.get("/").await.text().await.unwrap();

    assert!(
        html.contains(&format!(
            r#"<h2><a href="/sessions/{session}">Paying peer specialists fairly</a></h2>"#
        )),
        "the card's heading is the topic:\n{html}"
    );
    let places: Vec<usize> = [
        "Paying peer specialists fairly</a></h2>",
        "Free · online · 60 minutes",
        r#"class="button""#,
        r#"<code class="feed-url">"#,
    ]
    .iter()
    .map(|n| at(&html, n))
    .collect();
    assert!(
        places.windows(2).all(|w| w[0] < w[1]),
        "topic, facts, Register, then the feed: {places:?}"
    );
}
