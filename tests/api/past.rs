//! The Past Jams page: ended sessions with published materials, newest
//! first; filtered by lever and year, searched over titles, descriptions
//! and presenters; paged; and the session page's recording and slides.

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::{json, Value};

use crate::archive::{add, fixture};
use crate::helpers::{create_user, send, token, TestApp};

async fn call(app: &TestApp, t: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let (status, body) = send(app, method, path, Some(t), Some(body)).await;
    assert!(status < 300, "{path}: {status} {body}");
    body
}

/// A published recording link on `session`.
async fn publish_link(app: &TestApp, t: &str, session: i64) {
    let (status, body) = add(
        app,
        t,
        session,
        &[
            ("kind", "recording"),
            ("url", &format!("https://vimeo.com/{session}")),
            ("published", "true"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Confirms `name` as a presenter of `session`, as the presenter does: the
/// invitation's accept link, then its button.
async fn confirm_presenter(app: &TestApp, t: &str, session: i64, name: &str, email: &str) {
    call(
        app,
        t,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        json!({ "name": name, "email": email, "role": "presenter", "talk_title": "Pipelines", "invite": true }),
    )
    .await;
    let invitation = app.smtp.wait_for(email, 1).await.remove(0);
    let at = invitation.text.find("/present/").expect("an accept link");
    let token: String = invitation.text[at + 9..].chars().take(40).collect();
    let answered = app
        .post_form(&format!("/present/{token}/accept"), &[])
        .await;
    assert_eq!(answered.status().as_u16(), 200);
}

/// The titles on a `/past` page, in order.
async fn titles(app: &TestApp, path: &str) -> Vec<String> {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let html = response.text().await.unwrap();
    html.split("<article class=\"past-session\">")
        .skip(1)
        .map(|a| {
            let start = a.find("\">").unwrap() + 2;
            a[start..a.find("</a></h2>").unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn past_sessions_are_listed_newest_first_filtered_searched_and_paged() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let jams: Vec<(i64, DateTime<Utc>)> = app
        .sessions()
        .await
        .iter()
        .filter(|s| s["series"] == "jam")
        .map(|s| {
            (
                s["id"].as_i64().unwrap(),
                s["starts_at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let ((peers, _), (rural, _), (hidden, _)) = (jams[0], jams[1], jams[2]);
    let retitle = |id: i64, title: &'static str, description: &'static str| {
        let (app, t) = (&app, &t);
        async move {
            call(
                app,
                t,
                reqwest::Method::PATCH,
                &format!("/api/v1/organizer/sessions/{id}"),
                json!({ "title": title, "description": description }),
            )
            .await
        }
    };
    retitle(
        peers,
        "Paying peers through Medicaid",
        "State plan amendments",
    )
    .await;
    retitle(
        rural,
        "Rural pipelines",
        "Community colleges and apprenticeships",
    )
    .await;
    retitle(hidden, "Not yet published", "Slides still in review").await;
    call(
        &app,
        &t,
        reqwest::Method::PUT,
        &format!("/api/v1/organizer/sessions/{peers}/levers"),
        json!({ "levers": ["payment"] }),
    )
    .await;
    confirm_presenter(&app, &t, rural, "Grace Okafor", "grace@example.org").await;
    let (status, _) = add(
        &app,
        &t,
        peers,
        &[
            ("kind", "slides"),
            ("title", "Billing for peers"),
            ("published", "true"),
        ],
        Some(("peers.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201);
    publish_link(&app, &t, peers).await;
    publish_link(&app, &t, rural).await;
    let (status, _) = add(
        &app,
        &t,
        hidden,
        &[("kind", "slides")],
        Some(("draft.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        titles(&app, "/past").await.is_empty(),
        "nothing has taken place yet"
    );

    // Every Jam of the horizon takes place.
    let (_, last_start) = *jams.last().unwrap();
    app.clock.set(last_start + Duration::days(1));
    assert_eq!(
        titles(&app, "/past").await,
        ["Rural pipelines", "Paying peers through Medicaid"],
        "newest first; one with nothing published is not shown"
    );
    assert_eq!(titles(&app, "/past/jam").await, titles(&app, "/past").await);
    assert_eq!(
        titles(&app, "/past?lever=payment").await,
        ["Paying peers through Medicaid"]
    );
    assert_eq!(
        titles(&app, "/past?q=OKAFOR").await,
        ["Rural pipelines"],
        "a presenter's name, any case"
    );
    assert_eq!(
        titles(&app, "/past?q=apprentice").await,
        ["Rural pipelines"],
        "the description"
    );
    assert_eq!(
        titles(&app, "/past?q=100%25").await,
        Vec::<String>::new(),
        "% is a character"
    );
    let year = jams[1].1.format("%Y").to_string();
    let in_year = titles(&app, &format!("/past?year={year}")).await;
    assert!(
        in_year.contains(&"Rural pipelines".to_string()),
        "{in_year:?}"
    );
    let other_year = titles(&app, "/past?year=1999").await;
    assert!(other_year.is_empty(), "{other_year:?}");

    let html = app.get("/past").await.text().await.unwrap();
    assert!(html.contains("Presenters: Grace Okafor"), "{html}");
    assert!(html.contains("<span class=\"tag lever\">Payment</span>"));
    assert!(html.contains("Watch: Recording</a>") && html.contains("on Vimeo"));
    assert!(html.contains("Slides: Billing for peers</a>") && html.contains("PDF, 628 bytes"));

    // The session page has them too.
    let page = app
        .get(&format!("/sessions/{peers}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h2>Recording and slides</h2>") && page.contains("Billing for peers"));
    let unpublished = app
        .get(&format!("/sessions/{hidden}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !unpublished.contains("Recording and slides"),
        "nothing published: no section"
    );

    // More than a page: the rest of the horizon gets recordings, and
    // one-off sessions make eleven (a token for each moment of the clock).
    let t = token(&app, "org@example.org").await;
    for (id, _) in &jams[3..] {
        publish_link(&app, &t, *id).await;
    }
    let mut total = 2 + jams.len() - 3;
    app.clock.set(Utc::now());
    let t = token(&app, "org@example.org").await;
    while total < 11 {
        let start = last_start + Duration::days(2 + total as i64);
        let created = call(
            &app,
            &t,
            reqwest::Method::POST,
            "/api/v1/organizer/sessions",
            json!({ "series": "jam", "start": start.to_rfc3339(), "title": format!("Special {total}") }),
        )
        .await;
        publish_link(&app, &t, created["session"]["id"].as_i64().unwrap()).await;
        total += 1;
    }
    app.clock.set(last_start + Duration::days(30));
    let first = app.get("/past").await.text().await.unwrap();
    assert!(
        first.contains("11 session(s).") && first.contains("Page 1 of 2."),
        "{first}"
    );
    // Handlebars writes `=` in an attribute as `&#x3D;`, which browsers read back.
    assert!(
        first.contains("href=\"/past?page&#x3D;2\" rel=\"next\">Older</a>"),
        "{first}"
    );
    assert_eq!(titles(&app, "/past").await.len(), 10);
    let second = titles(&app, "/past?page=2").await;
    assert_eq!(second, ["Paying peers through Medicaid"], "the oldest last");
    let filtered = app
        .get("/past?lever=payment&page=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(!filtered.contains("rel=\"next\""), "one page of one");
}

#[tokio::test]
async fn the_home_page_links_past_sessions_and_unknown_series_are_404() {
    let app = TestApp::spawn().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/past\""), "{home}");
    assert_eq!(app.get("/past/nope").await.status().as_u16(), 404);
    assert_eq!(
        app.get("/past/echo").await.status().as_u16(),
        404,
        "the ECHO has none"
    );
    let empty = app.get("/past").await.text().await.unwrap();
    assert!(empty.contains("No recordings or slides have been published yet."));
}
