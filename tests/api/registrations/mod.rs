//! The organizer API for registrations: listing and searching, adding,
//! cancelling and promoting by hand, the CSV export, and a person's data
//! (export and erase) — over HTTP and the real CLI, role by role.

use chrono::{Duration, Utc};
use convene::auth::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{create_user, send, token, with_conn, TestApp};

mod export;
mod manage;

const ADMIN: &str = "admin@example.org";
const ORGANIZER: &str = "org@example.org";
const FACILITATOR: &str = "fac@example.org";

/// An app with one user of each role; returns their tokens.
async fn app_with_users() -> (TestApp, Tokens) {
    let app = TestApp::spawn().await;
    create_user(&app, ADMIN, Role::Admin);
    create_user(&app, ORGANIZER, Role::Organizer);
    create_user(&app, FACILITATOR, Role::Facilitator);
    let tokens = Tokens {
        admin: token(&app, ADMIN).await,
        organizer: token(&app, ORGANIZER).await,
        facilitator: token(&app, FACILITATOR).await,
    };
    (app, tokens)
}

struct Tokens {
    admin: String,
    organizer: String,
    facilitator: String,
}

async fn get(app: &TestApp, path: &str, bearer: &str) -> (u16, Value) {
    send(app, reqwest::Method::GET, path, Some(bearer), None).await
}

async fn post(app: &TestApp, path: &str, bearer: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, Some(bearer), Some(body)).await
}

/// A one-off session 40 days out with room for `capacity`.
async fn session_with_capacity(app: &TestApp, bearer: &str, capacity: u32) -> i64 {
    let (status, body) = post(
        app,
        "/api/v1/organizer/sessions",
        bearer,
        json!({
            "series": "jam",
            "start": (Utc::now() + Duration::days(40)).to_rfc3339(),
            "title": "Small group",
            "capacity": capacity.to_string(),
        }),
    )
    .await;
    assert_eq!(status, 201, "session created: {body}");
    body["session"]["id"].as_i64().unwrap()
}

fn person(first: &str, last: &str, email: &str, organization: &str) -> Value {
    json!({
        "first_name": first,
        "last_name": last,
        "email": email,
        "organization": organization,
        "job_title": "Director",
        "sector": "provider",
        "state": "NY",
    })
}

/// Adds `body` by hand to `session`; returns the registration.
async fn add(app: &TestApp, bearer: &str, session: i64, body: Value) -> Value {
    let (status, reply) = post(
        app,
        &format!("/api/v1/organizer/sessions/{session}/registrations"),
        bearer,
        body,
    )
    .await;
    assert_eq!(status, 201, "added by hand: {reply}");
    reply
}

fn emails(body: &Value) -> Vec<String> {
    body["registrations"]
        .as_array()
        .unwrap_or_else(|| panic!("a registrations array in {body}"))
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_string())
        .collect()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// Audit actions for `subject`, oldest first.
fn audit_actions(app: &TestApp, subject_is: &str) -> Vec<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .filter(subject.eq(subject_is))
            .order(id)
            .select(action)
            .load(c)
            .unwrap()
    })
}
