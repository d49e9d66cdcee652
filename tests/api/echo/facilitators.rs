//! Cohorts seeded from config, and run by facilitators from their pages.

use std::sync::Arc;

use convene::auth::Role;
use convene::clock::Clock;

use super::{application, application_ids, apply, october};
use crate::helpers::{create_user, csrf_of, page, post_page, sign_in, with_conn, TestApp};

#[tokio::test]
async fn config_seeds_a_cohort_once() {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |s| {
        let cohort = toml_cohort();
        s.series
            .get_mut("echo")
            .unwrap()
            .cohorts
            .insert("cohort-9".into(), cohort);
    })
    .await;
    let settings = Arc::new(app.settings.clone());
    for _ in 0..2 {
        convene::jobs::tick(&app.pool, settings.clone(), app.clock.now())
            .await
            .expect("tick");
    }
    let (cohorts, sessions): (i64, i64) = with_conn(&app.pool, |c| {
        use convene::db::schema::{cohorts, echo_sessions};
        use diesel::prelude::*;
        (
            cohorts::table.count().get_result(c).unwrap(),
            echo_sessions::table.count().get_result(c).unwrap(),
        )
    });
    assert_eq!(
        (cohorts, sessions),
        (1, 4),
        "four weekly sessions, created once"
    );
    let html = app.get("/echo").await.text().await.unwrap();
    assert!(
        html.contains("Cohort 9") && html.contains("taking applications"),
        "{html}"
    );
}

fn toml_cohort() -> convene::config::CohortSettings {
    let text = r#"
        name = "Cohort 9"
        starts_on = "2026-11-05"
        ends_on = "2026-11-26"
        rule = "FREQ=WEEKLY;BYDAY=TH"
        applications_open_on = "2026-09-01"
        applications_close_on = "2026-10-31"
    "#;
    use figment::providers::Format;
    figment::Figment::from(figment::providers::Toml::string(text))
        .extract()
        .expect("a cohort")
}

#[tokio::test]
async fn facilitators_run_cohorts_from_their_pages() {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let cookie = sign_in(&app, "hub@example.org").await;
    let html = page(&app, "/organizer/echo", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Create a cohort"));
    let csrf = csrf_of(&html);
    let fields = [
        ("csrf", csrf.as_str()),
        ("program", "echo"),
        ("name", "Cohort 3"),
        ("slug", "cohort-3"),
        ("starts_on", "2026-11-01"),
        ("ends_on", "2027-04-30"),
        ("rule", ""),
        ("start_time", ""),
        ("duration_minutes", ""),
        ("capacity", "25"),
        ("applications_open_on", "2026-09-15"),
        ("applications_close_on", "2026-10-31"),
        ("completion_percent", ""),
        ("case_slots", ""),
    ];
    let created = post_page(&app, "/organizer/echo/cohorts", &cookie, &fields).await;
    assert_eq!(created.status().as_u16(), 303);
    assert_eq!(created.headers()["location"], "/organizer/echo/cohort-3");
    apply(&app, &application("dorothea@example.org", "participant")).await;
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Dorothea Dix") && html.contains("Send the decision"),
        "{html}"
    );
    let session: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::echo_sessions::dsl::*;
        use diesel::prelude::*;
        echo_sessions
            .order(occurrence_date)
            .select(session_id)
            .first(c)
            .unwrap()
    });
    let saved = post_page(
        &app,
        &format!("/organizer/echo/sessions/{session}"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("didactic_topic", "Paying for peer support"),
            ("faculty_name", "Dr. Rivera"),
            ("faculty_email", ""),
            ("case_slots", "2"),
        ],
    )
    .await;
    assert_eq!(saved.status().as_u16(), 303);
    let id = application_ids(&app)[0];
    let bad = post_page(
        &app,
        &format!("/organizer/echo/applications/{id}"),
        &cookie,
        &[("csrf", &csrf), ("decision", "perhaps")],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422);
    let decided = post_page(
        &app,
        &format!("/organizer/echo/applications/{id}"),
        &cookie,
        &[("csrf", &csrf), ("decision", "approved"), ("message", "")],
    )
    .await;
    assert_eq!(decided.status().as_u16(), 303);
    let welcome = app.smtp.wait_for("dorothea@example.org", 2).await.remove(1);
    assert!(
        welcome.text.contains("Paying for peer support"),
        "the new topic is in the list: {}",
        welcome.text
    );
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nothing is waiting."));
}
