//! Importing attendance reports through the API: registrants matched by
//! e-mail, walk-ins created and flagged, rejoins merged, no-shows kept as
//! not attended, the same file again changing nothing, a newer report
//! replacing the earlier one, a malformed file refused whole with its line,
//! and times read in the session's zone.

use convene::auth::Role;
use serde_json::Value;

use crate::helpers::{create_user, run_convene, send, token, TestApp};

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/attendance/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

pub(crate) async fn upload(
    app: &TestApp,
    t: &str,
    session: i64,
    format: &str,
    file: Vec<u8>,
) -> (u16, Value) {
    let response = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/attendance/{format}",
            app.address
        ))
        .bearer_auth(t)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn rows(app: &TestApp, t: &str, session: i64) -> Vec<Value> {
    let (status, body) = send(
        app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{session}/attendance"),
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["attendance"].as_array().unwrap().clone()
}

/// A CSV download's headers and lines, after checking it is one: 200,
/// `text/csv`, a BOM for Excel, CRLF line ends.
async fn csv_lines(
    app: &TestApp,
    t: &str,
    path: &str,
) -> (reqwest::header::HeaderMap, Vec<String>) {
    let csv = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200, "{path}");
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let headers = csv.headers().clone();
    let bytes = csv.bytes().await.unwrap();
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM first")).unwrap();
    assert!(text.ends_with("\r\n"), "{text}");
    let lines = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    (headers, lines)
}

/// Uploads `file` as a Zoom report through the session's organizer page,
/// as the browser sends the form.
async fn upload_page(
    app: &TestApp,
    cookie: &str,
    session: i64,
    csrf: &str,
    file: Vec<u8>,
) -> reqwest::Response {
    crate::helpers::post_multipart(
        app,
        &format!("/organizer/sessions/{session}/attendance"),
        cookie,
        &[("csrf", csrf), ("format", "zoom")],
        ("report.csv", file),
    )
    .await
}

/// The CSRF token of a signed-in page.
pub(crate) async fn csrf_of_page(app: &TestApp, path: &str, cookie: &str) -> String {
    crate::helpers::csrf_of(
        &crate::helpers::page(app, path, cookie)
            .await
            .text()
            .await
            .unwrap(),
    )
}

/// The Jam's trend over its first two sessions (they are ahead: asked up
/// to the day after the later one, `to`, given back with it).
async fn jam_trend(app: &TestApp, t: &str) -> (Value, String) {
    let later_start: chrono::DateTime<chrono::Utc> = app.sessions().await[1]["starts_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let to = (later_start + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (status, trend) = send(
        app,
        reqwest::Method::GET,
        &format!("/api/v1/series/jam/metrics?from=2026-01-01&to={to}"),
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{trend}");
    (trend, to)
}

pub(crate) fn row<'a>(rows: &'a [Value], email: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {rows:?}"))
}

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

#[tokio::test]
async fn a_sessions_measures_compare_with_the_baseline_and_know_who_returns() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let jams: Vec<i64> = app
        .sessions()
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let (earlier, later) = (jams[0], jams[1]);
    // Jane and Ravi came to the earlier Jam.
    upload(&app, &t, earlier, "zoom", fixture("zoom_rejoins.csv")).await;
    for email in [
        "jane.doe@example.org",
        "sam.smith@example.org",
        "kim@example.org",
    ] {
        app.register_ok(later, email).await;
    }
    // Jane came back; Sam did not come; a walk-in came for 15 minutes.
    upload(&app, &t, later, "zoom", fixture("zoom_no_shows.csv")).await;

    let (status, body) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{later}/metrics"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let m = &body["measures"];
    assert_eq!(
        (
            m["registrants"].as_i64(),
            m["attendees"].as_i64(),
            m["registrants_attended"].as_i64(),
            m["walk_ins"].as_i64()
        ),
        (Some(3), Some(2), Some(1), Some(1)),
        "{m}"
    );
    assert_eq!(m["attendance_rate"], 0.33);
    assert_eq!(
        m["baseline"],
        serde_json::json!({ "baseline": 577, "difference": -574, "ratio": 0.01 })
    );
    assert_eq!(
        (m["first_time"].as_i64(), m["returning"].as_i64()),
        (Some(1), Some(1)),
        "Jane returns"
    );
    assert_eq!(m["average_minutes"], 51.5, "(88 + 15) / 2");
    let (status, _) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/sessions/999999/metrics",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // The session's measures as a CSV: a row each, then sectors and states.
    let (headers, lines) =
        csv_lines(&app, &t, &format!("/api/v1/sessions/{later}/metrics.csv")).await;
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("-session-{later}.csv")),
        "{headers:?}"
    );
    let text = lines.join("\n");
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(lines[0], "Measure,Value");
    for want in [
        "Registrants,3",
        "Difference,-574",
        "Attendees,2",
        "Joins,2",
        "Walk-ins,1",
        "Attendance rate,0.33",
        "Returning,1",
        "Average minutes,51.5",
    ] {
        assert!(lines.contains(&want), "{want} in {text}");
    }
    let sectors: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("Sector: "))
        .copied()
        .collect();
    let counted: i64 = sectors
        .iter()
        .map(|l| l.rsplit(',').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(counted, 2, "every attendee in one sector row: {text}");

    // The series' trend over both Jams.
    let (trend, to) = jam_trend(&app, &t).await;
    let points = trend["sessions"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{trend}");
    assert_eq!(points[0]["session_id"], earlier);
    assert_eq!(points[1]["session_id"], later);
    assert_eq!(points[1]["running_average"], 1.5, "(0 + 3) / 2 registrants");
    assert_eq!(points[1]["running_vs_baseline"]["difference"], -575);
    assert_eq!(
        (&points[0]["people_reached"], &points[1]["people_reached"]),
        (&Value::from(2), &Value::from(3)),
        "Jane and Ravi, then the walk-in: Jane counts once: {trend}"
    );
    let (status, body) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/series/jam/metrics?from=last-year",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["from"].is_string(), "{body}");

    // The same as a CSV for Excel.
    let (_, lines) = csv_lines(&app, &t, &format!("/api/v1/series/jam/metrics.csv?to={to}")).await;
    assert!(
        lines[0].starts_with("Date,Session,Registrants"),
        "{lines:?}"
    );
    let text = lines.join("\n");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[2].ends_with(",3,0,577,-574,0.01,2,0,2,1,1,0.33,1,1,51.5,1.5,3"),
        "{text}"
    );

    // And as a table in the terminal.
    let report = run_convene(
        &app,
        &[
            "report",
            "--series",
            "jam",
            "--from",
            "2026-01-01",
            "--to",
            &to,
        ],
        "",
    )
    .await;
    assert!(report.ok, "{}", report.stderr);
    let rows: Vec<&str> = report.stdout.lines().collect();
    assert!(
        rows[0].starts_with("date") && rows[0].contains("running avg"),
        "{}",
        report.stdout
    );
    assert!(
        rows[2].contains("-574") && rows[2].contains("33%") && rows[2].contains("51.5"),
        "the later Jam's row: {}",
        report.stdout
    );
    assert!(
        rows[0].ends_with("reached") && rows[2].split_whitespace().last() == Some("3"),
        "the people reached so far, last: {}",
        report.stdout
    );
    assert!(
        report
            .stdout
            .contains("2 session(s); baseline 577 registrants"),
        "{}",
        report.stdout
    );
    let unknown = run_convene(&app, &["report", "--series", "nope"], "").await;
    assert!(
        !unknown.ok && unknown.stderr.contains("no series `nope`"),
        "{}",
        unknown.stderr
    );
}

/// A Zoom attendee report longer than one write chunk (5 000 people):
/// Jane's first join, then `filler` other people, then `tail` lines as
/// written (a section or rows further down the file).
fn long_report(filler: usize, tail: &str) -> Vec<u8> {
    let mut s = String::from(
        "Attendee Report\nReport Generated:,\"Mar 23, 2025 09:00:01\"\n\
         Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),\n\
         Workforce Solutions Jam: March,328-972-509,\"Mar 22, 2025 18:55:02\",95,\n\n\
         Attendee Details\n\
         Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)\n\
         Yes,Jane Doe,jane.doe@example.org,\"Mar 22, 2025 19:40:00\",\"Mar 22, 2025 20:05:00\",25\n",
    );
    for i in 0..filler {
        s.push_str(&format!(
            "Yes,Person {i},person.{i}@example.org,\"Mar 22, 2025 19:00:00\",\"Mar 22, 2025 19:30:00\",30\n"
        ));
    }
    s.push_str(tail);
    s.into_bytes()
}

pub(crate) fn count(app: &TestApp, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    crate::helpers::with_conn(&app.pool, |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(c)
            .unwrap()
            .n
    })
}

#[tokio::test]
async fn a_rejoin_far_down_a_long_report_is_merged_with_the_first_join() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/sessions/{session}/attendance/mark"),
        Some(&t),
        Some(serde_json::json!({ "email": "person.7@example.org", "attended": false, "reason": "Left the laptop running" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Jane comes back as a panelist 6 000 rows later, in another chunk.
    let report = long_report(
        6_000,
        "\nPanelist Details\nUser Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)\n\
         Jane Doe (phone),JANE.DOE@example.org,\"Mar 22, 2025 19:01:12\",\"Mar 22, 2025 19:20:30\",20\n",
    );

    let (status, done) = upload(&app, &t, session, "zoom", report).await;

    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["people"].as_u64(),
            done["attended"].as_u64(),
            done["staff"].as_u64()
        ),
        (Some(6_001), Some(5_999), Some(1)),
        "Jane once, now staff (a panelist too); 6 000 others, the hand-marked one among them but left as marked: {done}"
    );
    let all = rows(&app, &t, session).await;
    assert_eq!(all.len(), 6_001);
    let jane = row(&all, "jane.doe@example.org");
    assert_eq!(
        (
            jane["joins"].as_i64(),
            jane["minutes"].as_i64(),
            jane["role"].as_str()
        ),
        (Some(2), Some(45), Some("panelist")),
        "two joins in two chunks merged, the higher role kept: {jane}"
    );
    assert_eq!(
        jane["first_join"], "2025-03-22T23:01:12",
        "the earliest join"
    );
    assert_eq!(
        jane["last_leave"], "2025-03-23T00:05:00",
        "the latest leave"
    );
    assert_eq!(
        row(&all, "person.7@example.org")["attended"],
        false,
        "the row marked by hand stays as marked"
    );
}

#[tokio::test]
async fn a_long_report_malformed_near_its_end_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    upload(&app, &t, session, "zoom", fixture("zoom_rejoins.csv")).await;
    let (people, attendance, imports) = (
        count(&app, "people"),
        count(&app, "attendance"),
        count(&app, "attendance_imports"),
    );
    // Line 8 is Jane's row; the 12 000 others take lines 9 to 12 008.
    let report = long_report(
        12_000,
        "Yes,Late Comer,late@example.org,\"Mar 22, 2025 19:00:00\",yesterday,30\n",
    );

    let (status, body) = upload(&app, &t, session, "zoom", report).await;

    assert_eq!(status, 422, "{body}");
    let message = body["error"]["fields"]["file"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("line 12009:") && message.contains("yesterday"),
        "names the line and the value: {body}"
    );
    assert_eq!(
        (
            count(&app, "people"),
            count(&app, "attendance"),
            count(&app, "attendance_imports")
        ),
        (people, attendance, imports),
        "the chunks written before the bad line are rolled back with it"
    );
}

#[tokio::test]
async fn a_report_over_the_size_limit_is_refused_with_a_413() {
    let app = TestApp::spawn_with(|s| s.attendance.report_max_mb = 1).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let cookie = crate::helpers::sign_in(&app, "org@example.org").await;
    let session = app.next_jam().await;
    let report = long_report(20_000, ""); // about 1.8 MB
    assert!(report.len() > 1024 * 1024);

    let (status, body) = upload(&app, &t, session, "zoom", report.clone()).await;

    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("1 MB"),
        "says the limit: {body}"
    );
    let csrf = csrf_of_page(&app, &format!("/organizer/sessions/{session}"), &cookie).await;
    let refused = upload_page(&app, &cookie, session, &csrf, report).await;
    assert_eq!(refused.status().as_u16(), 413);
    assert!(refused.text().await.unwrap().contains("larger than 1 MB"));
    assert_eq!(count(&app, "attendance"), 0, "nothing imported");
}

/// A Jam whose Zoom report has a host, a panelist who had registered
/// (Maria), a registrant who came (Jane), a walk-in (Kwame) and a
/// registrant who did not come (Ana): returns the app, a token and the Jam.
async fn a_jam_run_by_staff() -> (TestApp, String, i64) {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = app.next_jam().await;
    for email in [
        "jane.doe@example.org",
        "ana.silva@example.net",
        "maria.lopez@example.org",
    ] {
        app.register_ok(session, email).await;
    }
    let (status, body) = upload(&app, &t, session, "zoom", fixture("zoom_new_columns.csv")).await;
    assert_eq!(status, 200, "{body}");
    (app, t, session)
}

async fn measures_of(app: &TestApp, t: &str, session: i64) -> Value {
    let (status, body) = send(
        app,
        reqwest::Method::GET,
        &format!("/api/v1/sessions/{session}/metrics"),
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["measures"].clone()
}

#[tokio::test]
async fn the_host_and_panelists_are_counted_as_staff_and_not_as_attendees() {
    let (app, t, session) = a_jam_run_by_staff().await;

    let m = measures_of(&app, &t, session).await;

    assert_eq!(m["staff"], 2, "the host and Maria, the panelist: {m}");
    assert_eq!(
        (
            m["attendees"].as_i64(),
            m["joins"].as_i64(),
            m["registrants_attended"].as_i64(),
            m["walk_ins"].as_i64()
        ),
        (Some(2), Some(2), Some(1), Some(1)),
        "Jane and the walk-in Kwame only: {m}"
    );
    assert_eq!(m["attendance_rate"], 0.33, "Jane of 3 registrants: {m}");
    assert_eq!(m["first_time"], 2, "{m}");
    assert_eq!(
        m["average_minutes"], 45.0,
        "(60 + 30) / 2, not the staff's: {m}"
    );
    let in_sectors: i64 = m["by_sector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[1].as_i64().unwrap())
        .sum();
    assert_eq!(in_sectors, 2, "no staff in the breakdown: {m}");
    assert_eq!(
        rows(&app, &t, session).await.len(),
        5,
        "the staff's rows are kept"
    );

    let (_, lines) = csv_lines(&app, &t, &format!("/api/v1/sessions/{session}/metrics.csv")).await;
    let text = lines.join("\n");
    for want in [
        "Attendees,2",
        "Staff,2",
        "Walk-ins,1",
        "Registrants attended,1",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want} in {text}");
    }
}

#[tokio::test]
async fn staff_are_left_out_of_the_trend_and_do_not_return_as_attendees() {
    let (app, t, earlier) = a_jam_run_by_staff().await;
    let later = app.sessions().await[1]["id"].as_i64().unwrap();
    // The earlier Jam's host comes to the later one to listen, and so does
    // Jane, who listened to the earlier one too.
    for email in ["host@convene.example.org", "jane.doe@example.org"] {
        let (status, body) = send(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/sessions/{later}/attendance/mark"),
            Some(&t),
            Some(serde_json::json!({ "email": email, "reason": "Checked in" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    let m = measures_of(&app, &t, later).await;
    assert_eq!(
        (
            m["attendees"].as_i64(),
            m["staff"].as_i64(),
            m["first_time"].as_i64(),
            m["returning"].as_i64()
        ),
        (Some(2), Some(0), Some(1), Some(1)),
        "Jane returns; hosting the earlier Jam does not make the host returning: {m}"
    );

    let (trend, to) = jam_trend(&app, &t).await;
    let points = trend["sessions"].as_array().unwrap();
    assert_eq!(points[0]["session_id"], earlier, "{trend}");
    let reached: Vec<&Value> = points.iter().map(|p| &p["people_reached"]).collect();
    assert_eq!(
        reached,
        [&Value::from(2), &Value::from(3)],
        "Jane and Kwame, then the host as a listener: {trend}"
    );

    let (_, lines) = csv_lines(&app, &t, &format!("/api/v1/series/jam/metrics.csv?to={to}")).await;
    let text = lines.join("\n");
    let header: Vec<&str> = lines[0].split(',').collect();
    let staff = header.iter().position(|h| *h == "Staff");
    assert_eq!(
        staff,
        header.iter().position(|h| *h == "Attendees").map(|i| i + 1),
        "a Staff column after Attendees: {text}"
    );
    let column = |line: &str| line.split(',').nth(staff.unwrap()).map(str::to_string);
    assert_eq!(
        (column(&lines[1]), column(&lines[2])),
        (Some("2".into()), Some("0".into())),
        "{text}"
    );

    let report = run_convene(
        &app,
        &[
            "report",
            "--series",
            "jam",
            "--from",
            "2026-01-01",
            "--to",
            &to,
        ],
        "",
    )
    .await;
    assert!(report.ok, "{}", report.stderr);
    // Columns are right-aligned under their headings.
    let table: Vec<Vec<char>> = report.stdout.lines().map(|l| l.chars().collect()).collect();
    let heading: Vec<char> = " staff ".chars().collect();
    let at = table[0]
        .windows(heading.len())
        .position(|w| w == heading.as_slice())
        .unwrap_or_else(|| panic!("a staff column: {}", report.stdout));
    let cell = |row: &[char]| row[at..at + heading.len()].iter().collect::<String>();
    assert_eq!(
        (cell(&table[1]).trim(), cell(&table[2]).trim()),
        ("2", "0"),
        "{}",
        report.stdout
    );
}

#[tokio::test]
async fn the_session_page_shows_the_staff_apart_from_those_who_attended() {
    let (app, _, session) = a_jam_run_by_staff().await;
    let cookie = crate::helpers::sign_in(&app, "org@example.org").await;

    let html = crate::helpers::page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();

    assert!(
        html.contains(
            "2 attended: 1 registered here, 1 without registering here. \
             Not counted among them: 2 staff (host, co-hosts, panelists)."
        ),
        "{html}"
    );
}
