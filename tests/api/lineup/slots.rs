//! Slots and session levers: checked, moved, withdrawn, audited, and out of
//! a facilitator's reach.

use convene::auth::Role;
use serde_json::json;

use super::{call, jam_three_weeks_ahead, organizer_app};
use crate::helpers::{create_user, token, with_conn};

#[tokio::test]
async fn session_levers_are_checked_against_the_seven_and_shown() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let path = format!("/api/v1/organizer/sessions/{session}/levers");

    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &t,
        Some(json!({ "levers": ["payment", "vibes"] })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["levers"]
            .as_str()
            .unwrap()
            .contains("vibes"),
        "{body}"
    );

    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &t,
        Some(json!({ "levers": ["technology", "regulation-policy"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["levers"][0]["label"], "Regulation and policy",
        "{body}"
    );

    let page = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Regulation and policy"), "{page}");
    assert!(page.contains("Technology"), "{page}");

    let (status, body) = call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        &t,
        None,
    )
    .await;
    assert_eq!(
        (status, body["levers"].as_array().map(Vec::len)),
        (200, Some(2))
    );
}

#[tokio::test]
async fn bad_slots_get_422_with_fields_and_unknown_ones_404() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        &t,
        Some(json!({ "name": " ", "email": "nope", "role": "keynote", "levers": ["x"] })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in ["name", "email", "role", "levers"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field} named: {body}"
        );
    }
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/sessions/999999/lineup",
        &t,
        Some(json!({ "name": "A", "email": "a@example.org" })),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/organizer/lineup/999999",
        &t,
        Some(json!({ "name": "A" })),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn slots_move_and_withdraw_and_each_change_is_audited() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let lineup = format!("/api/v1/organizer/sessions/{session}/lineup");
    let mut ids = Vec::new();
    for name in ["Ada", "Barbara", "Claude"] {
        let (status, slot) = call(
            &app,
            reqwest::Method::POST,
            &lineup,
            &t,
            Some(json!({ "name": name, "email": format!("{}@example.org", name.to_lowercase()) })),
        )
        .await;
        assert_eq!(status, 201, "{slot}");
        assert_eq!(slot["status"], "draft", "not invited yet");
        ids.push(slot["id"].as_i64().unwrap());
    }
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/lineup/{}", ids[2]),
        &t,
        Some(json!({ "position": 1 })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, slot) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/lineup/{}", ids[0]),
        &t,
        Some(json!({ "status": "withdrawn" })),
    )
    .await;
    assert_eq!((status, slot["status"].as_str()), (200, Some("withdrawn")));

    let (_, body) = call(&app, reqwest::Method::GET, &lineup, &t, None).await;
    let order: Vec<(&str, i64)> = body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["position"].as_i64().unwrap()))
        .collect();
    assert_eq!(order, vec![("Claude", 1), ("Ada", 2), ("Barbara", 3)]);

    let actions: Vec<String> = with_conn(&app.pool, |c| {
        convene::audit::list(c, 50, None)
            .unwrap()
            .into_iter()
            .filter(|e| e.subject.starts_with("lineup_slot:"))
            .map(|e| e.action)
            .collect()
    });
    assert_eq!(
        actions,
        vec![
            "lineup.withdraw",
            "lineup.update",
            "lineup.add",
            "lineup.add",
            "lineup.add"
        ]
    );
}

#[tokio::test]
async fn a_facilitator_may_neither_read_the_lineup_nor_change_it() {
    let (app, _) = organizer_app().await;
    create_user(&app, "fac@example.org", Role::Facilitator);
    let t = token(&app, "fac@example.org").await;
    let session = jam_three_weeks_ahead(&app).await;
    let lineup = format!("/api/v1/organizer/sessions/{session}/lineup");
    let (status, _) = call(&app, reqwest::Method::GET, &lineup, &t, None).await;
    assert_eq!(
        status, 403,
        "a lineup is the Jam's: not a facilitator's to read"
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &lineup,
        &t,
        Some(json!({ "name": "A", "email": "a@example.org" })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/organizer/sessions/{session}/levers"),
        &t,
        Some(json!({ "levers": ["payment"] })),
    )
    .await;
    assert_eq!(status, 403);
}
