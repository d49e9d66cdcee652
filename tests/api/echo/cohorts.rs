//! Creating cohorts: sessions at one local time across DST, and every
//! field checked.

use convene::auth::Role;
use serde_json::{json, Value};

use super::{call, cohort_3, echo_app};
use crate::helpers::{create_user, token, with_conn, TestApp};

#[tokio::test]
async fn a_cohort_gets_all_its_sessions_at_the_same_local_time_across_dst() {
    let (app, t) = echo_app(40).await;
    let (status, cohort) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        &t,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let starts: Vec<&str> = cohort["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-11-12T20:00:00+00:00",
            "2026-12-10T20:00:00+00:00",
            "2027-01-14T20:00:00+00:00",
            "2027-02-11T20:00:00+00:00",
            "2027-03-11T20:00:00+00:00",
            "2027-04-08T19:00:00+00:00",
        ],
        "15:00 New York: EST, then EDT after March 14"
    );
    assert_eq!(cohort["sessions"][0]["case_slots"], 2);

    // Cohort sessions are not webinars: not listed, not open to register.
    let listed: Vec<Value> = app.sessions().await;
    assert!(listed.iter().all(|s| s["series"] == "jam"), "{listed:?}");
    let id = cohort["sessions"][0]["id"].as_i64().unwrap();
    let public = app.get(&format!("/sessions/{id}")).await;
    assert_eq!(public.status().as_u16(), 303);
    let to = public.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(app.get(&to).await.headers()["location"], "/echo/cohort-3");
    let register = app
        .post_form(
            &format!("/sessions/{id}/register"),
            &crate::helpers::registration_form("x@example.org"),
        )
        .await;
    assert_ne!(
        register.status().as_u16(),
        303,
        "no registration for a cohort session"
    );

    // The didactic topic retitles the session.
    let (status, body) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/echo/sessions/{id}"),
        &t,
        Some(json!({ "didactic_topic": "Supervision that keeps people", "faculty_name": "Dr. Rivera", "faculty_email": "rivera@example.org", "case_slots": 1 })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, cohort) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        &t,
        None,
    )
    .await;
    assert_eq!(
        cohort["sessions"][0]["title"],
        "Workforce ECHO: Supervision that keeps people"
    );
    assert_eq!(cohort["sessions"][0]["case_slots"], 1);
    let (status, body) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/echo/sessions/{id}"),
        &t,
        Some(json!({ "faculty_email": "nope", "case_slots": 9 })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"]["faculty_email"].is_string()
            && body["error"]["fields"]["case_slots"].is_string(),
        "{body}"
    );
}

/// Posts cohort 4, a valid one but for `changes`.
async fn post_cohort_4(app: &TestApp, t: &str, changes: Value) -> (u16, Value) {
    let mut cohort = json!({
        "slug": "cohort-4", "name": "Cohort 4", "starts_on": "2027-01-01", "ends_on": "2027-06-30",
        "applications_open_on": "2026-10-01", "applications_close_on": "2026-12-01",
    });
    for (field, value) in changes.as_object().into_iter().flatten() {
        cohort[field] = value.clone();
    }
    call(
        app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        t,
        Some(cohort),
    )
    .await
}

#[tokio::test]
async fn a_cohort_dated_outside_1900_to_2200_is_a_422_naming_each_date() {
    let (app, t) = echo_app(40).await;
    // `+262142-12-01` is a date chrono reads; a weekly rule over it once
    // listed every day to the end of time and panicked at its last month.
    let (status, body) = post_cohort_4(
        &app,
        &t,
        json!({
            "starts_on": "+262142-12-01", "ends_on": "+262142-12-31", "applications_open_on": "1899-12-31",
            "rule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in ["starts_on", "ends_on", "applications_open_on"] {
        let message = body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(
            message.contains("between the years 1900 and 2200"),
            "{field} should be refused for its year: {body}"
        );
    }
    assert!(
        body["error"]["fields"]["applications_close_on"].is_null(),
        "a date in range is not blamed: {body}"
    );
}

#[tokio::test]
async fn a_rule_with_a_multibyte_weekday_is_a_422_not_a_crash() {
    let (app, t) = echo_app(40).await;
    let (status, body) = post_cohort_4(&app, &t, json!({ "rule": "FREQ=MONTHLY;BYDAY=éX" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["rule"]
            .as_str()
            .is_some_and(|m| m.contains("BYDAY")),
        "the rule is blamed: {body}"
    );
    let (status, body) = post_cohort_4(&app, &t, json!({})).await;
    assert_eq!(status, 201, "the server still answers: {body}");
}

#[tokio::test]
async fn creating_cohorts_checks_the_role_and_every_field() {
    let (app, t) = echo_app(40).await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        &t,
        Some(cohort_3(40)),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("slug_taken"))
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        &t,
        Some(json!({ "slug": "Cohort 4", "name": "Cohort 4", "starts_on": "2027-13-01", "ends_on": "2027-06-30", "applications_open_on": "2027-01-01", "applications_close_on": "2026-12-01", "rule": "FREQ=DAILY" })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in ["slug", "starts_on", "rule"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field} in {body}"
        );
    }
    create_user(&app, "org@example.org", Role::Organizer);
    let organizer = token(&app, "org@example.org").await;
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        &organizer,
        Some(cohort_3(40)),
    )
    .await;
    assert_eq!(
        status, 403,
        "organizers read ECHO data but do not change it"
    );
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts",
        &organizer,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let anonymous = app
        .client
        .get(format!("{}/api/v1/echo/cohorts", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let audited: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(action.eq("cohort.create"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(audited, 1);
}
