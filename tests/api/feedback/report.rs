//! `GET /api/v1/series/{slug}/feedback` and its CSV on a known set of
//! evaluations (exact figures), who may read them, and the reports page's
//! feedback section.

use chrono::{Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use reqwest::Method;
use serde_json::{json, Value};

use super::seed::{answered, evaluate, jams, questions, registration};
use crate::helpers::{create_user, page, send, sign_in, token, TestApp};

/// Two ended Jams: the first with four registrants and three evaluations
/// (one anonymous), the second with two registrants and one evaluation.
/// Returns the app and the first session's id.
async fn known_feedback() -> (TestApp, i64) {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    let sessions = jams(&app, 2).await;
    let ((first, _), (second, second_ends)) = (sessions[0], sessions[1]);
    for who in ["a", "b", "c", "d"] {
        app.register_ok(first, &format!("{who}@example.org")).await;
    }
    for who in ["e", "f"] {
        app.register_ok(second, &format!("{who}@example.org")).await;
    }
    let q = questions(&app);
    let reg = |session, who: &str| Some(registration(&app, session, &format!("{who}@example.org")));
    let a = evaluate(
        &app,
        first,
        reg(first, "a"),
        true,
        &[
            (q.rating, "5"),
            (q.usefulness, "4"),
            (q.take_back, "Peer roles"),
            (q.lever, "Payment"),
            (q.own, "=SUM(A1:A9)"),
        ],
    );
    answered(
        &app,
        a,
        true,
        r#"["payment","technology"]"#,
        "We bill peers",
    );
    evaluate(
        &app,
        first,
        reg(first, "b"),
        false,
        &[
            (q.rating, "3"),
            (q.usefulness, "2"),
            (q.lever, "technology"),
        ],
    );
    evaluate(
        &app,
        first,
        None,
        true,
        &[
            (q.rating, "4"),
            (q.take_back, "Anon idea"),
            (q.lever, "clinical-model"),
            (q.topics, "Rural workforce"),
        ],
    );
    let e = evaluate(
        &app,
        second,
        reg(second, "e"),
        true,
        &[
            (q.rating, "2"),
            (q.take_back, "Tele"),
            (q.lever, "technology"),
        ],
    );
    answered(&app, e, false, "[]", "");
    app.clock.set(second_ends + Duration::days(1));
    create_user(&app, "org@example.org", Role::Organizer);
    (app, first)
}

/// (took back, acted on) of each lever that has either, by code.
fn levers(figures: &Value) -> Vec<(String, i64, i64)> {
    figures["levers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["took_back"] != 0 || l["acted_on"] != 0)
        .map(|l| {
            (
                l["code"].as_str().unwrap().to_string(),
                l["took_back"].as_i64().unwrap(),
                l["acted_on"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn lever(code: &str, took_back: i64, acted_on: i64) -> (String, i64, i64) {
    (code.to_string(), took_back, acted_on)
}

/// The figures but the levers: (registrants, responses, registrants'
/// responses, anonymous ones), the response rate, the rating and
/// usefulness, and (took back, asked later, answered, acted on).
fn counts(f: &Value) -> (Value, Value, Value, Value, Value) {
    let four = |names: [&str; 4]| json!(names.map(|n| f[n].clone()));
    (
        four([
            "registrants",
            "responses",
            "registrant_responses",
            "anonymous_responses",
        ]),
        f["response_rate"].clone(),
        f["rating"].clone(),
        f["usefulness"].clone(),
        four(["took_back", "since_asked", "since_answered", "acted_on"]),
    )
}

/// What `counts` should give.
fn expected(
    people: [i64; 4],
    rate: f64,
    rating: Value,
    usefulness: Value,
    later: [i64; 4],
) -> (Value, Value, Value, Value, Value) {
    (json!(people), json!(rate), rating, usefulness, json!(later))
}

/// A 1-to-5 question's figures.
fn scale(average: Value, answers: i64, counts: [i64; 5]) -> Value {
    json!({ "average": average, "answers": answers, "counts": counts })
}

#[tokio::test]
async fn the_feedback_api_counts_a_known_set_of_evaluations() {
    let (app, _) = known_feedback().await;
    let t = token(&app, "org@example.org").await;
    let (status, body) = send(
        &app,
        Method::GET,
        "/api/v1/series/jam/feedback",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "the two ended sessions: {body}");

    let first = &sessions[0]["figures"];
    let rating = scale(json!(4.0), 3, [0, 0, 1, 1, 1]);
    let useful = scale(json!(3.0), 2, [0, 1, 0, 1, 0]);
    let want = expected([4, 3, 2, 1], 0.75, rating, useful.clone(), [2, 1, 1, 1]);
    assert_eq!(counts(first), want, "the first session: {first}");
    let took = [lever("payment", 1, 1), lever("clinical-model", 1, 0)];
    assert_eq!(
        levers(first),
        [took[0].clone(), took[1].clone(), lever("technology", 0, 1)],
        "took back: a (Payment, by name) and the anonymous one; acted on: a, on two levers"
    );
    let second = &sessions[1]["figures"];
    let rating = scale(json!(2.0), 1, [0, 1, 0, 0, 0]);
    let none = scale(Value::Null, 0, [0; 5]);
    let want = expected([2, 1, 1, 0], 0.5, rating, none, [1, 1, 1, 0]);
    assert_eq!(counts(second), want, "the second session: {second}");
    assert_eq!(levers(second), [lever("technology", 1, 0)]);
    let totals = &body["totals"];
    let rating = scale(json!(3.5), 4, [0, 1, 1, 1, 1]);
    let want = expected([6, 4, 3, 1], 0.67, rating, useful, [3, 2, 2, 1]);
    assert_eq!(counts(totals), want, "over the period: {totals}");
    assert_eq!(
        levers(totals),
        [took[0].clone(), took[1].clone(), lever("technology", 1, 1)]
    );
    assert_eq!(totals["levers"].as_array().unwrap().len(), 7, "every lever");

    let said: Vec<(i64, &str, &str)> = body["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["session_id"].as_i64().unwrap(),
                a["role"].as_str().unwrap(),
                a["text"].as_str().unwrap(),
            )
        })
        .collect();
    let (s1, s2) = (
        sessions[0]["session_id"].as_i64().unwrap(),
        sessions[1]["session_id"].as_i64().unwrap(),
    );
    assert_eq!(
        said,
        [
            (s2, "take_back", "Tele"),
            (s1, "take_back", "Peer roles"),
            (s1, "", "=SUM(A1:A9)"),
            (s1, "since_changed", "We bill peers"),
            (s1, "take_back", "Anon idea"),
            (s1, "topics", "Rural workforce"),
        ],
        "the free text, newest session first"
    );
    assert!(
        !body.to_string().contains("@example.org"),
        "no one's address"
    );
}

#[tokio::test]
async fn a_period_keeps_its_sessions_and_strangers_unknown_series_and_bad_dates_are_refused() {
    let (app, first) = known_feedback().await;
    let t = token(&app, "org@example.org").await;
    let (_, all) = send(
        &app,
        Method::GET,
        "/api/v1/series/jam/feedback",
        Some(&t),
        None,
    )
    .await;
    let day = all["sessions"][0]["date"].as_str().unwrap().to_string();
    let start: chrono::NaiveDate = day.parse().unwrap();
    let period = format!(
        "from={}&to={}",
        start - chrono::Days::new(1),
        start + chrono::Days::new(1)
    );
    let (status, body) = send(
        &app,
        Method::GET,
        &format!("/api/v1/series/jam/feedback?{period}"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(body["sessions"][0]["session_id"], first);
    assert_eq!(body["totals"]["responses"], 3);

    create_user(&app, "hub@example.org", Role::Facilitator);
    let hub = token(&app, "hub@example.org").await;
    for (path, who, expected) in [
        ("/api/v1/series/jam/feedback", None, 401),
        ("/api/v1/series/jam/feedback.csv", None, 401),
        ("/api/v1/series/jam/feedback", Some(hub.as_str()), 403),
        ("/api/v1/series/jam/feedback.csv", Some(hub.as_str()), 403),
        ("/api/v1/series/nope/feedback", Some(t.as_str()), 404),
        ("/api/v1/series/nope/feedback.csv", Some(t.as_str()), 404),
        (
            "/api/v1/series/jam/feedback?from=yesterday",
            Some(t.as_str()),
            422,
        ),
        (
            "/api/v1/series/jam/feedback?from=2027-02-01&to=2027-01-01",
            Some(t.as_str()),
            422,
        ),
    ] {
        let (status, body) = send(&app, Method::GET, path, who, None).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
}

#[tokio::test]
async fn the_csv_has_a_row_per_evaluation_formula_safe_and_without_addresses() {
    let (app, _) = known_feedback().await;
    let t = token(&app, "org@example.org").await;
    let response = app
        .client
        .get(format!("{}/api/v1/series/jam/feedback.csv", app.address))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("jam-feedback-"), "{disposition}");
    let body = response.text().await.unwrap();
    let body = body.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "Date,Session,Anonymous,\"Overall, how would you rate this session?\",\
         How useful was it for your work?,What will you take back to your organization?,\
         Which lever of change did it touch for you?,\
         What topics would you like a future session to cover?,Would you present at a Jam?,\
         Anything else?,Took an idea back,Asked what came of it,Acted on it,Levers it moved,\
         What changed"
    );
    assert_eq!(lines.len(), 5, "a row per evaluation: {body}");
    assert!(
        lines[1].ends_with(
            ",Workforce Solutions Jam,no,5,4,Peer roles,Payment,,,'=SUM(A1:A9),yes,yes,yes,Payment; Technology,We bill peers"
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].contains(",yes,4,,Anon idea,Clinical model,Rural workforce,,,yes,no,,,"),
        "{}",
        lines[3]
    );
    assert!(!body.contains("@example.org"), "no addresses: {body}");
}

#[tokio::test]
async fn the_reports_page_has_a_feedback_section_and_its_csv() {
    let (app, _) = known_feedback().await;
    let cookie = sign_in(&app, "org@example.org").await;
    let response = page(&app, "/organizer/series/jam/reports", &cookie).await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    let start = html
        .find(r#"<section class="report" id="feedback">"#)
        .expect("a feedback section");
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    for shown in [
        "<h2>Feedback</h2>",
        r#"<td class="num">3 of 4</td><td class="num">75%</td><td class="num">4</td><td class="num">3</td><td class="num">2</td><td class="num">1</td><td class="num">1</td><td class="num">1</td>"#,
        r#"<td class="num">67%</td><td class="num">3.5</td><td class="num">3</td>"#,
        r#"<td>Payment</td><td class="num">1</td><td class="num">1</td>"#,
        r#"<td>Technology</td><td class="num">1</td><td class="num">1</td>"#,
        "We bill peers",
        "Rural workforce",
        r#"href="/organizer/series/jam/feedback.csv""#,
    ] {
        assert!(section.contains(shown), "{shown} in {section}");
    }
    let response = page(&app, "/organizer/series/jam/feedback.csv", &cookie).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains("Peer roles"));
    let response = page(&app, "/organizer/series/nope/feedback.csv", &cookie).await;
    assert_eq!(response.status().as_u16(), 404);
}
