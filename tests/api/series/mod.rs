//! A series' defaults as organizers edit them, over HTTP: the API and the
//! series page, role by role; an edit survives the scheduler and reaches
//! the sessions it generates later, `reset` hands a default back to config,
//! and `apply_to_upcoming` changes the upcoming sessions still on the old
//! default — with their registrants' calendars.

use std::sync::Arc;

use chrono::NaiveDateTime;
use convene::auth::Role;
use convene::Settings;
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{create_user, send, token, with_conn, TestApp};

mod config;
mod defaults;
mod upcoming;

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

/// One scheduler tick with `settings`.
async fn tick(app: &TestApp, settings: &Settings) -> convene::jobs::Tick {
    convene::jobs::tick(&app.pool, Arc::new(settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

/// What a restart with `settings` (a changed config) does to the series
/// before any tick: config is read only at start-up.
async fn restart(app: &TestApp, settings: &Settings) {
    convene::jobs::sync_series(&app.pool, Arc::new(settings.clone()), app.clock.now())
        .await
        .expect("series synced at start-up");
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
