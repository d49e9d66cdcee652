//! Reports imported through the API, the command line and the session page:
//! matched, merged, replaced, refused whole, and marked by hand.

use convene::auth::Role;
use serde_json::Value;

use super::{csrf_of_page, fixture, row, rows, upload, upload_page};
use crate::helpers::{create_user, run_convene, send, token, TestApp};

#[tokio::test]
async fn a_zoom_report_is_matched_merged_replaced_and_refused_whole() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    app.register_ok(session, "jane.doe@example.org").await;
    app.register_ok(session, "sam.smith@example.org").await;

    let (status, done) = upload(&app, &t, session, "zoom", fixture("zoom_no_shows.csv")).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["people"].as_u64(),
            done["attended"].as_u64(),
            done["registered_here"].as_u64()
        ),
        (Some(4), Some(2), Some(1)),
        "{done}"
    );
    let all = rows(&app, &t, session).await;
    assert_eq!(all.len(), 4);
    let walk_in = row(&all, "walk.in@example.com");
    assert_eq!(
        (
            walk_in["attended"].as_bool(),
            walk_in["registered_here"].as_bool()
        ),
        (Some(true), Some(false)),
        "came without registering here"
    );
    assert_eq!(
        (&walk_in["first_name"], &walk_in["last_name"]),
        (&Value::from("Walk"), &Value::from("In")),
        "a new person takes the report's name"
    );
    let sam = row(&all, "sam.smith@example.org");
    assert_eq!(
        (
            sam["attended"].as_bool(),
            sam["minutes"].as_i64(),
            sam["registered_here"].as_bool()
        ),
        (Some(false), Some(0), Some(true)),
        "a no-show"
    );

    let (status, again) = upload(&app, &t, session, "zoom", fixture("zoom_no_shows.csv")).await;
    assert_eq!(status, 200);
    assert_eq!(again["unchanged"], true);
    assert_eq!(
        rows(&app, &t, session).await,
        all,
        "the same file changes nothing"
    );

    // A newer report replaces the earlier import's rows.
    let (status, newer) = upload(&app, &t, session, "zoom", fixture("zoom_rejoins.csv")).await;
    assert_eq!(status, 200, "{newer}");
    assert_eq!(newer["replaced"], 4);
    let all = rows(&app, &t, session).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let jane = row(&all, "jane.doe@example.org");
    assert_eq!(
        (jane["joins"].as_i64(), jane["minutes"].as_i64()),
        (Some(3), Some(64)),
        "three joins merged"
    );
    // 19:01:12 in New York on March 22, 2025 (EDT) is 23:01:12 UTC.
    assert_eq!(jane["first_join"], "2025-03-22T23:01:12");
    assert_eq!(jane["last_leave"], "2025-03-23T00:28:40");

    // A malformed file is refused whole, naming the line.
    let (status, body) = upload(&app, &t, session, "zoom", fixture("zoom_malformed.csv")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .starts_with("line 9:"),
        "{body}"
    );
    assert_eq!(rows(&app, &t, session).await, all, "nothing half-imported");
    let (status, body) = upload(&app, &t, session, "teams", fixture("zoom_rejoins.csv")).await;
    assert_eq!(status, 422, "a Zoom file sent as Teams: {body}");
}

#[tokio::test]
async fn teams_and_plain_lists_import_and_the_roles_are_checked() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    create_user(&app, "hub@example.org", Role::Facilitator);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let (status, done) = upload(&app, &t, session, "teams", fixture("teams_attendance.csv")).await;
    assert_eq!(status, 200, "{done}");
    assert!(done["attended"].as_u64().unwrap() > 0, "{done}");
    let (status, done) = upload(&app, &t, session, "csv", fixture("plain.csv")).await;
    assert_eq!(status, 200, "{done}");
    assert!(done["people"].as_u64().unwrap() > 0);

    let facilitator = token(&app, "hub@example.org").await;
    let (status, _) = upload(
        &app,
        &facilitator,
        session,
        "zoom",
        fixture("zoom_rejoins.csv"),
    )
    .await;
    assert_eq!(status, 403);
    let anonymous = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/attendance/zoom",
            app.address
        ))
        .body(fixture("zoom_rejoins.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let (status, _) = upload(&app, &t, 999_999, "zoom", fixture("zoom_rejoins.csv")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_cli_imports_a_report_and_refuses_a_malformed_one_whole() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let import = |name: &'static str, session: i64| {
        let app = &app;
        async move {
            let path = format!(
                "{}/tests/fixtures/attendance/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            let session = session.to_string();
            run_convene(app, &["import", "zoom", &path, "--session", &session], "").await
        }
    };
    let bad = import("zoom_malformed.csv", session).await;
    assert!(!bad.ok);
    assert!(bad.stderr.contains("line 9"), "{}", bad.stderr);
    let first = import("zoom_no_shows.csv", session).await;
    assert!(first.ok, "{}", first.stderr);
    assert!(
        first.stdout.contains("4 people from 4 row(s)")
            && first.stdout.contains("2 attended")
            && first.stdout.contains("Imported into session"),
        "{}",
        first.stdout
    );
    let again = import("zoom_no_shows.csv", session).await;
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
    assert_eq!(rows(&app, &t, session).await.len(), 4);
    let missing = import("zoom_no_shows.csv", 999_999).await;
    assert!(
        !missing.ok && missing.stderr.contains("no session 999999"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn attendance_is_marked_by_hand_with_a_reason_and_outlasts_a_new_import() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let path = format!("/api/v1/sessions/{session}/attendance/mark");
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(&t),
        Some(serde_json::json!({ "email": "nope", "reason": " " })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["email"].is_string()
            && body["error"]["fields"]["reason"].is_string(),
        "{body}"
    );
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(&t),
        Some(serde_json::json!({ "email": "jane.doe@example.org", "attended": false, "reason": "Zoom counted her twice; she left at once" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    upload(&app, &t, session, "zoom", fixture("zoom_rejoins.csv")).await;
    let all = rows(&app, &t, session).await;
    let jane = row(&all, "jane.doe@example.org");
    assert_eq!(
        jane["attended"], false,
        "the hand-marked row outlasts the import: {all:?}"
    );
    assert_eq!(row(&all, "ravi.kumar@example.com")["attended"], true);
    let audited: i64 = crate::helpers::with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(action.eq("attendance.mark"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn the_session_page_uploads_a_report_and_marks_a_check_in() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = crate::helpers::sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    app.register_ok(session, "jane.doe@example.org").await;
    let page = format!("/organizer/sessions/{session}");
    let csrf = csrf_of_page(&app, &page, &cookie).await;
    let uploaded = upload_page(&app, &cookie, session, &csrf, fixture("zoom_no_shows.csv")).await;
    assert_eq!(uploaded.status().as_u16(), 303);
    let refused = upload_page(&app, &cookie, session, &csrf, fixture("zoom_malformed.csv")).await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap().contains("line 9"));
    let marked = crate::helpers::post_page(
        &app,
        &format!("{page}/attendance/mark"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", "door@example.org"),
            ("attended", "yes"),
            ("reason", "Checked in at the door"),
        ],
    )
    .await;
    assert_eq!(marked.status().as_u16(), 303);
    let html = crate::helpers::page(&app, &page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            "3 attended: 1 registered here, 2 without registering here; 1 marked by hand"
        ),
        "{html}"
    );
}
