//! A series' own registration questions (issue 17), through the real app:
//! organizers set them (API and page), the form asks them and refuses a
//! missing or wrong answer per field, answers reach the registrations'
//! API and CSV and the reports page, changing or archiving a question
//! keeps the answers, and erasing a person deletes what they wrote.

use convene::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, post_page, registration_form, send, sign_in, token, with_conn,
    TestApp,
};

const ORG: &str = "org@example.org";

async fn organizer(app: &TestApp) -> String {
    create_user(app, ORG, Role::Organizer);
    token(app, ORG).await
}

async fn put_questions(app: &TestApp, t: &str, questions: Value) -> (u16, Value) {
    send(
        app,
        Method::PUT,
        "/api/v1/organizer/series/jam/questions",
        Some(t),
        Some(json!({ "questions": questions })),
    )
    .await
}

/// The Jam asks: a required text, one choice, several choices, yes/no.
/// Returns their ids in that order.
async fn four_questions(app: &TestApp, t: &str) -> [i64; 4] {
    let (status, body) = put_questions(
        app,
        t,
        json!([
            { "kind": "text", "label": "What do you hope to learn?", "required": true },
            { "kind": "choice", "label": "Your role", "choices": ["Clinician", "Manager", "Other"] },
            { "kind": "choices", "label": "Topics", "choices": ["Payment", "Policy", "Technology"] },
            { "kind": "yes_no", "label": "First Jam?", "help": "Have you been before?" },
        ]),
    )
    .await;
    assert_eq!(status, 200, "the questions are set: {body}");
    assert_eq!(body["changed"], true, "{body}");
    let ids: Vec<i64> = body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_i64().unwrap())
        .collect();
    ids.try_into().expect("four questions, in order")
}

fn answered<'a>(
    form: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut all = form.to_vec();
    all.extend_from_slice(extra);
    all
}

/// The session's registrations through the organizer API.
async fn registrations(app: &TestApp, t: &str, session: i64) -> Vec<Value> {
    let (status, body) = send(
        app,
        Method::GET,
        &format!("/api/v1/organizer/sessions/{session}/registrations"),
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["registrations"].as_array().unwrap().clone()
}

async fn questions_now(app: &TestApp, t: &str) -> Value {
    let path = "/api/v1/organizer/series/jam/questions";
    let (status, list) = send(app, Method::GET, path, Some(t), None).await;
    assert_eq!(status, 200, "{list}");
    list
}

/// One question's button on the series' questions page.
async fn act(app: &TestApp, cookie: &str, csrf: &str, id: i64, action: &str) {
    let path = format!("/organizer/series/jam/questions/{id}");
    let response = post_page(app, &path, cookie, &[("csrf", csrf), ("action", action)]).await;
    assert_eq!(response.status().as_u16(), 303, "{action} question {id}");
}

async fn csv(app: &TestApp, t: &str, session: i64) -> String {
    app.client
        .get(format!(
            "{}/api/v1/organizer/sessions/{session}/registrations.csv",
            app.address
        ))
        .bearer_auth(t)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_form_asks_the_series_questions_and_refuses_a_missing_answer_per_field() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let [learn, role, topics, first] = four_questions(&app, &t).await;
    let jam = app.next_jam().await;

    let html = app
        .get(&format!("/sessions/{jam}"))
        .await
        .text()
        .await
        .unwrap();
    for expected in [
        format!("name=\"q-{learn}\""),
        format!("id=\"q-{role}\""),
        "What do you hope to learn?".to_string(),
        "Have you been before?".to_string(),
        format!("name=\"q-{topics}\" type=\"checkbox\" value=\"Policy\""),
        format!("name=\"q-{first}\" type=\"radio\" value=\"yes\""),
    ] {
        assert!(html.contains(&expected), "the form shows {expected}");
    }

    let form = registration_form("ada@example.org");
    let role_field = format!("q-{role}");
    let response = app
        .post_form(
            &format!("/sessions/{jam}/register"),
            &answered(&form, &[(&role_field, "Astronaut")]),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422, "refused, not a 500");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "<a href=\"#q-{learn}\">Answer “What do you hope to learn?”</a>"
        )),
        "the error summary names the required question: {html}"
    );
    assert!(
        html.contains(&format!("id=\"q-{role}-error\"")),
        "a choice not offered has its own message"
    );
    assert!(
        html.contains("value=\"Analytical Engines Behavioral Health\""),
        "the contact fields come back filled in"
    );
    assert!(
        registrations(&app, &t, jam).await.is_empty(),
        "nothing was registered"
    );

    let (l, r, tp, f) = (
        format!("q-{learn}"),
        format!("q-{role}"),
        format!("q-{topics}"),
        format!("q-{first}"),
    );
    let response = app
        .post_form(
            &format!("/sessions/{jam}/register"),
            &answered(
                &form,
                &[
                    (&l, "How to pay peer staff"),
                    (&r, "Clinician"),
                    (&tp, "Technology"),
                    (&tp, "Payment"),
                    (&f, "yes"),
                ],
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "registered");

    let regs = registrations(&app, &t, jam).await;
    let answers: Vec<(String, Value)> = regs[0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["label"].as_str().unwrap().to_string(),
                a["values"].clone(),
            )
        })
        .collect();
    assert_eq!(
        answers,
        vec![
            (
                "What do you hope to learn?".into(),
                json!(["How to pay peer staff"])
            ),
            ("Your role".into(), json!(["Clinician"])),
            ("Topics".into(), json!(["Payment", "Technology"])),
            ("First Jam?".into(), json!(["yes"])),
        ],
        "the answers, several choices in the order offered"
    );
    let sheet = csv(&app, &t, jam).await;
    let mut lines = sheet.lines();
    let header = lines.next().unwrap();
    assert!(
        header.ends_with("Subscribed,What do you hope to learn?,Your role,Topics,First Jam?"),
        "a column per question: {header}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("How to pay peer staff,Clinician,Payment; Technology,yes"),
        "{sheet}"
    );
}

#[tokio::test]
async fn changing_or_archiving_a_question_keeps_the_answers_already_given() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let [learn, role, topics, first] = four_questions(&app, &t).await;
    let jam = app.next_jam().await;
    let form = registration_form("ada@example.org");
    let (l, r, tp) = (
        format!("q-{learn}"),
        format!("q-{role}"),
        format!("q-{topics}"),
    );
    let response = app
        .post_form(
            &format!("/sessions/{jam}/register"),
            &answered(
                &form,
                &[(&l, "Peer support"), (&r, "Clinician"), (&tp, "Policy")],
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    // "Clinician" renamed, the topics question archived, "First Jam?" moved first.
    let (status, body) = put_questions(
        &app,
        &t,
        json!([
            { "id": first, "kind": "yes_no", "label": "First Jam?" },
            { "id": learn, "kind": "text", "label": "What do you hope to learn?", "required": true },
            { "id": role, "kind": "choice", "label": "Your job", "choices": ["Clinical staff", "Manager", "Other"] },
        ]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["archived"][0]["id"], topics,
        "left out: archived: {body}"
    );
    assert_eq!(body["questions"][0]["id"], first, "reordered: {body}");

    let (status, body) = put_questions(
        &app,
        &t,
        json!([{ "id": role, "kind": "text", "label": "Your job" }]),
    )
    .await;
    assert_eq!(status, 422, "a question keeps its kind: {body}");
    assert!(
        body["error"]["fields"]["questions[0].kind"].is_string(),
        "{body}"
    );

    let html = app
        .get(&format!("/sessions/{jam}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("Topics"),
        "an archived question is not asked"
    );
    assert!(html.contains("Clinical staff"), "the new choice is offered");

    let regs = registrations(&app, &t, jam).await;
    let answers = regs[0]["answers"].as_array().unwrap();
    let by_id = |id: i64| answers.iter().find(|a| a["question_id"] == id).cloned();
    assert_eq!(
        by_id(role).map(|a| (a["label"].clone(), a["values"].clone())),
        Some((json!("Your job"), json!(["Clinician"]))),
        "the answer keeps the text chosen: {answers:?}"
    );
    assert_eq!(
        by_id(topics).map(|a| (a["archived"].clone(), a["values"].clone())),
        Some((json!(true), json!(["Policy"]))),
        "an archived question's answer is kept: {answers:?}"
    );
    let sheet = csv(&app, &t, jam).await;
    assert!(
        sheet.contains("Topics (archived)"),
        "still exported: {sheet}"
    );
    assert!(sheet.contains(",Clinician,"), "{sheet}");
}

#[tokio::test]
async fn organizers_add_move_and_archive_questions_on_the_series_page() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let cookie = sign_in(&app, ORG).await;
    let html = page(&app, "/organizer/series/jam", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"/organizer/series/jam/questions\""),
        "the series page leads to its questions"
    );
    let response = page(&app, "/organizer/series/jam/questions", &cookie).await;
    assert_eq!(response.status().as_u16(), 200);
    let csrf = csrf_of(&response.text().await.unwrap());

    for (kind, label, choices) in [
        ("choice", "Your role", "Clinician\nManager\n"),
        ("yes_no", "First Jam?", ""),
    ] {
        let response = post_page(
            &app,
            "/organizer/series/jam/questions",
            &cookie,
            &[
                ("csrf", &csrf),
                ("kind", kind),
                ("label", label),
                ("choices", choices),
                ("required", "on"),
            ],
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "{label} added");
    }
    let response = post_page(
        &app,
        "/organizer/series/jam/questions",
        &cookie,
        &[("csrf", &csrf), ("kind", "choice"), ("label", "No choices")],
    )
    .await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "a choice question needs choices"
    );
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("list at least one choice"));

    let list = questions_now(&app, &t).await;
    let role = list["questions"][0]["id"].as_i64().unwrap();
    let first = list["questions"][1]["id"].as_i64().unwrap();
    assert_eq!(
        list["questions"][0]["choices"],
        json!(["Clinician", "Manager"]),
        "{list}"
    );
    assert_eq!(list["questions"][0]["required"], true, "{list}");

    act(&app, &cookie, &csrf, first, "up").await;
    act(&app, &cookie, &csrf, role, "archive").await;
    let list = questions_now(&app, &t).await;
    assert_eq!(list["questions"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["questions"][0]["id"], first, "{list}");
    assert_eq!(list["archived"][0]["id"], role, "{list}");
    assert!(list["archived"][0]["archived_at"].is_string(), "{list}");

    act(&app, &cookie, &csrf, role, "restore").await;
    let list = questions_now(&app, &t).await;
    assert_eq!(
        list["questions"][1]["id"], role,
        "asked again, last: {list}"
    );

    let changes: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(action.eq("series.questions"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(
        changes, 5,
        "every change is audited (two adds, up, archive, restore)"
    );
}

#[tokio::test]
async fn the_registration_api_takes_answers_and_names_each_one_at_fault() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let [learn, role, topics, _] = four_questions(&app, &t).await;
    let jam = app.next_jam().await;
    let path = format!("/api/v1/organizer/sessions/{jam}/registrations");
    let person = json!({
        "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.org",
        "organization": "Navy", "sector": "government", "state": "VA",
    });
    let mut body = person.clone();
    body["answers"] = json!({ role.to_string(): "Admiral", "999999": "x" });
    let (status, refused) = send(&app, Method::POST, &path, Some(&t), Some(body)).await;
    assert_eq!(status, 422, "{refused}");
    let fields = &refused["error"]["fields"];
    assert!(
        fields[format!("answers.{learn}")].is_string(),
        "required: {refused}"
    );
    assert!(
        fields[format!("answers.{role}")].is_string(),
        "not offered: {refused}"
    );
    assert!(fields["answers.999999"].is_string(), "not asked: {refused}");

    let mut body = person;
    body["answers"] = json!({
        learn.to_string(): "Everything",
        topics.to_string(): ["Policy"],
    });
    let (status, added) = send(&app, Method::POST, &path, Some(&t), Some(body)).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["answers"][1]["values"], json!(["Policy"]), "{added}");
}

#[tokio::test]
async fn posting_the_form_again_never_changes_an_answer_already_given() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    let [learn, role, ..] = four_questions(&app, &t).await;
    let jam = app.next_jam().await;
    let form = registration_form("ada@example.org");
    let (l, r) = (format!("q-{learn}"), format!("q-{role}"));
    let first = answered(&form, &[(&l, "Mine")]);
    let again = answered(&form, &[(&l, "A stranger's"), (&r, "Manager")]);
    for post in [first, again] {
        let response = app
            .post_form(&format!("/sessions/{jam}/register"), &post)
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    let regs = registrations(&app, &t, jam).await;
    assert_eq!(regs.len(), 1);
    let values: Vec<Value> = regs[0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["values"].clone())
        .collect();
    assert_eq!(
        values,
        vec![json!(["Mine"]), json!(["Manager"])],
        "the first answer stays; a blank one may be filled"
    );
}

#[tokio::test]
async fn the_reports_page_counts_the_answers_and_erasing_deletes_what_someone_wrote() {
    let app = TestApp::spawn().await;
    let t = organizer(&app).await;
    create_user(&app, "admin@example.org", Role::Admin);
    let admin = token(&app, "admin@example.org").await;
    let [learn, role, ..] = four_questions(&app, &t).await;
    let jam = app.next_jam().await;
    let (l, r) = (format!("q-{learn}"), format!("q-{role}"));
    for (email, chosen) in [
        ("a@example.org", "Clinician"),
        ("b@example.org", "Clinician"),
        ("c@example.org", "Manager"),
    ] {
        let form = registration_form(email);
        let post = answered(&form, &[(&l, "My secret plan"), (&r, chosen)]);
        let response = app
            .post_form(&format!("/sessions/{jam}/register"), &post)
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    let today = app.clock.now().date_naive();
    let period = format!("from={today}&to={}", today + chrono::Duration::days(70));

    let cookie = sign_in(&app, ORG).await;
    let response = page(
        &app,
        &format!("/organizer/series/jam/reports?{period}"),
        &cookie,
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    let section = html
        .split("id=\"questions\"")
        .nth(1)
        .expect("a section for the registration questions");
    for expected in [
        "<caption>Your role: 3 answered</caption>",
        "<tr><td>Clinician</td><td class=\"num\">2</td></tr>",
        "<tr><td>Manager</td><td class=\"num\">1</td></tr>",
        "<tr><td>Other</td><td class=\"num\">0</td></tr>",
        "What do you hope to learn?</strong>: 3 answered",
    ] {
        assert!(section.contains(expected), "{expected} in {section}");
    }

    let (status, export) = send(
        &app,
        Method::GET,
        "/api/v1/organizer/people/export?email=a@example.org",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(
        export["registrations"][0]["answers"][0],
        json!({ "question": "What do you hope to learn?", "answer": ["My secret plan"] }),
        "{export}"
    );
    let (status, erased) = send(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&admin),
        Some(json!({ "email": "a@example.org" })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    let left: Vec<(i64, String)> = with_conn(&app.pool, |c| {
        use convene::db::schema::registration_answers::dsl::*;
        use diesel::prelude::*;
        registration_answers
            .filter(value.eq("My secret plan"))
            .select((registration_id, value))
            .load(c)
            .unwrap()
    });
    assert_eq!(
        left.len(),
        2,
        "the erased person's own words are gone, others' stay"
    );
    let response = page(
        &app,
        &format!("/organizer/series/jam/reports?{period}"),
        &cookie,
    )
    .await;
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<tr><td>Clinician</td><td class=\"num\">2</td></tr>"),
        "their choice is still counted"
    );
}
