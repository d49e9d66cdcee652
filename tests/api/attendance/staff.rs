//! Hosts and panelists counted as staff: apart from attendees in the
//! measures, the trend and the session page.

use convene::auth::Role;
use serde_json::Value;

use super::{csv_lines, fixture, jam_trend, rows, upload};
use crate::helpers::{create_user, run_convene, send, token, TestApp};

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
