//! Erasing people the app knows from one place only: an address seen only
//! on a lineup, and an admin whose name is on imports and assignments.

use convene::auth::Role;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use super::{call, columns_holding};
use crate::helpers::{create_user, send, token, with_conn, TestApp};

#[tokio::test]
async fn an_address_known_only_from_a_lineup_is_exported_and_erased() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    let t = token(&app, "admin@example.org").await;
    let jam = app.next_jam().await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/organizer/sessions/{jam}/lineup"),
        &t,
        Some(json!({ "name": "Grace Hopper", "email": "grace@example.org", "role": "presenter" })),
    )
    .await;

    let export = call(
        &app,
        Method::GET,
        "/api/v1/organizer/people/export?email=grace@example.org",
        &t,
        None,
    )
    .await;
    assert!(export["person"].is_null(), "no person record: {export}");
    assert_eq!(export["lineup_slots"][0]["name"], "Grace Hopper");
    let erased = call(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        &t,
        Some(json!({ "email": "grace@example.org" })),
    )
    .await;
    assert_eq!(erased["lineup_slots"], 1, "{erased}");
    assert!(erased["person_id"].is_null(), "{erased}");
    for needle in ["grace@example.org", "Grace Hopper"] {
        assert_eq!(
            columns_holding(&app, needle),
            Vec::<String>::new(),
            "{needle} is gone"
        );
    }
}

#[tokio::test]
async fn an_admin_erased_leaves_no_address_on_the_imports_and_assignments_they_made() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    create_user(&app, "lead@example.org", Role::Admin);
    create_user(&app, "hub@example.org", Role::Facilitator);
    let admin = token(&app, "admin@example.org").await;
    let lead = token(&app, "lead@example.org").await;
    let jam = app.next_jam().await;
    let (status, body) = crate::attendance::upload(
        &app,
        &lead,
        jam,
        "zoom",
        crate::attendance::fixture("zoom_rejoins.csv"),
    )
    .await;
    assert_eq!(status, 200, "the admin imports a report: {body}");
    let (status, body) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts",
        Some(&lead),
        Some(crate::echo::cohort_3(20)),
    )
    .await;
    assert_eq!(status, 201, "the admin creates a cohort: {body}");
    let (status, body) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts/cohort-3/facilitators",
        Some(&lead),
        Some(json!({ "email": "hub@example.org" })),
    )
    .await;
    assert!(
        status < 300,
        "the admin assigns a facilitator: {status} {body}"
    );
    let signed = |c: &mut convene::db::DbConnection| -> Vec<String> {
        use convene::db::schema::{attendance_imports, cohort_facilitators};
        let mut by: Vec<String> = attendance_imports::table
            .select(attendance_imports::imported_by)
            .load(c)
            .unwrap();
        by.extend(
            cohort_facilitators::table
                .select(cohort_facilitators::assigned_by)
                .load::<String>(c)
                .unwrap(),
        );
        by
    };
    let before = with_conn(&app.pool, signed);
    assert!(
        before
            .iter()
            .filter(|b| b.contains("lead@example.org"))
            .count()
            >= 2,
        "the import and the assignment name who made them: {before:?}"
    );

    let (status, erased) = send(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&admin),
        Some(json!({ "email": "lead@example.org" })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    let after = with_conn(&app.pool, signed);
    assert_eq!(after.len(), before.len(), "the rows stay");
    assert!(
        after.iter().all(|b| !b.contains("lead@example.org")),
        "no import or assignment names the erased admin: {after:?}"
    );
}
