//! A session's measures against the series' baseline, and who returns.

use convene::auth::Role;
use serde_json::Value;

use super::{csv_lines, fixture, jam_trend, upload};
use crate::helpers::{create_user, run_convene, send, token, TestApp};

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
