//! Materials managed through the API and the session page, and an ECHO
//! cohort's materials kept for its participants.

use convene::auth::Role;

use super::{add, fixture, kept_files, organizer};
use crate::helpers::{create_user, send, sign_in, token, TestApp};

#[tokio::test]
async fn fields_are_checked_roles_enforced_and_removal_frees_the_file() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let facilitator = token(&app, "hub@example.org").await;
    let session = app.next_jam().await;

    let (status, body) = add(&app, &t, session, &[("kind", "poster")], None).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["kind"].is_string() && body["error"]["fields"]["file"].is_string(),
        "{body}"
    );
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides"), ("url", "https://example.org/deck")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 422, "a file and a link: {body}");
    let (status, body) = add(
        &app,
        &t,
        session,
        &[("kind", "recording"), ("url", "javascript:alert(1)")],
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["url"].is_string());

    let (status, _) = add(
        &app,
        &facilitator,
        session,
        &[("kind", "slides")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(
        status, 403,
        "facilitators keep their cohorts' materials, not the Jam's"
    );
    let (status, _) = add(&app, &t, 999_999, &[("kind", "slides")], None).await;
    assert_eq!(status, 404);
    let many: Vec<(String, String)> = (0..65).map(|i| (format!("f{i}"), "x".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = add(&app, &t, session, &many, None).await;
    assert_eq!(status, 422, "a form of endless fields is refused: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many fields"),
        "{body}"
    );

    let (_, body) = add(
        &app,
        &t,
        session,
        &[("kind", "slides")],
        Some(("deck.pdf", fixture("slides.pdf"))),
    )
    .await;
    let id = body["material"]["id"].as_i64().unwrap();
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/materials/{id}"),
        Some(&t),
        Some(serde_json::json!({ "kind": "recording" })),
    )
    .await;
    assert_eq!(status, 422, "a PDF cannot become a recording: {body}");
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/materials/{id}"),
        Some(&facilitator),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/materials/{id}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(kept_files(&app).is_empty(), "its file went with it");
    let audited: Vec<String> = crate::helpers::with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(action.like("material.%"))
            .order(id.asc())
            .select(action)
            .load(c)
            .unwrap()
    });
    assert_eq!(audited, ["material.added", "material.removed"]);
}

/// Posts the session page's materials form as a browser does.
async fn add_on_page(
    app: &TestApp,
    cookie: &str,
    session: i64,
    csrf: &str,
    kind: &str,
    file: (&str, Vec<u8>),
) -> reqwest::Response {
    crate::helpers::post_multipart(
        app,
        &format!("/organizer/sessions/{session}/materials"),
        cookie,
        &[("csrf", csrf), ("kind", kind), ("title", ""), ("url", "")],
        file,
    )
    .await
}

#[tokio::test]
async fn the_session_page_adds_publishes_and_removes_materials() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let page = format!("/organizer/sessions/{session}");
    let html = crate::helpers::page(&app, &page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_of(&html);
    assert!(html.contains("No slides, recording or other materials yet."));

    let forged = add_on_page(
        &app,
        &cookie,
        session,
        "forged",
        "slides",
        ("deck.pdf", fixture("slides.pdf")),
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    assert!(
        kept_files(&app).is_empty(),
        "nothing kept for a forged form"
    );
    let refused = add_on_page(
        &app,
        &cookie,
        session,
        &csrf,
        "recording",
        ("deck.pdf", fixture("slides.pdf")),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 415);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("This is a PDF, not recording."));

    let added = add_on_page(
        &app,
        &cookie,
        session,
        &csrf,
        "slides",
        ("Our deck.pdf", fixture("slides.pdf")),
    )
    .await;
    assert_eq!(added.status().as_u16(), 303);
    assert_eq!(added.headers()["location"], format!("{page}#materials"));
    let html = crate::helpers::page(&app, &page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong>Slides</strong>: <a href=\"/organizer/materials/")
            && html.contains("Our deck.pdf, 628 bytes")
            && html.contains("not published"),
        "{html}"
    );
    let (_, listed) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{session}/materials"),
        Some(&token(&app, "org@example.org").await),
        None,
    )
    .await;
    let id = listed["materials"][0]["id"].as_i64().unwrap();

    let post = |path: String| {
        let (app, cookie, csrf) = (&app, &cookie, &csrf);
        async move { crate::helpers::post_page(app, &path, cookie, &[("csrf", csrf)]).await }
    };
    for (action, public) in [("publish", 200), ("unpublish", 404), ("remove", 404)] {
        let done = post(format!("/organizer/materials/{id}/{action}")).await;
        assert_eq!(done.status().as_u16(), 303, "{action}");
        let download = app.get(&format!("/materials/{id}")).await;
        assert_eq!(download.status().as_u16(), public, "after {action}");
    }
    assert!(kept_files(&app).is_empty(), "removed with its file");
    assert_eq!(
        crate::helpers::page(&app, &format!("/organizer/materials/{id}"), &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn an_echo_cohorts_materials_are_for_its_participants_only() {
    use crate::echo::{application, cohort_3, echo_app, participant_page};
    let (app, hub) = echo_app(40).await;
    // A second cohort, with the same dates.
    let mut cohort_4 = cohort_3(40);
    cohort_4["slug"] = "cohort-4".into();
    cohort_4["name"] = "Cohort 4".into();
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        Some(&hub),
        Some(cohort_4),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    for (cohort, email) in [
        ("cohort-3", "ada@example.org"),
        ("cohort-4", "ben@example.org"),
    ] {
        let applied = app
            .client
            .post(format!("{}/echo/{cohort}/apply", app.address))
            .form(&application(email, "participant"))
            .send()
            .await
            .unwrap();
        assert_eq!(applied.status().as_u16(), 303, "{email}");
    }
    for id in crate::echo::application_ids(&app) {
        let (status, body) = send(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/echo/applications/{id}/decision"),
            Some(&hub),
            Some(serde_json::json!({ "decision": "approved" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, cohort) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&hub),
        None,
    )
    .await;
    let first = &cohort["sessions"][0];
    let session = first["id"].as_i64().unwrap();

    // The hub's facilitator keeps the cohort's materials.
    let (status, body) = add(
        &app,
        &hub,
        session,
        &[
            ("kind", "slides"),
            ("title", "Didactic: peer supervision"),
            ("published", "true"),
        ],
        Some(("didactic.pdf", fixture("slides.pdf"))),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let shared = body["material"]["id"].as_i64().unwrap();
    let (_, body) = add(
        &app,
        &hub,
        session,
        &[("kind", "chat")],
        Some(("chat.txt", fixture("chat.txt"))),
    )
    .await;
    let draft = body["material"]["id"].as_i64().unwrap();

    let ada = participant_page(&app, "ada@example.org");
    let ben = participant_page(&app, "ben@example.org");
    let html = app.get(&ada).await.text().await.unwrap();
    let own_link = format!("{ada}/materials/{shared}");
    assert!(
        html.contains(&format!("href=\"{own_link}\""))
            && html.contains("Didactic: peer supervision"),
        "the cohort's participant sees it on her page: {html}"
    );
    assert!(!html.contains("Chat log"), "not what is unpublished");
    let download = app.get(&own_link).await;
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(download.headers()["cache-control"], "private, no-store");
    assert_eq!(download.bytes().await.unwrap(), fixture("slides.pdf"));
    for (path, why) in [
        (format!("{ada}/materials/{draft}"), "unpublished"),
        (
            format!("{ben}/materials/{shared}"),
            "another cohort's participant",
        ),
        (format!("/materials/{shared}"), "the public"),
    ] {
        assert_eq!(app.get(&path).await.status().as_u16(), 404, "{why}: {path}");
    }
    let bens_page = app.get(&ben).await.text().await.unwrap();
    assert!(
        !bens_page.contains("Didactic: peer supervision"),
        "{bens_page}"
    );

    // Once held, it is still never on the Past Jams page.
    let ends: chrono::DateTime<chrono::Utc> = first["ends_at"].as_str().unwrap().parse().unwrap();
    app.clock.set(ends + chrono::Duration::days(2));
    let past = app.get("/past").await.text().await.unwrap();
    assert!(!past.contains("Didactic: peer supervision"), "{past}");
}
