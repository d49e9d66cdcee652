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

use crate::helpers::{
    create_user, csrf_of, page, post_page, send, sign_in, token, with_conn, TestApp,
};

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

/// The pending proposals' (name, e-mail, levers).
async fn proposals(app: &TestApp, t: &str) -> Vec<(String, String, Value)> {
    let (status, body) = send(
        app,
        Method::GET,
        "/api/v1/organizer/proposals?status=pending",
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["email"].as_str().unwrap().to_string(),
                p["levers"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_yes_to_presenting_lands_in_the_proposals_queue() {
    let (app, t, session, ends) = app_with_a_jam().await;
    let manage = app.register_ok(session, "jane@example.org").await;
    let qs = questions(&app, &t).await;
    let (rating, present, lever) = (
        field(&qs, "rating"),
        field(&qs, "present"),
        field(&qs, "lever"),
    );
    app.clock.set(ends + Duration::minutes(5));
    let t = token(&app, ORG).await;
    let path = format!("/sessions/{session}/feedback");
    assert!(app
        .get(&path)
        .await
        .text()
        .await
        .unwrap()
        .contains("name=\"email\""));

    // Anonymous: a yes needs a name and an address.
    let (status, _, html) = post(&app, &path, &[(&rating, "5"), (&present, "yes")]).await;
    assert_eq!(status, 422);
    for f in ["first_name", "last_name", "email"] {
        assert!(
            html.contains(&format!("href=\"#{f}\"")),
            "{f} named: {html}"
        );
    }
    assert!(evaluations(&app).is_empty());
    let volunteer = [
        (rating.as_str(), "5"),
        (present.as_str(), "yes"),
        (lever.as_str(), "technology"),
        ("first_name", "Vera"),
        ("last_name", "Volunteer"),
        ("email", "vera@example.org"),
    ];
    assert_eq!(post(&app, &path, &volunteer).await.0, 303);
    let queue = proposals(&app, &t).await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        (queue[0].0.as_str(), queue[0].1.as_str()),
        ("Vera Volunteer", "vera@example.org")
    );
    assert_eq!(queue[0].2[0]["code"], "technology", "the lever they chose");
    // Again: the pending proposal stays as it is, no second one.
    assert_eq!(post(&app, &path, &volunteer).await.0, 303);
    assert_eq!(proposals(&app, &t).await.len(), 1);
    // A "no" needs no name.
    assert_eq!(
        post(&app, &path, &[(&rating, "4"), (&present, "no")])
            .await
            .0,
        303
    );

    // A registrant volunteers as themselves.
    let (status, ..) = post(
        &app,
        &format!("{manage}/feedback"),
        &[(&rating, "4"), (&present, "yes")],
    )
    .await;
    assert_eq!(status, 303);
    let queue = proposals(&app, &t).await;
    assert_eq!(queue.len(), 2);
    assert!(
        queue.iter().any(|(_, e, _)| e == "jane@example.org"),
        "{queue:?}"
    );
    let cookie = sign_in(&app, ORG).await;
    let html = page(&app, "/organizer/proposals", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("vera@example.org") && html.contains("Offered to present"),
        "{html}"
    );
}

async fn put(app: &TestApp, t: &str, list: Value) -> (u16, Value) {
    send(
        app,
        Method::PUT,
        "/api/v1/organizer/series/jam/evaluation-questions",
        Some(t),
        Some(json!({ "questions": list })),
    )
    .await
}

/// `qs` as the PUT takes them.
fn inputs(qs: &[Value]) -> Vec<Value> {
    qs.iter()
        .map(|q| json!({ "id": q["id"], "kind": q["kind"], "role": q["role"], "label": q["label"], "help": q["help"], "choices": q["choices"], "required": q["required"] }))
        .collect()
}

#[tokio::test]
async fn organizers_change_the_questions_and_answers_stay() {
    let (app, t, session, ends) = app_with_a_jam().await;
    let manage = app.register_ok(session, "jane@example.org").await;
    let qs = questions(&app, &t).await;
    let (rating, take_back) = (field(&qs, "rating"), field(&qs, "take_back"));
    app.clock.set(ends + Duration::minutes(5));
    let t = token(&app, ORG).await;
    let own = format!("{manage}/feedback");
    assert_eq!(
        post(&app, &own, &[(&rating, "4"), (&take_back, "A new rota")])
            .await
            .0,
        303
    );

    // The kind, the role and a built-in question's choices stay.
    let mut list = inputs(&qs);
    list[0]["kind"] = json!("text");
    let (status, body) = put(&app, &t, json!(list)).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["questions[0].kind"].is_string(),
        "{body}"
    );
    let mut list = inputs(&qs);
    list[1]["role"] = json!("rating");
    let (status, body) = put(&app, &t, json!(list)).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["questions[1].role"].is_string(),
        "{body}"
    );
    let mut list = inputs(&qs);
    list[3]["choices"] = json!(["payment"]);
    let (status, body) = put(&app, &t, json!(list)).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["questions[3].choices"].is_string(),
        "{body}"
    );
    let mut list = inputs(&qs);
    list.push(json!({ "kind": "rating", "label": "Another", "role": "rating" }));
    let (status, body) = put(&app, &t, json!(list)).await;
    assert_eq!(status, 422, "a new question has no role: {body}");

    // Relabel the rating, archive "take back", add one of the series' own.
    let mut list = inputs(&qs);
    list[0]["label"] = json!("How was it, all in all?");
    list.remove(2);
    list.push(json!({ "kind": "text", "label": "Anything else?" }));
    let (status, body) = put(&app, &t, json!(list)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changed"], true);
    assert_eq!(body["questions"][0]["role"], "rating");
    assert_eq!(body["archived"][0]["role"], "take_back");
    assert_eq!(body["questions"][5]["role"], "");
    let new = format!("q-{}", body["questions"][5]["id"]);

    let form = app.get(&own).await.text().await.unwrap();
    assert!(form.contains("How was it, all in all?") && form.contains("Anything else?"));
    assert!(
        !form.contains("take back to your organization"),
        "archived: not asked"
    );
    assert_eq!(
        post(&app, &own, &[(&rating, "5"), (&new, "More time")])
            .await
            .0,
        303
    );
    let values = answer_values(&app);
    assert!(
        values.contains(&"A new rota".to_string()) && values.contains(&"More time".to_string()),
        "the archived question's answer stays: {values:?}"
    );
    assert_eq!(evaluations(&app).len(), 1);

    // The page: a built-in question reworded (its choices not on the page).
    let cookie = sign_in(&app, ORG).await;
    let html = page(&app, "/organizer/series/jam/evaluation-questions", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("built-in") && html.contains("How was it, all in all?"));
    let csrf = csrf_of(&html);
    let lever_id = qs[3]["id"].to_string();
    let response = post_page(
        &app,
        &format!("/organizer/series/jam/evaluation-questions/{lever_id}"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("action", "save"),
            ("label", "Which lever of change?"),
        ],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let now = questions(&app, &t).await;
    let lever = now.iter().find(|q| q["role"] == "lever").unwrap();
    assert_eq!(lever["label"], "Which lever of change?");
    assert_eq!(lever["choices"], qs[3]["choices"], "its choices stay");
    // The registration questions are another list.
    let (_, reg) = send(
        &app,
        Method::GET,
        "/api/v1/organizer/series/jam/questions",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(reg["questions"], json!([]), "{reg}");
}

#[tokio::test]
async fn erasing_a_person_removes_their_words_and_keeps_their_ratings() {
    let (app, t, session, ends) = app_with_a_jam().await;
    create_user(&app, "admin@example.org", Role::Admin);
    let manage = app.register_ok(session, "jane@example.org").await;
    let qs = questions(&app, &t).await;
    let (rating, take_back) = (field(&qs, "rating"), field(&qs, "take_back"));
    app.clock.set(ends + Duration::minutes(5));
    let own = format!("{manage}/feedback");
    assert_eq!(
        post(
            &app,
            &own,
            &[(&rating, "5"), (&take_back, "My private plan")]
        )
        .await
        .0,
        303
    );
    let admin = token(&app, "admin@example.org").await;

    let (status, export) = send(
        &app,
        Method::GET,
        "/api/v1/organizer/people/export?email=jane@example.org",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    let text = export.to_string();
    assert!(
        text.contains("My private plan"),
        "her evaluation is in her export: {export}"
    );

    let (status, erased) = send(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&admin),
        Some(json!({ "email": "jane@example.org" })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(
        answer_values(&app),
        ["5"],
        "her words gone, her rating counted"
    );
    assert_eq!(
        evaluations(&app),
        [(None, true)],
        "no longer tied to her registration"
    );
    assert_eq!(
        app.get(&own).await.status().as_u16(),
        404,
        "her link is dead"
    );
}
