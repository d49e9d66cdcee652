//! The organizers' reports page of a series: its SVG charts draw the
//! metrics API's numbers (bars as tall or long as the counts on the axis'
//! scale, the baseline at 577), the tables under them hold the same
//! numbers, and the page refuses strangers, bad dates and unknown series
//! the way other organizer pages do.

use convene::auth::Role;
use convene::people::contact::{parse, RegistrationForm};
use convene::registration::store::{register, Policy};
use serde_json::Value;

use crate::helpers::{create_user, page, send, sign_in, token, with_conn, TestApp};

const REGISTRANTS: &str = "#1F5FA8";
const ATTENDEES: &str = "#C45A00";
const BASELINE: &str = "#B3261E";

/// Registers people `range` for `session` through the registration
/// transaction itself (hundreds of them: the form would be slow), with
/// sectors and states in uneven shares. Off the test's runtime: blocking it
/// for seconds would leave the client's idle connections, which the server
/// closes meanwhile, looking reusable.
async fn register_many(app: &TestApp, session: i64, range: std::ops::Range<usize>) {
    let policy = Policy::from_settings(&app.settings);
    let now = app.clock.naive();
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        with_conn(&pool, |conn| {
            for i in range {
                let form = RegistrationForm {
                    first_name: "Person".into(),
                    last_name: format!("Number {i}"),
                    email: format!("person{i}@example.org"),
                    organization: "A provider".into(),
                    job_title: "Director".into(),
                    sector: [
                        "provider",
                        "provider",
                        "provider",
                        "association",
                        "government",
                    ][i % 5]
                        .into(),
                    state: ["NY", "NY", "OH", "CA"][i % 4].into(),
                    subscribe: None,
                    website: String::new(),
                };
                register(conn, session, &parse(&form).unwrap(), &policy, now).unwrap();
            }
        })
    })
    .await
    .unwrap();
}

/// Imports a plain attendance list: people `range`, plus `walk_ins` who did
/// not register.
async fn attended(
    app: &TestApp,
    t: &str,
    session: i64,
    range: std::ops::Range<usize>,
    walk_ins: usize,
) {
    let mut csv = String::from("Name,Email Address,Organization,Minutes\n");
    for i in range {
        csv.push_str(&format!("Person {i},person{i}@example.org,,45\n"));
    }
    for i in 0..walk_ins {
        csv.push_str(&format!(
            "Walk In {i},walkin{i}-{session}@example.net,,30\n"
        ));
    }
    let response = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{session}/attendance/csv",
            app.address
        ))
        .bearer_auth(t)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "the import of {session}");
}

/// Two Jams with hundreds of registrants and attendees; the period that
/// holds them as `from=…&to=…`.
async fn two_jams_with_attendance(app: &TestApp, t: &str) -> String {
    let jams: Vec<Value> = app
        .sessions()
        .await
        .into_iter()
        .filter(|s| s["series"] == "jam")
        .collect();
    let (first, second) = (
        jams[0]["id"].as_i64().unwrap(),
        jams[1]["id"].as_i64().unwrap(),
    );
    register_many(app, first, 0..420).await;
    register_many(app, second, 0..610).await;
    attended(app, t, first, 0..250, 10).await;
    attended(app, t, second, 100..480, 0).await;
    let end: chrono::DateTime<chrono::Utc> =
        jams[1]["starts_at"].as_str().unwrap().parse().unwrap();
    format!(
        "from={}&to={}",
        app.clock.now().format("%Y-%m-%d"),
        (end + chrono::Duration::days(1)).format("%Y-%m-%d")
    )
}

/// The page's `<section id="{id}">`, parsed (the template writes it as
/// well-formed markup).
fn section(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("<section class=\"report\" id=\"{id}\">"))
        .unwrap_or_else(|| panic!("section {id} in {html}"));
    let end = start + html[start..].find("</section>").unwrap() + "</section>".len();
    html[start..end].to_string()
}

fn number(node: roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a number `{name}` on {node:?}"))
}

/// (x, y, width, height) of each rectangle filled with `fill`, in order.
fn rects(doc: &roxmltree::Document, fill: &str) -> Vec<(f64, f64, f64, f64)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill))
        .map(|n| {
            (
                number(n, "x"),
                number(n, "y"),
                number(n, "width"),
                number(n, "height"),
            )
        })
        .collect()
}

/// The chart's axis labels that are numbers: (value, x, y).
fn axis_labels(doc: &roxmltree::Document) -> Vec<(f64, f64, f64)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| {
            let value = n.text()?.trim().parse().ok()?;
            Some((value, number(n, "x"), number(n, "y")))
        })
        .collect()
}

/// The cells of the section's table body, row by row.
fn table(doc: &roxmltree::Document) -> Vec<Vec<String>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|n| n.has_tag_name("tr")))
        .map(|tr| {
            tr.children()
                .filter(|n| n.has_tag_name("td"))
                .map(|td| td.text().unwrap_or_default().trim().to_string())
                .collect()
        })
        .collect()
}

/// What the browser reads in an attribute the templates escaped.
fn unescape(text: &str) -> String {
    text.replace("&#x3D;", "=").replace("&amp;", "&")
}

fn close(drawn: f64, want: f64, what: &str) {
    assert!(
        (drawn - want).abs() <= 1.0,
        "{what}: drawn {drawn} px, should be {want:.1} px"
    );
}

/// A breakdown (`by_sector`, `by_state`) added up over the API's sessions,
/// largest first then by name.
fn summed(points: &[Value], key: &str) -> Vec<(String, i64)> {
    let mut totals = std::collections::BTreeMap::<String, i64>::new();
    for p in points {
        for pair in p["measures"][key].as_array().unwrap() {
            *totals
                .entry(pair[0].as_str().unwrap().to_string())
                .or_default() += pair[1].as_i64().unwrap();
        }
    }
    let mut rows: Vec<_> = totals.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

#[tokio::test]
async fn the_reports_page_draws_the_metrics_apis_numbers_to_scale() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let period = two_jams_with_attendance(&app, &t).await;
    let (status, trend) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/series/jam/metrics?{period}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{trend}");
    let points = trend["sessions"].as_array().unwrap().clone();
    let counts: Vec<(i64, i64)> = points
        .iter()
        .map(|p| {
            (
                p["measures"]["registrants"].as_i64().unwrap(),
                p["measures"]["attendees"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(420, 260), (610, 380)], "as arranged: {trend}");
    let reached: Vec<i64> = points
        .iter()
        .map(|p| p["people_reached"].as_i64().unwrap())
        .collect();
    assert_eq!(
        reached,
        [260, 490],
        "people 0–479 and the 10 walk-ins, each once: {trend}"
    );
    assert_eq!(trend["people_reached"], 490, "the period's reach: {trend}");

    let cookie = sign_in(&app, "org@example.org").await;
    let response = page(
        &app,
        &format!("/organizer/series/jam/reports?{period}"),
        &cookie,
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<strong>490</strong> different people attended over the 2 session(s)"),
        "the period's reach under the table: {html}"
    );

    // Registrants and attendees per session, the baseline across.
    let xml = section(&html, "sessions");
    let doc = roxmltree::Document::parse(&xml).expect("the section is well-formed");
    let svg = doc
        .descendants()
        .find(|n| n.has_tag_name("svg"))
        .expect("an inline SVG");
    assert_eq!(svg.attribute("role"), Some("img"));
    assert!(
        doc.descendants().any(|n| n.has_tag_name("title")
            && n.text()
                .unwrap_or_default()
                .contains("Registrants and attendees")),
        "the chart has a title for screen readers"
    );
    let rows = table(&doc);
    assert_eq!(rows.len(), 2, "a row per session: {rows:?}");
    for (row, p) in rows.iter().zip(&points) {
        let date = convene::attendance::charts::date_label(p["date"].as_str().unwrap());
        assert_eq!(row[0], date, "{row:?}");
        assert!(
            xml.contains(&format!(">\n{date}\n</text>")),
            "the chart writes the table's date: {date}"
        );
        assert_eq!(row[2], p["measures"]["registrants"].to_string(), "{row:?}");
        assert_eq!(row[3], p["measures"]["attendees"].to_string(), "{row:?}");
        assert_eq!(row[4], p["measures"]["staff"].to_string(), "{row:?}");
        assert_eq!(
            row[5].parse::<f64>().unwrap(),
            p["running_average"].as_f64().unwrap(),
            "{row:?}"
        );
    }
    let labels = axis_labels(&doc);
    let y_of = |v: f64| {
        labels
            .iter()
            .find(|l| l.0 == v)
            .unwrap_or_else(|| panic!("an axis label {v} in {labels:?}"))
            .2
    };
    let zero = y_of(0.0);
    let top = labels.iter().map(|l| l.0).fold(0.0, f64::max);
    let per_person = (zero - y_of(top)) / top;
    assert!(per_person > 0.2, "a readable scale: {per_person} px");
    let on_axis = |fill| -> Vec<(f64, f64, f64, f64)> {
        rects(&doc, fill)
            .into_iter()
            .filter(|r| (r.1 + r.3 - zero).abs() <= 1.0)
            .collect()
    };
    let (registrant_bars, attendee_bars) = (on_axis(REGISTRANTS), on_axis(ATTENDEES));
    assert_eq!(
        (registrant_bars.len(), attendee_bars.len()),
        (2, 2),
        "a pair of bars per session standing on zero: {xml}"
    );
    for (i, (registrants, attendees)) in counts.iter().enumerate() {
        close(
            registrant_bars[i].3,
            *registrants as f64 * per_person,
            &format!("registrants of session {i}"),
        );
        close(
            attendee_bars[i].3,
            *attendees as f64 * per_person,
            &format!("attendees of session {i}"),
        );
        assert!(
            registrant_bars[i].0 < attendee_bars[i].0,
            "registrants, then attendees"
        );
    }
    assert!(
        attendee_bars[0].0 < registrant_bars[1].0,
        "sessions in date order"
    );
    let baseline_y = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(BASELINE))
        .map(|n| {
            let points: Vec<(f64, f64)> = n
                .attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (points.last().unwrap().0 - points[0].0, points[0].1)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .expect("a baseline line")
        .1;
    close(baseline_y, zero - 577.0 * per_person, "the baseline at 577");

    // Attendees by sector, added up over the two sessions.
    let sectors = summed(&points, "by_sector");
    assert_eq!(sectors[0].0, "Provider organization", "{sectors:?}");
    let xml = section(&html, "sectors");
    let doc = roxmltree::Document::parse(&xml).expect("the section is well-formed");
    let rows = table(&doc);
    assert_eq!(
        rows,
        sectors
            .iter()
            .map(|(name, n)| vec![name.clone(), n.to_string()])
            .collect::<Vec<_>>(),
        "the table holds the API's sums"
    );
    let labels = axis_labels(&doc);
    let x_of = |v: f64| labels.iter().find(|l| l.0 == v).unwrap().1;
    let right = labels.iter().map(|l| l.0).fold(0.0, f64::max);
    let per_person = (x_of(right) - x_of(0.0)) / right;
    let bars = rects(&doc, ATTENDEES);
    assert_eq!(bars.len(), sectors.len(), "a bar per sector");
    for (bar, (name, n)) in bars.iter().zip(&sectors) {
        close(bar.0, x_of(0.0), &format!("{name} starts at zero"));
        close(bar.2, *n as f64 * per_person, name);
    }
    assert!(bars.windows(2).all(|w| w[0].1 < w[1].1), "largest on top");

    // And by state, the walk-ins as "Not given".
    let states = summed(&points, "by_state");
    let xml = section(&html, "states");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        table(&doc),
        states
            .iter()
            .map(|(name, n)| vec![name.clone(), n.to_string()])
            .collect::<Vec<_>>()
    );
    assert!(
        states.contains(&("Not given".to_string(), 10)),
        "{states:?}"
    );
    assert_eq!(rects(&doc, ATTENDEES).len(), states.len());

    // No script; a print stylesheet; the CSV of the same period.
    assert!(!html.contains("<script"), "readable without JavaScript");
    let css = app.get("/static/site.css").await.text().await.unwrap();
    assert!(css.contains("@media print"), "printable");
    let link = html
        .split("href=\"/organizer/series/jam/reports.csv")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the CSV");
    assert_eq!(
        unescape(link),
        format!("?{period}"),
        "the CSV link keeps the period"
    );
    let csv = page(
        &app,
        &format!("/organizer/series/jam/reports.csv?{period}"),
        &cookie,
    )
    .await;
    assert_eq!(csv.status().as_u16(), 200);
    let api_csv = app
        .client
        .get(format!(
            "{}/api/v1/series/jam/metrics.csv?{period}",
            app.address
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        csv.bytes().await.unwrap(),
        api_csv.bytes().await.unwrap(),
        "the page's CSV is the API's"
    );
}

#[tokio::test]
async fn by_default_the_page_shows_the_coming_sessions_in_a_box_that_scrolls() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let jam = app.next_jam().await;
    app.register_ok(jam, "early@example.org").await;
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, "/organizer/series/jam/reports", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("the past year and the coming sessions"),
        "the default period says what it holds"
    );
    let xml = section(&html, "sessions");
    let doc = roxmltree::Document::parse(&xml).expect("the section is well-formed");
    let rows = table(&doc);
    assert!(
        rows.iter().any(|r| r[2] == "1"),
        "the coming Jam and its registrant are in the table: {rows:?}"
    );
    assert!(
        xml.contains("<div class=\"chart-scroll\" role=\"region\""),
        "the chart sits in a box of its own that scrolls sideways"
    );
}

#[tokio::test]
async fn the_reports_page_is_linked_and_only_for_signed_in_organizers() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    create_user(&app, "hub@example.org", Role::Facilitator);

    let anonymous = app.get("/organizer/series/jam/reports").await;
    assert_eq!(anonymous.status().as_u16(), 303, "signed out");
    assert!(anonymous.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/organizer/login?next="));
    let t = token(&app, "org@example.org").await;
    let bearer = app
        .client
        .get(format!("{}/organizer/series/jam/reports", app.address))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        bearer.status().as_u16(),
        303,
        "an API token is not a page sign-in"
    );
    let csv = app.get("/organizer/series/jam/reports.csv").await;
    assert_eq!(csv.status().as_u16(), 303, "nor is the download open");

    // Not a facilitator: the Jam's reports are its registrants' (as with
    // the metrics API).
    let hub = sign_in(&app, "hub@example.org").await;
    let refused = page(&app, "/organizer/series/jam/reports", &hub).await;
    assert_eq!(
        refused.status().as_u16(),
        403,
        "no Jam reports for a facilitator"
    );

    let cookie = sign_in(&app, "org@example.org").await;
    let dashboard = page(&app, "/organizer", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(dashboard.contains("href=\"/organizer/series/jam/reports\""));
    let series = page(&app, "/organizer/series/jam", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(series.contains("href=\"/organizer/series/jam/reports\""));
}

#[tokio::test]
async fn an_empty_period_says_so_and_bad_dates_or_series_are_refused_with_a_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;

    let empty = page(
        &app,
        "/organizer/series/jam/reports?from=2020-01-01&to=2020-02-01",
        &cookie,
    )
    .await;
    assert_eq!(empty.status().as_u16(), 200);
    let html = empty.text().await.unwrap();
    assert!(
        html.contains("There are no sessions of this series in this period"),
        "{html}"
    );
    assert!(!html.contains("<svg"), "no empty charts");
    assert!(
        html.contains("value=\"2020-01-01\""),
        "the form keeps the dates"
    );

    let bad = page(
        &app,
        "/organizer/series/jam/reports?from=last-year",
        &cookie,
    )
    .await;
    assert_eq!(bad.status().as_u16(), 400);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("is not a date like 2026-01-31") && html.contains("last-year"),
        "{html}"
    );
    assert!(
        html.contains("<form method=\"get\""),
        "the form to try again"
    );

    let backwards = page(
        &app,
        "/organizer/series/jam/reports?from=2026-03-01&to=2026-01-01",
        &cookie,
    )
    .await;
    assert_eq!(backwards.status().as_u16(), 400);
    assert!(backwards
        .text()
        .await
        .unwrap()
        .contains("the end of the period must be after its start"));

    let csv = page(
        &app,
        "/organizer/series/jam/reports.csv?to=someday",
        &cookie,
    )
    .await;
    assert_eq!(csv.status().as_u16(), 400, "the download too");

    let unknown = page(&app, "/organizer/series/nope/reports", &cookie).await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert!(unknown.text().await.unwrap().contains("Page not found"));
}
