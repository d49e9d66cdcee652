//! The Workforce ECHO: cohorts and their sessions across a DST change,
//! applications through approval, the magic link to the participant's
//! page and feed, roles, the application window, config-seeded cohorts and
//! the facilitators' pages.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, post_page, sign_in, token, with_conn, Mail, TestApp,
};

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

#[tokio::test]
async fn an_approved_applicant_gets_the_calendar_and_a_magic_link_to_their_page() {
    let (app, t) = echo_app(1).await;
    let page_html = app.get("/echo/cohort-3").await.text().await.unwrap();
    assert!(
        page_html.contains("Send my application"),
        "applications are open"
    );

    // Bad fields: a message per field, nothing written.
    let mut bad = application("not-an-address", "lurker");
    bad.retain(|(k, _)| *k != "hopes_to_learn");
    let refused = apply(&app, &bad).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Error: Cohort 3")
            && html.contains("href=\"#email\"")
            && html.contains("href=\"#role\"")
            && html.contains("href=\"#hopes_to_learn\""),
        "{html}"
    );
    assert!(application_ids(&app).is_empty());

    let sent = apply(&app, &application("dorothea@example.org", "participant")).await;
    assert_eq!(sent.status().as_u16(), 200);
    let receipt = app.smtp.wait_for("dorothea@example.org", 1).await.remove(0);
    assert!(
        receipt
            .subject
            .contains("We received your application to Cohort 3"),
        "{}",
        receipt.subject
    );
    let again = apply(&app, &application("dorothea@example.org", "observer")).await;
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("We already have an application"));
    assert_eq!(
        application_ids(&app).len(),
        1,
        "one application per person and cohort"
    );
    apply(&app, &application("clara@example.org", "observer")).await;

    let (status, list) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/echo/cohorts/cohort-3/applications?status=pending",
        &t,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["applications"].as_array().unwrap().len(), 2);
    assert_eq!(list["applications"][0]["role"], "participant");
    assert!(list["applications"][0].get("access_token").is_none());
    let ids = application_ids(&app);

    let decide = |id: i64, body: Value| {
        let (app, t) = (&app, t.clone());
        async move {
            call(
                app,
                reqwest::Method::POST,
                &format!("/api/v1/echo/applications/{id}/decision"),
                &t,
                Some(body),
            )
            .await
        }
    };
    let (status, body) = decide(ids[0], json!({ "decision": "maybe" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = decide(
        ids[0],
        json!({ "decision": "approved", "message": "Glad to have you." }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");
    let (status, body) = decide(ids[1], json!({ "decision": "approved" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("cohort_full"))
    );
    let (status, _) = decide(
        ids[1],
        json!({ "decision": "waitlisted", "message": "We'll know by November." }),
    )
    .await;
    assert_eq!(status, 200);
    let waitlisted = app.smtp.wait_for("clara@example.org", 2).await.remove(1);
    assert!(waitlisted.text.contains("We'll know by November."));
    let (status, body) = decide(ids[0], json!({ "decision": "declined" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_decided"))
    );

    let welcome: Mail = app.smtp.wait_for("dorothea@example.org", 2).await.remove(1);
    assert!(
        welcome.subject.starts_with("Welcome to Cohort 3"),
        "{}",
        welcome.subject
    );
    assert!(welcome.text.contains("Glad to have you."));
    let (method, ics) = welcome.calendar.clone().expect("the cohort's calendar");
    assert_eq!(method, "PUBLISH");
    assert_eq!(vevents(&ics), 6, "every session in one file");
    let parsed: icalendar::Calendar = ics.parse().expect("calendar programs can read it");
    let events = parsed
        .components
        .iter()
        .filter(|c| c.as_event().is_some())
        .count();
    assert_eq!(events, 6, "six VEVENTs as a calendar program reads them");
    let link = welcome
        .link("http://convene.test/echo/p/")
        .expect("the magic link");
    let path = link.trim_start_matches("http://convene.test").to_string();

    let mine = app.get(&path).await;
    assert_eq!(mine.status().as_u16(), 200);
    assert_eq!(mine.headers()["cache-control"], "no-store");
    let html = mine.text().await.unwrap();
    assert!(
        html.contains("Welcome, Dorothea") && html.contains("a participant who presents a case"),
        "{html}"
    );
    assert_eq!(
        html.matches("https://zoom.us/j/00000000001").count(),
        6,
        "a join link per session"
    );

    let feed = app.get(&format!("{path}/calendar.ics")).await;
    assert_eq!(feed.status().as_u16(), 200);
    assert!(feed.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("private"));
    let body = feed.text().await.unwrap();
    assert_eq!(vevents(&body), 6);
    assert!(body.contains("X-WR-CALNAME:Cohort 3"));

    // Someone else's (or a made-up) link shows nothing.
    assert_eq!(
        app.get("/echo/p/0123456789abcdef0123456789abcdef01234567")
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(app.get("/echo/p/short").await.status().as_u16(), 404);
}

#[tokio::test]
async fn applications_are_taken_only_while_the_window_is_open() {
    let (app, _) = echo_app(40).await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap());
    let html = app.get("/echo/cohort-3").await.text().await.unwrap();
    assert!(!html.contains("Send my application"));
    let late = apply(&app, &application("late@example.org", "observer")).await;
    assert_eq!(late.status().as_u16(), 409);
    assert!(application_ids(&app).is_empty());
}

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
