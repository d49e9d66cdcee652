//! Edited defaults against config changes: kept, reset, and a series no
//! longer configured.

use chrono::{Duration, Utc};
use convene::clock::Clock;
use diesel::prelude::*;
use serde_json::json;

use super::{
    audit, config_changed, count, get, organizer, patch_ok, restart, sessions, tick, CONFIG_TITLE,
};
use crate::helpers::{send, with_conn, TestApp};

#[tokio::test]
async fn edited_defaults_outlast_config_changes_and_reach_sessions_generated_later() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    let organizer = organizer(&app).await;
    let before = sessions(&app);

    let answer = patch_ok(
        &app,
        &organizer,
        json!({ "title": "The Jam", "capacity": 250, "duration_minutes": "1h30m" }),
    )
    .await;
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["sessions_updated"], 0, "not asked to apply");
    let series = &answer["series"];
    assert_eq!(
        (
            &series["title"],
            &series["capacity"],
            &series["duration_minutes"]
        ),
        (&json!("The Jam"), &json!(250), &json!(90))
    );
    assert_eq!(
        series["edited"],
        json!(["title", "duration_minutes", "capacity"])
    );
    assert_eq!(series["config"]["title"], CONFIG_TITLE, "config unchanged");
    assert_eq!(
        sessions(&app)
            .iter()
            .map(|s| (s.id, s.title.clone(), s.capacity, s.sequence))
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|s| (s.id, s.title.clone(), s.capacity, s.sequence))
            .collect::<Vec<_>>(),
        "existing sessions stay as they were"
    );
    let entries = audit(&app);
    assert_eq!(
        entries.last(),
        Some(&("series.update".to_string(), "series:jam".to_string())),
        "{entries:?}"
    );

    // A deployment changes the configured title, capacity and description
    // and restarts.
    let changed = config_changed(&app, |jam| {
        jam.title = "Config Jam".into();
        jam.capacity = 400;
        jam.description = "Said by the new config.".into();
    });
    restart(&app, &changed).await;
    let row = with_conn(&app.pool, |c| {
        convene::series::model::find_series(c, "jam")
            .unwrap()
            .unwrap()
    });
    assert_eq!(
        (row.title.as_str(), row.capacity, row.duration_minutes),
        ("The Jam", 250, 90),
        "the organizer's values win over config"
    );
    assert_eq!(
        row.description, "Said by the new config.",
        "a default nobody edited follows config"
    );

    // Two months on, new months enter the horizon: made from the row.
    app.clock.set(app.clock.now() + Duration::days(62));
    let made = tick(&app, &changed).await.sessions_created;
    assert!(made >= 1, "a new month is generated");
    let after = sessions(&app);
    let newest = after.last().unwrap();
    assert!(
        !before.iter().any(|s| s.id == newest.id),
        "the last session is a new one"
    );
    assert_eq!(
        (
            newest.title.as_str(),
            newest.capacity,
            newest.minutes(),
            newest.description.as_str()
        ),
        ("The Jam", 250, 90, "Said by the new config."),
        "new sessions take the series' current defaults"
    );
}

#[tokio::test]
async fn reset_hands_a_default_back_to_config_at_once_and_for_later_config_changes() {
    let app = TestApp::spawn().await;
    let organizer = organizer(&app).await;
    patch_ok(
        &app,
        &organizer,
        json!({ "capacity": 250, "title": "The Jam" }),
    )
    .await;

    let answer = patch_ok(&app, &organizer, json!({ "reset": ["capacity"] })).await;
    assert_eq!(answer["series"]["capacity"], 1000, "config's value again");
    assert_eq!(answer["series"]["edited"], json!(["title"]));
    let again = patch_ok(&app, &organizer, json!({ "reset": ["capacity"] })).await;
    assert_eq!(again["changed"], false, "already so: {again}");

    let changed = config_changed(&app, |jam| {
        jam.capacity = 400;
        jam.title = "Config Jam".into();
    });
    restart(&app, &changed).await;
    let (_, jam) = get(&app, "/api/v1/organizer/series/jam", &organizer).await;
    assert_eq!(jam["capacity"], 400, "capacity follows config again: {jam}");
    assert_eq!(
        jam["title"], "The Jam",
        "the title is still the organizer's"
    );
    assert_eq!(
        count(&audit(&app), "series.update"),
        2,
        "two changes audited, not the no-op"
    );
}

#[tokio::test]
async fn a_series_no_longer_configured_is_shown_without_config_and_cannot_be_reset() {
    let app = TestApp::spawn().await;
    let organizer = organizer(&app).await;
    let now = app.clock.naive();
    with_conn(&app.pool, |c| {
        use convene::db::schema::series::dsl::*;
        diesel::insert_into(series)
            .values((
                slug.eq("retired"),
                kind.eq("webinar"),
                title.eq("A retired series"),
                description.eq(""),
                timezone.eq("America/Chicago"),
                start_time.eq("11:00"),
                duration_minutes.eq(45),
                rule.eq("FREQ=MONTHLY;BYDAY=1WE"),
                capacity.eq(30),
                join_url.eq("https://zoom.us/j/2"),
                organizer_name.eq("Someone"),
                organizer_email.eq("someone@example.org"),
                created_at.eq(now),
                updated_at.eq(now),
            ))
            .execute(c)
            .unwrap()
    });
    let (status, retired) = get(&app, "/api/v1/organizer/series/retired", &organizer).await;
    assert_eq!(status, 200, "{retired}");
    assert!(retired["config"].is_null(), "{retired}");
    let path = "/api/v1/organizer/series/retired";
    let (status, refused) = send(
        &app,
        reqwest::Method::PATCH,
        path,
        Some(&organizer),
        Some(json!({ "reset": ["title"] })),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["reset"].is_string(), "{refused}");
    let (status, changed) = send(
        &app,
        reqwest::Method::PATCH,
        path,
        Some(&organizer),
        Some(json!({ "capacity": 35 })),
    )
    .await;
    assert_eq!(status, 200, "its values can still change: {changed}");
    assert_eq!(changed["series"]["capacity"], 35);
}
