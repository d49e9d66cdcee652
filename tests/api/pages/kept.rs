//! The listing and a session's page, kept rendered a moment for anonymous
//! visitors (`http.page_cache_ms`): each carries a strong ETag and a 304
//! answers a visitor who has it; a change this instance writes shows on the
//! very next request; a signed-in organizer's request never takes or leaves
//! a kept page, nor does an invitation's personal form.

use convene::auth::Role;
use serde_json::json;

use crate::helpers::{create_user, page, send, sign_in, token, TestApp};

async fn etag_of(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    assert_eq!(
        response.headers()["cache-control"],
        "no-cache",
        "GET {path}: caches must ask again before reusing it"
    );
    response
        .headers()
        .get("etag")
        .unwrap_or_else(|| panic!("GET {path} carries an ETag"))
        .to_str()
        .unwrap()
        .to_string()
}

async fn with_if_none_match(app: &TestApp, path: &str, etag: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_listing_and_a_session_page_answer_304_to_a_visitor_who_has_them() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    for path in ["/".to_string(), format!("/sessions/{session}")] {
        let etag = etag_of(&app, &path).await;
        assert!(!etag.starts_with("W/"), "{path}: a strong ETag, got {etag}");
        assert_eq!(
            etag_of(&app, &path).await,
            etag,
            "{path}: the same page, the same tag"
        );

        let again = with_if_none_match(&app, &path, &etag).await;
        assert_eq!(again.status().as_u16(), 304, "{path} with its own ETag");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag, "{path}");
        assert_eq!(again.headers()["cache-control"], "no-cache", "{path}");
        assert!(
            again.bytes().await.unwrap().is_empty(),
            "{path}: a 304 has no body"
        );

        let stale = with_if_none_match(&app, &path, "\"0000000000000000\"").await;
        assert_eq!(stale.status().as_u16(), 200, "{path} with another ETag");
        assert!(
            stale.text().await.unwrap().contains("</html>"),
            "{path}: the whole page for a visitor with an old one"
        );
    }
}

#[tokio::test]
async fn the_registration_that_fills_a_session_shows_on_the_next_request() {
    let app = TestApp::spawn_with(|s| s.series.get_mut("jam").unwrap().capacity = 1).await;
    let session = app.next_jam().await;
    let path = format!("/sessions/{session}");
    let before = app.get(&path).await.text().await.unwrap();
    let listing_before = app.get("/").await.text().await.unwrap();
    let etag = etag_of(&app, &path).await;
    assert!(
        !before.contains("Join the waitlist") && !listing_before.contains("join the waitlist"),
        "one place left: nothing says full yet"
    );

    app.register_ok(session, "first@example.org").await;

    let after = with_if_none_match(&app, &path, &etag).await;
    assert_eq!(
        after.status().as_u16(),
        200,
        "the page changed: not a 304 for the tag of the page before"
    );
    assert!(
        after.text().await.unwrap().contains("Join the waitlist"),
        "the session page says it is full right after the registration that filled it"
    );
    assert!(
        app.get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Full — join the waitlist"),
        "the listing says so too"
    );
}

#[tokio::test]
async fn an_organizers_new_topic_shows_on_the_next_request() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let path = format!("/sessions/{session}");
    for p in ["/", path.as_str()] {
        let html = app.get(p).await.text().await.unwrap();
        assert!(
            !html.contains("Paying peer specialists fairly"),
            "{p}: the old topic"
        );
    }

    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/sessions/{session}"),
        Some(&t),
        Some(json!({ "title": "Paying peer specialists fairly" })),
    )
    .await;
    assert!(status < 300, "the topic is changed: {status} {body}");

    for p in ["/", path.as_str()] {
        let html = app.get(p).await.text().await.unwrap();
        assert!(
            html.contains("Paying peer specialists fairly"),
            "{p} shows the new topic on the next request"
        );
    }
}

#[tokio::test]
async fn a_signed_in_request_neither_takes_nor_leaves_a_kept_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    for path in ["/".to_string(), format!("/sessions/{session}")] {
        // An anonymous visit keeps the page; the organizer's is rendered
        // for them, and an anonymous visit after it still gets the kept one.
        let anonymous = etag_of(&app, &path).await;
        let signed_in = page(&app, &path, &cookie).await;
        assert_eq!(signed_in.status().as_u16(), 200, "{path} signed in");
        assert!(
            signed_in.headers().get("etag").is_none(),
            "{path}: a signed-in request is not answered from the kept page"
        );
        assert!(
            signed_in.headers().get("cache-control").is_none(),
            "{path}: nor marked as the page every visitor shares"
        );
        assert_eq!(
            etag_of(&app, &path).await,
            anonymous,
            "{path}: the organizer's request left the anonymous page as it was"
        );
        let html = app.get(&path).await.text().await.unwrap();
        for personal in ["csrf", "org@example.org", "Sign out", "/organizer"] {
            assert!(
                !html.contains(personal),
                "{path}: an anonymous visitor sees nothing of a signed-in one ({personal})"
            );
        }
    }
}

#[tokio::test]
async fn an_invitations_filled_in_form_is_never_kept_for_others() {
    let app = TestApp::spawn().await;
    app.subscribe_confirmed("invited@example.org", &["jam"])
        .await;
    let token: String = {
        use convene::db::schema::subscriptions::dsl::*;
        use diesel::prelude::*;
        crate::helpers::with_conn(&app.pool, |conn| {
            subscriptions
                .select(token_sealed)
                .first::<Option<String>>(conn)
                .unwrap()
                .expect("a sealed subscription link")
        })
    };
    let token = crate::helpers::open_link(&app, &token);
    let session = app.next_jam().await;
    let path = format!("/sessions/{session}");
    let _kept = etag_of(&app, &path).await;

    let invited = app.get(&format!("{path}?invite={token}")).await;
    assert_eq!(invited.headers()["cache-control"], "no-store");
    assert!(
        invited.headers().get("etag").is_none(),
        "not the shared page"
    );
    assert!(
        invited
            .text()
            .await
            .unwrap()
            .contains("invited@example.org"),
        "the invited subscriber's form is filled in"
    );

    let anonymous = app.get(&path).await.text().await.unwrap();
    assert!(
        !anonymous.contains("invited@example.org"),
        "another visitor never sees the invited subscriber's address"
    );
}
