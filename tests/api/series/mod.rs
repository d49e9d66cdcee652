//! A series' defaults as organizers edit them, over HTTP: the API and the
//! series page, role by role; an edit survives the scheduler and reaches
//! the sessions it generates later, `reset` hands a default back to config,
//! and `apply_to_upcoming` changes the upcoming sessions still on the old
//! default — with their registrants' calendars.

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use convene::Settings;
use diesel::prelude::*;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime};
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, post_page, send, sign_in, token, with_conn, TestApp,
};

const ORGANIZER: &str = "org@example.org";
const FACILITATOR: &str = "fac@example.org";
const CONFIG_TITLE: &str = "Workforce Solutions Jam";

async fn get(app: &TestApp, path: &str, bearer: &str) -> (u16, Value) {
    send(app, reqwest::Method::GET, path, Some(bearer), None).await
}

async fn patch_series(app: &TestApp, bearer: &str, body: Value) -> (u16, Value) {
    let path = "/api/v1/organizer/series/jam";
    send(app, reqwest::Method::PATCH, path, Some(bearer), Some(body)).await
}

/// Patches the series and insists it worked; returns the answer.
async fn patch_ok(app: &TestApp, bearer: &str, body: Value) -> Value {
    let (status, answer) = patch_series(app, bearer, body.clone()).await;
    assert_eq!(status, 200, "PATCH {body} should work: {answer}");
    answer
}

/// An organizer's token.
async fn organizer(app: &TestApp) -> String {
    create_user(app, ORGANIZER, Role::Organizer);
    token(app, ORGANIZER).await
}

/// One scheduler tick with `settings` (e.g. a changed config).
async fn tick(app: &TestApp, settings: &Settings) -> convene::jobs::Tick {
    convene::jobs::tick(&app.pool, Arc::new(settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

/// The app's settings with the Jam's config changed by `change`.
fn config_changed(
    app: &TestApp,
    change: impl FnOnce(&mut convene::config::SeriesSettings),
) -> Settings {
    let mut settings = app.settings.clone();
    change(settings.series.get_mut("jam").unwrap());
    settings
}

/// A session as stored.
#[derive(Debug, Clone, Queryable)]
struct Row {
    id: i64,
    title: String,
    description: String,
    capacity: i32,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    sequence: i32,
}

impl Row {
    fn minutes(&self) -> i64 {
        (self.ends_at - self.starts_at).num_minutes()
    }
}

/// The Jam's scheduled sessions, soonest first.
fn sessions(app: &TestApp) -> Vec<Row> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::sessions::dsl::*;
        sessions
            .filter(status.eq("scheduled"))
            .order(starts_at)
            .select((
                id,
                title,
                description,
                capacity,
                starts_at,
                ends_at,
                sequence,
            ))
            .load(c)
            .unwrap()
    })
}

/// (action, subject) of every audit entry, oldest first.
fn audit(app: &TestApp) -> Vec<(String, String)> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .order(id)
            .select((action, subject))
            .load(c)
            .unwrap()
    })
}

fn count(audit: &[(String, String)], action: &str) -> usize {
    audit.iter().filter(|(a, _)| a == action).count()
}

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

    // A deployment changes the configured title, capacity and description.
    let changed = config_changed(&app, |jam| {
        jam.title = "Config Jam".into();
        jam.capacity = 400;
        jam.description = "Said by the new config.".into();
    });
    tick(&app, &changed).await;
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
    tick(&app, &changed).await;
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

#[tokio::test]
async fn applying_to_upcoming_sessions_changes_those_on_the_old_default_and_tells_registrants() {
    let app = TestApp::spawn().await;
    let organizer = organizer(&app).await;
    let before = sessions(&app);
    assert!(before.len() >= 3, "a few months of Jams: {before:?}");
    let (first, second, third) = (before[0].id, before[1].id, before[2].id);
    app.register_ok(first, "ada@example.org").await;
    let confirmation = app.smtp.wait_for("ada@example.org", 1).await.remove(0);
    assert!(confirmation.calendar.is_some(), "ada holds an invitation");
    // Organizers set the second's title and the third's capacity by hand.
    for (id, body) in [
        (second, json!({ "title": "A special Jam" })),
        (third, json!({ "capacity": "50" })),
    ] {
        let (status, answer) = send(
            &app,
            reqwest::Method::PATCH,
            &format!("/api/v1/organizer/sessions/{id}"),
            Some(&organizer),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }

    let answer = patch_ok(
        &app,
        &organizer,
        json!({
            "title": "The Jam",
            "capacity": 2000,
            "duration_minutes": 90,
            "apply_to_upcoming": true,
        }),
    )
    .await;
    assert_eq!(
        answer["sessions_updated"].as_u64(),
        Some(before.len() as u64),
        "each session had at least one old default: {answer}"
    );
    assert_eq!(answer["messages_queued"], 1, "ada's update: {answer}");

    let after = sessions(&app);
    let by_id = |id: i64| after.iter().find(|s| s.id == id).unwrap().clone();
    let was = |id: i64| before.iter().find(|s| s.id == id).unwrap().clone();
    let one = by_id(first);
    assert_eq!(
        (one.title.as_str(), one.capacity, one.minutes()),
        ("The Jam", 2000, 90),
        "the new defaults"
    );
    assert_eq!(one.starts_at, was(first).starts_at, "same start");
    assert_eq!(one.sequence, 1, "one calendar change, one SEQUENCE step");
    let two = by_id(second);
    assert_eq!(
        (two.title.as_str(), two.capacity, two.minutes()),
        ("A special Jam", 2000, 90),
        "its own title stays; the rest follows"
    );
    assert_eq!(two.sequence, 2, "its own edit, then the series'");
    let three = by_id(third);
    assert_eq!(
        (three.title.as_str(), three.capacity),
        ("The Jam", 50),
        "its own capacity stays"
    );

    let mails = app.smtp.wait_for("ada@example.org", 2).await;
    let update = mails
        .iter()
        .find(|m| m.subject.contains("The Jam"))
        .unwrap_or_else(|| {
            panic!(
                "an update: {:?}",
                mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
            )
        });
    let (method, ics) = update.calendar.as_ref().expect("the updated invitation");
    assert_eq!(method.to_uppercase(), "REQUEST");
    let calendar: icalendar::Calendar = ics.parse().expect("the calendar part parses");
    let event = calendar.events().next().expect("an event");
    assert_eq!(event.get_sequence(), Some(1), "{ics}");
    assert_eq!(event.get_summary(), Some("The Jam"), "{ics}");
    assert_eq!(
        event.get_end(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(
            one.ends_at.and_utc()
        ))),
        "the new end: {ics}"
    );
    assert_eq!(
        app.outbox("registration:")
            .iter()
            .filter(|(k, _, _)| k.contains(":session-update:1"))
            .count(),
        1,
        "one update for ada"
    );

    let entries = audit(&app);
    assert_eq!(count(&entries, "series.update"), 1);
    assert_eq!(
        count(&entries, "session.reschedule"),
        before.len(),
        "each session's change audited as an organizer's: {entries:?}"
    );
}

/// `form` with `changes` instead of the same fields' values.
fn with_changes<'a>(
    form: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    form.extend(changes.iter().cloned());
    form
}

#[tokio::test]
async fn the_series_page_shows_the_defaults_and_its_form_changes_them() {
    let app = TestApp::spawn().await;
    create_user(&app, FACILITATOR, Role::Facilitator);
    create_user(&app, ORGANIZER, Role::Organizer);
    let first = sessions(&app)[0].id;

    // A facilitator sees nothing of the Jam's series.
    let facilitator = sign_in(&app, FACILITATOR).await;
    let dashboard = page(&app, "/organizer", &facilitator)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !dashboard.contains("href=\"/organizer/series/jam\""),
        "a facilitator's dashboard does not link the series"
    );
    let refused = page(&app, "/organizer/series/jam", &facilitator).await;
    assert_eq!(refused.status().as_u16(), 403, "nor shows its page");

    let cookie = sign_in(&app, ORGANIZER).await;
    let dashboard = page(&app, "/organizer", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains("href=\"/organizer/series/jam\""),
        "the dashboard links the series"
    );
    let response = page(&app, "/organizer/series/jam", &cookie).await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    for shown in [
        CONFIG_TITLE,
        // Handlebars escapes `=`.
        "FREQ&#x3D;MONTHLY;BYDAY&#x3D;3TU",
        "America/New_York",
        &format!("href=\"/organizer/sessions/{first}\""),
    ] {
        assert!(html.contains(shown), "{shown} on the page:\n{html}");
    }
    assert_eq!(
        page(&app, "/organizer/series/nope", &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
    let csrf = csrf_of(&html);
    let jam = &app.settings.series["jam"];
    let (join, email) = (jam.join_url.to_string(), jam.organizer_email.to_string());
    let untouched: Vec<(&str, &str)> = vec![
        ("title", CONFIG_TITLE),
        ("description", &jam.description),
        ("duration_minutes", "60"),
        ("capacity", "1000"),
        ("join_url", &join),
        ("organizer_name", &jam.organizer_name),
        ("organizer_email", &email),
        ("apply_to_upcoming", "on"),
    ];
    let path = "/organizer/series/jam";
    let with = |changes: &[(&'static str, &'static str)]| with_changes(&untouched, changes);

    let forged = post_page(&app, path, &cookie, &with(&[("title", "Forged")])).await;
    assert_eq!(forged.status().as_u16(), 403, "no CSRF token");

    let mut form = untouched.clone();
    form.push(("csrf", &csrf));
    let same = post_page(&app, path, &cookie, &form).await;
    assert_eq!(same.status().as_u16(), 303, "an untouched form is fine");
    assert_eq!(
        count(&audit(&app), "series.update"),
        0,
        "and writes nothing"
    );

    let mut bad = with(&[("capacity", "lots"), ("title", "The Jam")]);
    bad.push(("csrf", &csrf));
    let refused = post_page(&app, path, &cookie, &bad).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("is not a number of places") && html.contains("value=\"lots\""),
        "the form again, with the message and what was typed:\n{html}"
    );
    assert_eq!(count(&audit(&app), "series.update"), 0);

    let mut change = with(&[("title", "The Jam")]);
    change.push(("csrf", &csrf));
    let saved = post_page(&app, path, &cookie, &change).await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(
        saved.headers()["location"].to_str().unwrap(),
        "/organizer/series/jam"
    );
    let after = sessions(&app);
    assert!(
        after
            .iter()
            .all(|s| s.title == "The Jam" && s.sequence == 1),
        "applied to every upcoming session (ticked by default): {after:?}"
    );
    let html = page(&app, "/organizer/series/jam", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("The Jam") && html.contains("organizer</span>"),
        "{html}"
    );

    let mut reset = with(&[("reset", "title")]);
    reset.retain(|(k, _)| *k != "apply_to_upcoming");
    reset.push(("csrf", &csrf));
    assert_eq!(
        post_page(&app, path, &cookie, &reset)
            .await
            .status()
            .as_u16(),
        303
    );
    let row = with_conn(&app.pool, |c| {
        convene::series::model::find_series(c, "jam")
            .unwrap()
            .unwrap()
    });
    assert_eq!((row.title.as_str(), row.edited()), (CONFIG_TITLE, vec![]));
    assert!(
        sessions(&app).iter().all(|s| s.title == "The Jam"),
        "not applied to sessions when unticked"
    );
    assert_eq!(count(&audit(&app), "series.update"), 2);
}
