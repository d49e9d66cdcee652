//! Reading and changing a series' defaults: the role, and a message per
//! field for bad values.

use convene::auth::Role;
use serde_json::json;

use super::{audit, count, get, organizer, patch_series, sessions, CONFIG_TITLE, FACILITATOR};
use crate::helpers::{create_user, send, token, TestApp};

#[tokio::test]
async fn organizers_read_each_series_with_its_defaults_edits_and_configured_values() {
    let app = TestApp::spawn().await;
    create_user(&app, FACILITATOR, Role::Facilitator);
    let reader = organizer(&app).await;
    let facilitator = token(&app, FACILITATOR).await;
    let (status, _) = get(&app, "/api/v1/organizer/series", &facilitator).await;
    assert_eq!(status, 403, "a facilitator reads no series");

    let (status, list) = get(&app, "/api/v1/organizer/series", &reader).await;
    assert_eq!(status, 200, "{list}");
    let all = list["series"].as_array().expect("a series array");
    let slugs: Vec<&str> = all.iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["echo", "jam"], "the configured series: {list}");
    let (status, jam) = get(&app, "/api/v1/organizer/series/jam", &reader).await;
    assert_eq!(status, 200, "{jam}");
    assert_eq!(all[1], jam, "the list shows each series as GET one does");
    let config = &app.settings.series["jam"];
    for (key, value) in [
        ("slug", json!("jam")),
        ("kind", json!("webinar")),
        ("title", json!(CONFIG_TITLE)),
        ("description", json!(config.description)),
        ("timezone", json!("America/New_York")),
        ("start_time", json!("13:00")),
        ("duration_minutes", json!(60)),
        ("rule", json!("FREQ=MONTHLY;BYDAY=3TU")),
        ("capacity", json!(1000)),
        ("join_url", json!(config.join_url.as_str())),
        ("organizer_name", json!(config.organizer_name)),
        ("organizer_email", json!(config.organizer_email.to_string())),
        ("edited", json!([])),
    ] {
        assert_eq!(jam[key], value, "`{key}` in {jam}");
    }
    assert_eq!(
        jam["config"],
        json!({
            "title": CONFIG_TITLE,
            "description": config.description,
            "duration_minutes": 60,
            "capacity": 1000,
            "join_url": config.join_url.as_str(),
            "organizer_name": config.organizer_name,
            "organizer_email": config.organizer_email.to_string(),
        }),
        "config's values: what a reset restores"
    );
    assert_eq!(
        jam["upcoming_sessions"].as_u64(),
        Some(sessions(&app).len() as u64),
        "the scheduled sessions ahead"
    );

    let (status, missing) = get(&app, "/api/v1/organizer/series/nope", &reader).await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(missing["error"]["code"], "not_found");
}

#[tokio::test]
async fn changing_defaults_needs_a_token_and_the_organizer_role() {
    let app = TestApp::spawn().await;
    create_user(&app, FACILITATOR, Role::Facilitator);
    let reader = token(&app, FACILITATOR).await;
    let body = json!({ "capacity": 10 });

    let (status, anonymous) = send(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/organizer/series/jam",
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 401, "{anonymous}");
    let (status, _) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/organizer/series",
        None,
        None,
    )
    .await;
    assert_eq!(status, 401, "reading needs a token too");
    let (status, refused) = patch_series(&app, &reader, body).await;
    assert_eq!(status, 403, "a facilitator may not: {refused}");
    assert_eq!(refused["error"]["code"], "forbidden");
    let organizer = organizer(&app).await;
    let (_, jam) = get(&app, "/api/v1/organizer/series/jam", &organizer).await;
    assert_eq!(jam["capacity"], 1000, "nothing changed");
    assert_eq!(count(&audit(&app), "series.update"), 0);
}

#[tokio::test]
async fn bad_values_are_refused_with_a_message_per_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let organizer = organizer(&app).await;

    let (status, answer) = patch_series(
        &app,
        &organizer,
        json!({
            "title": "  ",
            "description": "",
            "duration_minutes": 0,
            "capacity": "lots",
            "join_url": "ftp://files.example.org",
            "organizer_name": " ",
            "organizer_email": "not an address",
            "reset": ["colour"],
        }),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid");
    let mut fields: Vec<&String> = answer["error"]["fields"]
        .as_object()
        .expect("a message per field")
        .keys()
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "capacity",
            "duration_minutes",
            "join_url",
            "organizer_email",
            "organizer_name",
            "reset",
            "title"
        ],
        "an empty description is allowed: {answer}"
    );
    assert!(
        answer["error"]["fields"]["capacity"]
            .as_str()
            .unwrap()
            .contains("lots"),
        "the message quotes the value: {answer}"
    );

    let (status, both) = patch_series(
        &app,
        &organizer,
        json!({ "title": "The Jam", "reset": ["title"] }),
    )
    .await;
    assert_eq!(status, 422, "set and reset at once: {both}");
    assert!(both["error"]["fields"]["title"].is_string(), "{both}");
    let (status, unknown) = patch_series(&app, &organizer, json!({ "colour": "red" })).await;
    assert_eq!(status, 422, "an unknown field: {unknown}");
    let (status, missing) = send(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/organizer/series/nope",
        Some(&organizer),
        Some(json!({ "capacity": 10 })),
    )
    .await;
    assert_eq!(status, 404, "{missing}");

    let (_, jam) = get(&app, "/api/v1/organizer/series/jam", &organizer).await;
    assert_eq!(
        (&jam["title"], &jam["capacity"], &jam["edited"]),
        (&json!(CONFIG_TITLE), &json!(1000), &json!([])),
        "nothing changed: {jam}"
    );
    assert_eq!(count(&audit(&app), "series.update"), 0, "nothing audited");
}
