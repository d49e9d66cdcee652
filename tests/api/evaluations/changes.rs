//! Organizers change the evaluation questions without losing answers;
//! erasing a person removes their words and keeps their ratings.

use super::*;
use crate::helpers::{csrf_of, page, post_page, sign_in};

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

/// The PUT of `list` is refused, naming `field`.
async fn refused_on(app: &TestApp, t: &str, list: Vec<Value>, field: &str) {
    let (status, body) = put(app, t, json!(list)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"][field].is_string(),
        "{field}: {body}"
    );
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

    // The kind, the role and a built-in question's choices stay; a new
    // question has no role.
    let changes: [(usize, &str, Value); 3] = [
        (0, "kind", json!("text")),
        (1, "role", json!("rating")),
        (3, "choices", json!(["payment"])),
    ];
    for (i, key, value) in changes {
        let mut list = inputs(&qs);
        list[i][key] = value;
        refused_on(&app, &t, list, &format!("questions[{i}].{key}")).await;
    }
    let mut list = inputs(&qs);
    list.push(json!({ "kind": "rating", "label": "Another", "role": "rating" }));
    refused_on(&app, &t, list, "questions[6].role").await;

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
