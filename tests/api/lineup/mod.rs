//! Presenter lineups: the invitation to present arrives by e-mail, its
//! accept link asks before it acts, accepting confirms and sends the
//! session's calendar invitation, and the confirmed lineup shows on the
//! session page, in the feed and in the list's invitations. Declining,
//! expiry, the one reminder, lever tags and roles.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use convene::jobs;
use serde_json::{json, Value};

use crate::helpers::{create_user, token, with_conn, Mail, TestApp};

mod changes;
mod invitations;
mod slots;

const GRACE: &str = "grace@example.org";

/// An app on a manual clock with an organizer signed in; returns its token.
async fn organizer_app() -> (TestApp, String) {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    (app, t)
}

/// (status, JSON body) of an API call with a bearer token.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A Jam at least three weeks after the app's clock (time enough for a
/// reminder and for a link to expire before it starts).
async fn jam_three_weeks_ahead(app: &TestApp) -> i64 {
    let after = app.clock.now() + Duration::days(21);
    app.sessions()
        .await
        .into_iter()
        .find(|s| {
            s["starts_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
                > after
        })
        .and_then(|s| s["id"].as_i64())
        .expect("a Jam three weeks ahead")
}

/// Adds Grace to the session's lineup and sends her the invitation.
async fn invite_grace(app: &TestApp, t: &str, session: i64) -> i64 {
    let (status, slot) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        t,
        Some(json!({
            "name": "Grace Hopper",
            "email": GRACE,
            "role": "presenter",
            "talk_title": "Paying peer specialists what they are worth",
            "bio": "Grace runs a community clinic in Ohio.",
            "minutes": 20,
            "levers": ["payment", "workforce-expansion"],
            "invite": true,
        })),
    )
    .await;
    assert_eq!(status, 201, "adding a slot: {slot}");
    assert_eq!(slot["status"], "invited", "{slot}");
    slot["id"].as_i64().unwrap()
}

/// The path of the first `/present/…/<answer>` link in the mail.
fn answer_path(mail: &Mail, answer: &str) -> String {
    let at = mail.text.find("/present/").expect("a /present/ link");
    let token: String = mail.text[at + 9..].chars().take(40).collect();
    format!("/present/{token}/{answer}")
}

fn slot_status(app: &TestApp, slot: i64) -> String {
    with_conn(&app.pool, |c| {
        use convene::db::schema::lineup_slots;
        use diesel::prelude::*;
        lineup_slots::table
            .find(slot)
            .select(lineup_slots::status)
            .first(c)
            .unwrap()
    })
}

fn session_uid(app: &TestApp, session: i64) -> String {
    with_conn(&app.pool, |c| {
        use convene::db::schema::sessions;
        use diesel::prelude::*;
        sessions::table
            .find(session)
            .select(sessions::uid)
            .first(c)
            .unwrap()
    })
}

/// Reschedules the session to forty days after the clock, over the API.
async fn move_forty_days_out(app: &TestApp, t: &str, session: i64) {
    let new_start = app.clock.now() + Duration::days(40);
    let (status, body) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/reschedule"),
        t,
        Some(json!({ "start": new_start.to_rfc3339() })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Cancels the session ("A holiday week"), over the API.
async fn cancel_for_a_holiday(app: &TestApp, t: &str, session: i64) {
    let (status, body) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/cancel"),
        t,
        Some(json!({ "reason": "A holiday week" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn tick(app: &TestApp) -> jobs::Tick {
    jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}
