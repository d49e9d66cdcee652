//! The evaluation after each session (issue 17), through the real app on a
//! manual clock: the follow-up e-mail links each registrant's own, which
//! opens once the session has ended, refuses per field, and keeps one
//! evaluation per registration (a later post replaces it); the session's
//! page links an anonymous one that makes a new evaluation each time and
//! shows no one's answers; a yes to presenting lands in the proposals
//! queue; organizers edit the questions without losing answers; erasing a
//! person removes their words.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

mod changes;
mod volunteers;
mod whole;

use crate::helpers::{create_user, send, token, with_conn, TestApp};

const ORG: &str = "org@example.org";

/// An app on a manual clock with an organizer; the first Jam's id and end.
async fn app_with_a_jam() -> (TestApp, String, i64, DateTime<Utc>) {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, ORG, Role::Organizer);
    let t = token(&app, ORG).await;
    let jam = app
        .sessions()
        .await
        .into_iter()
        .find(|s| s["series"] == "jam")
        .expect("a Jam ahead");
    let ends = jam["ends_at"].as_str().unwrap().parse().unwrap();
    (app, t, jam["id"].as_i64().unwrap(), ends)
}

/// The Jam's evaluation questions by role (`""` for its own), in order.
async fn questions(app: &TestApp, t: &str) -> Vec<Value> {
    let (status, body) = send(
        app,
        Method::GET,
        "/api/v1/organizer/series/jam/evaluation-questions",
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["questions"].as_array().unwrap().clone()
}

/// The field (`q-<id>`) of the question of `role`.
fn field(questions: &[Value], role: &str) -> String {
    let q = questions
        .iter()
        .find(|q| q["role"] == role)
        .unwrap_or_else(|| panic!("a {role} question"));
    format!("q-{}", q["id"])
}

async fn tick(app: &TestApp) -> convene::jobs::Tick {
    convene::jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

/// Moves past the session's end and the follow-up's wait, and sends it.
async fn follow_up(app: &TestApp, ends: DateTime<Utc>) {
    let wait = i64::from(app.settings.archive.follow_up_after_hours);
    app.clock
        .set(ends + Duration::hours(wait) + Duration::minutes(1));
    assert!(
        tick(app).await.session_follow_ups >= 1,
        "the follow-up is queued"
    );
}

/// The feedback link in `email`'s latest (the `n`th) message.
async fn feedback_link(app: &TestApp, email: &str, n: usize) -> String {
    let mail = app.smtp.wait_for(email, n).await.remove(n - 1);
    let word = mail
        .text
        .split_whitespace()
        .find(|w| w.ends_with("/feedback"))
        .unwrap_or_else(|| panic!("a feedback link in the follow-up: {}", mail.text))
        .to_string();
    assert!(
        mail.html.contains(&format!("href=\"{word}\"")),
        "the HTML links it too"
    );
    word.trim_start_matches("http://convene.test").to_string()
}

/// (registration id, took_back) of every evaluation, and their count.
fn evaluations(app: &TestApp) -> Vec<(Option<i64>, bool)> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::evaluations::dsl::*;
        evaluations
            .order(id)
            .select((registration_id, took_back))
            .load(c)
            .unwrap()
    })
}

/// Every stored answer's value.
fn answer_values(app: &TestApp) -> Vec<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::evaluation_answers::dsl::*;
        evaluation_answers.order(id).select(value).load(c).unwrap()
    })
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let response = app.post_form(path, form).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

#[tokio::test]
async fn a_registrant_evaluates_once_through_the_follow_up_link() {
    let (app, t, session, ends) = app_with_a_jam().await;
    let manage = app.register_ok(session, "jane@example.org").await;
    let qs = questions(&app, &t).await;
    let roles: Vec<&str> = qs.iter().map(|q| q["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        [
            "rating",
            "usefulness",
            "take_back",
            "lever",
            "topics",
            "present"
        ],
        "the built-in questions, seeded for the series"
    );
    let (rating, take_back, lever) = (
        field(&qs, "rating"),
        field(&qs, "take_back"),
        field(&qs, "lever"),
    );

    // Before the session ends, neither form is open.
    for path in [
        format!("{manage}/feedback"),
        format!("/sessions/{session}/feedback"),
    ] {
        assert_eq!(app.get(&path).await.status().as_u16(), 409, "{path}");
    }
    let (status, ..) = post(&app, &format!("{manage}/feedback"), &[(&rating, "5")]).await;
    assert_eq!(status, 409, "nor taken");
    let before = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !before.contains("/feedback"),
        "no link on the page before the end"
    );

    follow_up(&app, ends).await;
    let link = feedback_link(&app, "jane@example.org", 2).await;
    assert_eq!(link, format!("{manage}/feedback"), "her own link");
    let after = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        after.contains(&format!("href=\"/sessions/{session}/feedback\""))
            && after.contains("Tell us how it went"),
        "the session's page links the anonymous evaluation once it has ended"
    );

    let response = app.get(&link).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "a private page"
    );
    let form = response.text().await.unwrap();
    assert!(
        form.contains("Overall, how would you rate this session?"),
        "{form}"
    );
    assert!(
        form.contains(">Payment</label>"),
        "the levers by their labels"
    );
    assert!(
        form.contains("value=\"payment\""),
        "and their codes as values"
    );

    // Refused per field, with the error summary.
    let (status, _, page_html) = post(&app, &link, &[]).await;
    assert_eq!(status, 422);
    assert!(page_html.contains("error-summary") && page_html.contains("autofocus"));
    assert!(
        page_html.contains(&format!("href=\"#{rating}\"")),
        "{page_html}"
    );
    let (status, _, page_html) = post(&app, &link, &[(&rating, "9"), (&lever, "nonsense")]).await;
    assert_eq!(status, 422);
    assert!(page_html.contains("from 1 to 5") && page_html.contains(&format!("href=\"#{lever}\"")));
    assert!(evaluations(&app).is_empty(), "nothing stored");

    let (status, location, _) = post(
        &app,
        &link,
        &[
            (&rating, "5"),
            (&take_back, "Peer supervision"),
            (&lever, "payment"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/sessions/{session}/feedback/thanks").as_str())
    );
    assert_eq!(app.get(&location).await.status().as_u16(), 200);
    let stored = evaluations(&app);
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].0.is_some() && stored[0].1,
        "hers, and she took something back"
    );
    assert!(
        answer_values(&app).contains(&"payment".to_string()),
        "the lever's code"
    );

    // Again through her link: her answers replaced, still one evaluation.
    let (status, ..) = post(&app, &link, &[(&rating, "3")]).await;
    assert_eq!(status, 303);
    let stored = evaluations(&app);
    assert_eq!(stored.len(), 1, "one per registrant");
    assert!(!stored[0].1, "nothing to take back now");
    assert_eq!(
        answer_values(&app),
        ["3"],
        "her later answers replace the earlier"
    );
    let again = app.get(&link).await.text().await.unwrap();
    assert!(
        again.contains(&format!(
            "id=\"{rating}-2\" name=\"{rating}\" type=\"radio\" value=\"3\" checked"
        )),
        "her own answer shown back to her: {again}"
    );

    // A cancelled session takes none.
    with_conn(&app.pool, |c| {
        use convene::db::schema::sessions::dsl::*;
        diesel::update(sessions.find(session))
            .set(status.eq("cancelled"))
            .execute(c)
            .unwrap()
    });
    for path in [link.clone(), format!("/sessions/{session}/feedback")] {
        assert_eq!(app.get(&path).await.status().as_u16(), 409, "{path}");
    }
}

#[tokio::test]
async fn the_anonymous_link_makes_a_new_evaluation_each_time_and_shows_none() {
    let (app, t, session, ends) = app_with_a_jam().await;
    let manage = app.register_ok(session, "jane@example.org").await;
    let qs = questions(&app, &t).await;
    let (rating, take_back) = (field(&qs, "rating"), field(&qs, "take_back"));
    app.clock.set(ends + Duration::minutes(5));
    let (status, ..) = post(
        &app,
        &format!("{manage}/feedback"),
        &[(&rating, "2"), (&take_back, "Jane's secret plan")],
    )
    .await;
    assert_eq!(status, 303);

    let path = format!("/sessions/{session}/feedback");
    let form = app.get(&path).await.text().await.unwrap();
    assert!(
        !form.contains("secret plan") && !form.contains(" checked"),
        "nothing of anyone's"
    );
    assert!(form.contains("name=\"website\""), "the honeypot");
    for _ in 0..2 {
        let (status, location, _) = post(&app, &path, &[(&rating, "4")]).await;
        assert_eq!((status, location), (303, format!("{path}/thanks")));
    }
    let stored = evaluations(&app);
    assert_eq!(stored.len(), 3, "each anonymous post is a new one");
    assert_eq!(stored.iter().filter(|(r, _)| r.is_none()).count(), 2);
    let form = app.get(&path).await.text().await.unwrap();
    assert!(!form.contains("secret plan") && !form.contains(" checked"));

    // A script filling the honeypot is thanked and stores nothing.
    let (status, ..) = post(&app, &path, &[(&rating, "1"), ("website", "http://spam")]).await;
    assert_eq!(status, 303);
    assert_eq!(evaluations(&app).len(), 3);
    // A refused anonymous post shows only what it sent.
    let (status, _, html) = post(&app, &path, &[(&take_back, "mine")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(">mine</textarea>") && !html.contains("secret plan"));
}
