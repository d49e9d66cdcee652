//! Importing attendance reports through the API: registrants matched by
//! e-mail, walk-ins created and flagged, rejoins merged, no-shows kept as
//! not attended, the same file again changing nothing, a newer report
//! replacing the earlier one, a malformed file refused whole with its line,
//! and times read in the session's zone.

use serde_json::Value;

use crate::helpers::{send, TestApp};

mod import;
mod long_reports;
mod measures;
mod staff;
mod staging;

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
