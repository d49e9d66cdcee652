//! Attendance reports as the tools really write them, imported over HTTP,
//! the CLI and the session page: each kind told from its content, staff
//! apart so attendees agree with Zoom's own count, a file with no people
//! refused without touching the current import, a file imported before
//! imported again, and a check that writes nothing.

use convene::auth::Role;
use serde_json::Value;

use crate::attendance::{count, csrf_of_page, fixture, row, rows, upload};
use crate::helpers::{create_user, run_convene, send, token, TestApp};

/// Signs in an organizer and gives a Jam session with Jane, Kwame, Maria
/// (the panelist) and Sam registered.
async fn jam_with_registrants(app: &TestApp) -> (String, i64) {
    create_user(app, "org@example.org", Role::Organizer);
    let t = token(app, "org@example.org").await;
    let session = app.next_jam().await;
    for who in [
        "jane.doe@example.org",
        "kwame@example.com",
        "maria.lopez@example.org",
        "sam.smith@example.org",
    ] {
        app.register_ok(session, who).await;
    }
    (t, session)
}

fn n(body: &Value, key: &str) -> u64 {
    body[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {body}"))
}

#[tokio::test]
async fn a_webinar_report_counts_staff_apart_and_agrees_with_zooms_unique_viewers() {
    let app = TestApp::spawn().await;
    let (t, session) = jam_with_registrants(&app).await;
    let file = fixture("zoom_webinar_12h_no_seconds.csv");
    let (status, done) = upload(&app, &t, session, "auto", file).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["source"], "zoom-webinar", "{done}");
    assert_eq!(done["date_order"], "month-first");
    assert_eq!(done["date_order_from"], "default");
    assert_eq!(
        n(&done, "attended"),
        n(&done, "unique_viewers"),
        "attendees agree with Zoom's Unique Viewers: {done}"
    );
    assert_eq!(
        [
            "attended",
            "staff",
            "registered_here",
            "walk_ins",
            "registrants_matched",
            "people",
            "rows",
            "rows_merged"
        ]
        .map(|k| n(&done, k)),
        [3, 2, 2, 1, 4, 6, 8, 2],
        "{done}"
    );
    let (status, metrics) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{session}/metrics"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let m = &metrics["measures"];
    assert_eq!(
        (
            m["attendees"].as_i64(),
            m["staff"].as_i64(),
            m["walk_ins"].as_i64()
        ),
        (Some(3), Some(2), Some(1)),
        "{m}"
    );
    let all = rows(&app, &t, session).await;
    assert_eq!(row(&all, "maria.lopez@example.org")["role"], "panelist");
    assert_eq!(row(&all, "host@convene.example.org")["role"], "host");
}

#[tokio::test]
async fn every_kind_of_report_is_told_from_its_content() {
    let app = TestApp::spawn().await;
    let (t, _) = jam_with_registrants(&app).await;
    // (file, source, people, attended, staff, without an address)
    let cases = [
        ("zoom_registration.csv", "zoom-registration", 3, 0, 0, 0),
        ("zoom_meeting_participants.csv", "zoom-meeting", 3, 2, 1, 1),
        (
            "zoom_meeting_participants_no_block.csv",
            "zoom-meeting",
            2,
            2,
            0,
            1,
        ),
        ("teams_attendance.csv", "teams", 4, 2, 2, 0),
        ("teams_attendance_utf8.csv", "teams", 4, 2, 2, 0),
        ("meet_attendance.csv", "meet", 3, 3, 0, 0),
        ("zoom_day_first_24h.csv", "zoom-webinar", 3, 2, 1, 0),
        ("plain.csv", "csv", 3, 3, 0, 0),
    ];
    for (name, source, people, attended, staff, anonymous) in cases {
        let session = app.next_jam().await;
        let (status, done) = upload(&app, &t, session, "auto", fixture(name)).await;
        assert_eq!(status, 200, "{name}: {done}");
        assert_eq!(done["source"], source, "{name}: {done}");
        assert_eq!(
            ["people", "attended", "staff", "without_address"].map(|k| n(&done, k)),
            [people, attended, staff, anonymous],
            "{name}: {done}"
        );
        assert_eq!(
            rows(&app, &t, session).await.len() as u64,
            people,
            "{name}: everyone kept"
        );
    }
    // The day-first report says why it read that way.
    let session = app.next_jam().await;
    let (_, done) = upload(&app, &t, session, "zoom", fixture("zoom_day_first_24h.csv")).await;
    assert_eq!(
        (&done["date_order"], &done["date_order_from"]),
        (&"day-first".into(), &"file".into())
    );
    // A family asked for must be the file's.
    let (status, refused) =
        upload(&app, &t, session, "teams", fixture("meet_attendance.csv")).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("Google Meet"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_ambiguous_file_is_read_in_the_order_asked_for() {
    let app = TestApp::spawn().await;
    let (t, session) = jam_with_registrants(&app).await;
    let text = String::from_utf8(fixture("zoom_day_first_24h.csv"))
        .unwrap()
        .replace("15/08/2022", "12/08/2022");
    let response = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/attendance/auto?date_order=day-first",
            app.address
        ))
        .bearer_auth(&t)
        .body(text.clone())
        .send()
        .await
        .unwrap();
    let done: Value = response.json().await.unwrap();
    assert_eq!(
        (&done["date_order"], &done["date_order_from"]),
        (&"day-first".into(), &"asked".into()),
        "{done}"
    );
    let sam = row(&rows(&app, &t, session).await, "sam.smith@example.org").clone();
    assert!(
        sam["first_join"]
            .as_str()
            .unwrap()
            .starts_with("2022-08-12"),
        "12 August, read in the session's zone: {sam}"
    );
    let (status, bad) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/sessions/{session}/attendance/auto?date_order=sideways"),
        Some(&t),
        Some(serde_json::json!({})),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad["error"]["fields"]["date_order"].is_string(), "{bad}");
}

#[tokio::test]
async fn a_file_without_people_never_replaces_the_import_and_an_earlier_file_comes_back() {
    let app = TestApp::spawn().await;
    let (t, session) = jam_with_registrants(&app).await;
    let good = fixture("zoom_webinar_12h_no_seconds.csv");
    let (status, _) = upload(&app, &t, session, "auto", good.clone()).await;
    assert_eq!(status, 200);
    let before = rows(&app, &t, session).await;
    // What the issue found: a BOM and a few bytes posted as Teams.
    for (format, garbage) in [
        ("teams", vec![0xFF, 0xFE, b'x', 0, b'y', 0]),
        ("auto", b"\xEF\xBB\xBFEmail\r\n".to_vec()),
        ("zoom", b"Attendee Report\nHost Details\n".to_vec()),
    ] {
        let (status, refused) = upload(&app, &t, session, format, garbage).await;
        assert_eq!(status, 422, "{format}: {refused}");
        assert!(
            refused["error"]["fields"]["file"].is_string(),
            "{format}: says why: {refused}"
        );
        assert_eq!(
            rows(&app, &t, session).await,
            before,
            "{format}: nothing wiped"
        );
    }
    let (_, again) = upload(&app, &t, session, "auto", good.clone()).await;
    assert_eq!(
        again["unchanged"], true,
        "still the current import: {again}"
    );
    // Another report replaces it; the first file then comes back whole.
    let (_, other) = upload(&app, &t, session, "auto", fixture("zoom_no_shows.csv")).await;
    assert_eq!(other["unchanged"], false, "{other}");
    let (_, back) = upload(&app, &t, session, "auto", good).await;
    assert_eq!(back["unchanged"], false, "not the current import: {back}");
    assert_eq!(n(&back, "attended"), 3, "{back}");
    assert_eq!(rows(&app, &t, session).await, before, "imported again");
}

#[tokio::test]
async fn a_dry_run_says_what_a_file_would_give_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (t, session) = jam_with_registrants(&app).await;
    let tables = ["attendance", "attendance_imports", "audit_log", "people"];
    let counts = |app: &TestApp| tables.map(|table| count(app, table));
    let before = counts(&app);
    let response = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/attendance/auto?dry_run=true",
            app.address
        ))
        .bearer_auth(&t)
        .body(fixture("zoom_webinar_12h_no_seconds.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done["dry_run"], true);
    assert_eq!(
        ["attended", "staff", "walk_ins", "registered_here"].map(|k| n(&done, k)),
        [3, 2, 1, 2],
        "{done}"
    );
    assert_eq!(counts(&app), before, "nothing written");

    // The CLI: --dry-run, then a refused empty file exits non-zero.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.csv");
    std::fs::write(&path, fixture("zoom_meeting_participants.csv")).unwrap();
    let (path, id) = (path.to_str().unwrap(), session.to_string());
    let checked = run_convene(
        &app,
        &["import", "auto", path, "--session", &id, "--dry-run"],
        "",
    )
    .await;
    assert!(checked.ok, "{}", checked.stderr);
    for said in [
        "A Zoom meeting participant report (zoom-meeting)",
        "dates read month-first",
        "2 attended",
        "1 staff",
        "1 row(s) without an address",
        "Dry run: nothing was written",
    ] {
        assert!(
            checked.stdout.contains(said),
            "{said:?} in {}",
            checked.stdout
        );
    }
    assert_eq!(counts(&app), before, "nothing written by the CLI either");
    std::fs::write(dir.path().join("empty.csv"), "Email,Name\n").unwrap();
    let empty = dir.path().join("empty.csv");
    let refused = run_convene(
        &app,
        &["import", "auto", empty.to_str().unwrap(), "--session", &id],
        "",
    )
    .await;
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(refused.stderr.contains("no people"), "{}", refused.stderr);
    let uk = run_convene(
        &app,
        &[
            "import",
            "zoom",
            path,
            "--session",
            &id,
            "--date-order",
            "day-first",
        ],
        "",
    )
    .await;
    assert!(uk.ok, "{}", uk.stderr);
    assert!(
        uk.stdout
            .contains("dates read month-first (a date in the file reads only that way)"),
        "the file settles it, whatever was asked: {}",
        uk.stdout
    );
}

#[tokio::test]
async fn the_session_page_checks_a_file_before_it_counts() {
    let app = TestApp::spawn().await;
    let (_, session) = jam_with_registrants(&app).await;
    let cookie = crate::helpers::sign_in(&app, "org@example.org").await;
    let page = format!("/organizer/sessions/{session}");
    let html = crate::helpers::page(&app, &page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"<option value="auto" selected>"#),
        "auto by default"
    );
    assert!(html.contains(r#"name="date_order""#));
    let csrf = csrf_of_page(&app, &page, &cookie).await;
    let before = count(&app, "attendance");
    let checked = crate::helpers::post_multipart(
        &app,
        &format!("{page}/attendance"),
        &cookie,
        &[("csrf", &csrf), ("format", "auto"), ("check", "yes")],
        ("report.csv", fixture("zoom_webinar_12h_no_seconds.csv")),
    )
    .await;
    assert_eq!(checked.status().as_u16(), 200);
    let html = checked.text().await.unwrap();
    for said in [
        "Nothing was written.",
        "a Zoom webinar attendee report",
        "<dd>3 (the report's own count of unique viewers: 3)</dd>",
        "<dt>Staff (hosts and panelists, counted apart)</dt><dd>2</dd>",
        "<dt>Walk-ins</dt><dd>1</dd>",
    ] {
        assert!(html.contains(said), "{said:?} in {html}");
    }
    assert_eq!(count(&app, "attendance"), before, "nothing written");
    let imported = crate::helpers::post_multipart(
        &app,
        &format!("{page}/attendance"),
        &cookie,
        &[("csrf", &csrf), ("format", "auto")],
        ("report.csv", fixture("zoom_webinar_12h_no_seconds.csv")),
    )
    .await;
    assert_eq!(imported.status().as_u16(), 303);
    assert_eq!(count(&app, "attendance") - before, 6);
}
