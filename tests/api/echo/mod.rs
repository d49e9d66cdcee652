//! The Workforce ECHO: cohorts and their sessions across a DST change,
//! applications through approval, the magic link to the participant's
//! page and feed, roles, the application window, config-seeded cohorts and
//! the facilitators' pages.

use chrono::{DateTime, TimeZone, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{create_user, token, with_conn, TestApp};

mod applicants;
mod cohorts;
mod facilitators;

/// October 1st 2026: cohort 3's applications are open.
pub(crate) fn october() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
}

/// An app on a manual clock with a facilitator; returns their token.
pub(crate) async fn echo_app(capacity: u32) -> (TestApp, String) {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let t = token(&app, "hub@example.org").await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        &t,
        Some(cohort_3(capacity)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (app, t)
}

/// Cohort 3: second Thursdays, November 2026 to April 2027 (across the
/// March 2027 DST change), applications September 15 – October 31.
pub(crate) fn cohort_3(capacity: u32) -> Value {
    json!({
        "slug": "cohort-3",
        "name": "Cohort 3",
        "starts_on": "2026-11-01",
        "ends_on": "2027-04-30",
        "rule": "FREQ=MONTHLY;BYDAY=2TH",
        "start_time": "15:00",
        "capacity": capacity,
        "applications_open_on": "2026-09-15",
        "applications_close_on": "2026-10-31",
    })
}

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

pub(crate) fn application(email: &str, role: &str) -> Vec<(&'static str, String)> {
    vec![
        ("first_name", "Dorothea".into()),
        ("last_name", "Dix".into()),
        ("email", email.into()),
        ("organization", "Hudson Valley CMHC".into()),
        ("organization_type", "cmhc".into()),
        ("state", "NY".into()),
        ("job_title", "Clinical director".into()),
        ("role", role.into()),
        (
            "hopes_to_bring",
            "Ten years of running a rural crisis team.".into(),
        ),
        (
            "hopes_to_learn",
            "How others keep peer specialists past the first year.".into(),
        ),
    ]
}

pub(crate) async fn apply(app: &TestApp, form: &[(&'static str, String)]) -> reqwest::Response {
    app.client
        .post(format!("{}/echo/cohort-3/apply", app.address))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub(crate) fn application_ids(app: &TestApp) -> Vec<i64> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        use diesel::prelude::*;
        applications.order(id).select(id).load(c).unwrap()
    })
}

/// The magic-link page path of the approved applicant `email`.
pub(crate) fn participant_page(app: &TestApp, email: &str) -> String {
    let token: Option<String> = with_conn(&app.pool, |c| {
        use convene::db::schema::{applications, people};
        use diesel::prelude::*;
        applications::table
            .inner_join(people::table)
            .filter(people::email.eq(email))
            .select(applications::access_token_sealed)
            .first(c)
            .unwrap()
    });
    format!(
        "/echo/p/{}",
        crate::helpers::open_link(app, &token.expect("approved"))
    )
}

fn vevents(ics: &str) -> usize {
    ics.matches("BEGIN:VEVENT").count()
}
