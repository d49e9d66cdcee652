//! Organizers assigning facilitators, who then see only their cohorts.

use convene::auth::Role;
use convene::clock::Clock;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use super::world::{api, sole_id};
use super::{HUB, ORGANIZER, OTHER};
use crate::echo::{cohort_3, october};
use crate::helpers::{
    create_user, csrf_of, page, post_page, run_convene, send, sign_in, token, with_conn, TestApp,
};

#[tokio::test]
async fn organizers_assign_facilitators_who_then_see_only_the_cohorts_they_run() {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    for (email, role) in [
        (ORGANIZER, Role::Organizer),
        (HUB, Role::Facilitator),
        (OTHER, Role::Facilitator),
    ] {
        create_user(&app, email, role);
    }
    let (organizer, hub, other) = (
        token(&app, ORGANIZER).await,
        token(&app, HUB).await,
        token(&app, OTHER).await,
    );
    api(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts",
        &hub,
        Some(cohort_3(30)),
    )
    .await;
    let slugs = |body: Value| -> Vec<String> {
        body["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |bearer: String| {
        let app = &app;
        async move { api(app, Method::GET, "/api/v1/echo/cohorts", &bearer, None).await }
    };
    assert_eq!(
        slugs(list(hub.clone()).await),
        ["cohort-3"],
        "its creator runs it"
    );
    assert!(
        slugs(list(other.clone()).await).is_empty(),
        "a facilitator not assigned sees no cohort"
    );
    assert_eq!(
        slugs(list(organizer.clone()).await),
        ["cohort-3"],
        "organizers see every cohort"
    );

    // An organizer assigns the other facilitator from the cohort's page.
    let cookie = sign_in(&app, ORGANIZER).await;
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Facilitators") && html.contains(&format!("value=\"{OTHER}\"")),
        "the page offers the unassigned facilitator: {html}"
    );
    let assigned = post_page(
        &app,
        "/organizer/echo/cohort-3/facilitators",
        &cookie,
        &[("csrf", &csrf_of(&html)), ("email", OTHER)],
    )
    .await;
    assert_eq!(assigned.status().as_u16(), 303, "assigned from the page");
    assert_eq!(
        slugs(list(other.clone()).await),
        ["cohort-3"],
        "now they run it"
    );
    let (_, cohort) = send(
        &app,
        Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&other),
        None,
    )
    .await;
    let staff: Vec<&str> = cohort["facilitators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        staff,
        [HUB, OTHER],
        "the cohort names its facilitators by name: {cohort}"
    );

    // Only facilitators are assigned; a facilitator does not assign.
    let (status, body) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts/cohort-3/facilitators",
        Some(&organizer),
        Some(json!({ "email": ORGANIZER })),
    )
    .await;
    assert_eq!(
        status, 422,
        "an organizer sees every cohort already: {body}"
    );
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");
    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts/cohort-3/facilitators",
        Some(&hub),
        Some(json!({ "email": OTHER })),
    )
    .await;
    assert_eq!(status, 403, "a facilitator may not assign");

    // Unassigned through the API: the cohort is hidden from them again.
    let other_id = sole_id(
        &app,
        &format!("SELECT id FROM users WHERE email = '{OTHER}'"),
    );
    let (status, body) = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/echo/cohorts/cohort-3/facilitators/{other_id}"),
        Some(&organizer),
        None,
    )
    .await;
    assert_eq!(
        (status, body["facilitators"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{body}"
    );
    let (status, body) = send(
        &app,
        Method::GET,
        "/api/v1/echo/cohorts/cohort-3",
        Some(&other),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (404, Some("no cohort `cohort-3`")),
        "the same answer as for a cohort that does not exist"
    );

    // The other facilitator's page sign-in: their dashboard has no Jam.
    let theirs = sign_in(&app, OTHER).await;
    let dashboard = page(&app, "/organizer", &theirs)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains("not assigned to a cohort")
            && !dashboard.contains("Upcoming sessions")
            && !dashboard.contains("/organizer/outbox"),
        "a facilitator's dashboard shows their cohorts, nothing of the Jam: {dashboard}"
    );
    let hubs = sign_in(&app, HUB).await;
    let dashboard = page(&app, "/organizer", &hubs).await.text().await.unwrap();
    assert!(
        dashboard.contains("href=\"/organizer/echo/cohort-3\""),
        "the facilitator's dashboard links the cohort they run"
    );

    // Each change is in the audit log, and so is the creator's.
    let audit: Vec<(String, Option<String>, Option<String>)> = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.like("cohort.facilitator.%"))
            .order(id)
            .select((action, before, after))
            .load(c)
            .unwrap()
    });
    let actions: Vec<&str> = audit.iter().map(|(a, ..)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "cohort.facilitator.assign",
            "cohort.facilitator.assign",
            "cohort.facilitator.unassign"
        ],
        "the creator's assignment, the page's, the API's removal"
    );
    assert!(
        audit[2].1.as_deref().unwrap_or_default().contains(OTHER),
        "the removal names whom: {audit:?}"
    );

    // The command line assigns and unassigns too.
    let run = run_convene(
        &app,
        &["user", "assign", "--email", OTHER, "--cohort", "cohort-3"],
        "",
    )
    .await;
    assert!(run.ok, "convene user assign: {}", run.stderr);
    assert_eq!(
        slugs(list(other.clone()).await),
        ["cohort-3"],
        "assigned at the command line"
    );
    let listed = run_convene(&app, &["user", "list"], "").await;
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.contains(OTHER) && l.contains("runs cohort-3")),
        "the list shows who runs what: {}",
        listed.stdout
    );
    let refused = run_convene(
        &app,
        &[
            "user", "assign", "--email", ORGANIZER, "--cohort", "cohort-3",
        ],
        "",
    )
    .await;
    assert!(
        !refused.ok && refused.stderr.contains("facilitators are assigned"),
        "an organizer is not assigned: {}",
        refused.stderr
    );
    let run = run_convene(
        &app,
        &["user", "unassign", "--email", OTHER, "--cohort", "cohort-3"],
        "",
    )
    .await;
    assert!(run.ok, "convene user unassign: {}", run.stderr);
    assert!(
        slugs(list(other).await).is_empty(),
        "unassigned at the command line"
    );
}
