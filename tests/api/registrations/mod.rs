//! The organizer API for registrations: listing and searching, adding,
//! cancelling and promoting by hand, the CSV export, and a person's data
//! (export and erase) — over HTTP and the real CLI, role by role.

use chrono::{Duration, Utc};
use convene::auth::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{create_user, run_convene, send, token, with_conn, TestApp};

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

#[tokio::test]
async fn organizers_search_filter_and_page_a_sessions_registrations() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 2).await;
    for p in [
        person("Ada", "Lovelace", "ada@example.org", "Analytical Engines"),
        person("Grace", "Hopper", "grace@navy.example", "US Navy"),
        person("Alan", "Turing", "alan@example.org", "Bletchley 100% Park"),
        person("Katherine", "Johnson", "kj@nasa.example", "NASA_Langley"),
    ] {
        add(&app, &t.organizer, session, p).await;
    }
    let list = |query: &str| {
        let path = format!("/api/v1/organizer/sessions/{session}/registrations{query}");
        let app = &app;
        let bearer = t.organizer.clone();
        async move { get(app, &path, &bearer).await }
    };

    let (status, all) = list("").await;
    assert_eq!(status, 200, "an organizer reads: {all}");
    assert_eq!(
        emails(&all),
        [
            "ada@example.org",
            "grace@navy.example",
            "alan@example.org",
            "kj@nasa.example"
        ],
        "in the order they registered"
    );
    assert_eq!(
        (all["total"].as_i64(), all["per_page"].as_i64()),
        (Some(4), Some(50))
    );

    for (query, expected) in [
        ("?q=LOVELACE", vec!["ada@example.org"]),
        ("?q=ada%20lov", vec!["ada@example.org"]),
        ("?q=navy", vec!["grace@navy.example"]),
        (
            "?q=Example.ORG",
            vec!["ada@example.org", "alan@example.org"],
        ),
        ("?q=%25", vec!["alan@example.org"]),
        ("?q=_", vec!["kj@nasa.example"]),
        (
            "?status=waitlisted",
            vec!["alan@example.org", "kj@nasa.example"],
        ),
        (
            "?status=registered&q=a",
            vec!["ada@example.org", "grace@navy.example"],
        ),
        ("?status=cancelled", vec![]),
    ] {
        let (status, body) = list(query).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(emails(&body), expected, "{query}");
        assert_eq!(
            body["total"].as_u64(),
            Some(expected.len() as u64),
            "{query}"
        );
    }

    let (_, page) = list("?per_page=3&page=2").await;
    assert_eq!(
        emails(&page),
        ["kj@nasa.example"],
        "the second page of three"
    );
    assert_eq!(page["total"].as_i64(), Some(4), "total counts every match");

    let (status, body) = list("?status=maybe&per_page=500&page=0").await;
    assert_eq!(status, 422, "{body}");
    for field in ["status", "per_page", "page"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (status, body) = get(
        &app,
        "/api/v1/organizer/sessions/999999/registrations",
        &t.organizer,
    )
    .await;
    assert_eq!((status, code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn a_registration_added_by_hand_gets_its_confirmation_and_is_audited() {
    let (app, t) = app_with_users().await;
    let session = app.next_jam().await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organizer/sessions/{session}/registrations"),
        &t.organizer,
        json!({ "first_name": "", "email": "not an address", "sector": "astrology" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in [
        "first_name",
        "last_name",
        "email",
        "organization",
        "sector",
        "state",
    ] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }

    let added = add(
        &app,
        &t.organizer,
        session,
        person("Phone", "Caller", "Caller@Example.org", "Called In"),
    )
    .await;
    assert_eq!(added["status"], "registered");
    assert_eq!(
        added["email"], "caller@example.org",
        "the address is normalized"
    );
    let mail = app.smtp.wait_for("caller@example.org", 1).await;
    assert!(
        mail[0].calendar.is_some(),
        "the confirmation carries the invitation"
    );
    let id = added["id"].as_i64().unwrap();
    assert_eq!(
        audit_actions(&app, &format!("registration:{id}")),
        ["registration.add"]
    );

    let (status, body) = post(
        &app,
        "/api/v1/organizer/sessions/999999/registrations",
        &t.organizer,
        person("No", "Session", "no@example.org", "Nowhere"),
    )
    .await;
    assert_eq!((status, code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn cancelling_by_hand_tells_the_person_and_moves_the_waitlist_up() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 1).await;
    let first = add(
        &app,
        &t.organizer,
        session,
        person("First", "In", "first@example.org", "A"),
    )
    .await;
    let second = add(
        &app,
        &t.organizer,
        session,
        person("Second", "In", "second@example.org", "B"),
    )
    .await;
    assert_eq!(second["status"], "waitlisted");
    let first_id = first["id"].as_i64().unwrap();

    let path = format!("/api/v1/organizer/registrations/{first_id}/cancel");
    let (status, body) = post(&app, &path, &t.facilitator, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (403, "forbidden"),
        "a facilitator may not cancel"
    );
    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");

    let mails = app.smtp.wait_for("first@example.org", 2).await;
    assert!(
        mails.iter().any(|m| m
            .calendar
            .as_ref()
            .is_some_and(|(method, _)| method.eq_ignore_ascii_case("CANCEL"))),
        "the cancellation removes the event from their calendar"
    );
    app.smtp.wait_for("second@example.org", 2).await;
    let (_, waitlisted) = get(
        &app,
        &format!("/api/v1/organizer/sessions/{session}/registrations?status=registered"),
        &t.organizer,
    )
    .await;
    assert_eq!(
        emails(&waitlisted),
        ["second@example.org"],
        "the freed place was given on"
    );

    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!((status, code(&body)), (409, "already_cancelled"));
    let (status, _) = post(
        &app,
        "/api/v1/organizer/registrations/999999/cancel",
        &t.organizer,
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        audit_actions(&app, &format!("registration:{first_id}")),
        ["registration.add", "registration.cancel"]
    );
}

#[tokio::test]
async fn an_organizer_can_promote_someone_past_a_full_session() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 1).await;
    let first = add(
        &app,
        &t.organizer,
        session,
        person("First", "In", "first@example.org", "A"),
    )
    .await;
    let waiting = add(
        &app,
        &t.organizer,
        session,
        person("Wait", "Ing", "wait@example.org", "B"),
    )
    .await;
    assert_eq!(waiting["status"], "waitlisted");
    let id = waiting["id"].as_i64().unwrap();
    let path = format!("/api/v1/organizer/registrations/{id}/promote");

    let (status, _) = post(&app, &path, &t.facilitator, json!({})).await;
    assert_eq!(status, 403, "a facilitator may not promote");
    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "registered");
    assert!(body["registered_at"].is_string(), "{body}");
    assert!(body["waitlisted_at"].is_null(), "{body}");

    let mails = app.smtp.wait_for("wait@example.org", 2).await;
    let promoted = mails
        .iter()
        .find(|m| m.calendar.is_some())
        .expect("the promotion carries the invitation");
    assert!(
        promoted.text.contains("/r/"),
        "with their manage link: {}",
        promoted.text
    );
    let (_, registered) = get(
        &app,
        &format!("/api/v1/organizer/sessions/{session}/registrations?status=registered"),
        &t.organizer,
    )
    .await;
    assert_eq!(
        registered["total"].as_i64(),
        Some(2),
        "over capacity, on purpose"
    );

    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!((status, code(&body)), (409, "not_waitlisted"));
    let first_id = first["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/organizer/registrations/{first_id}/promote"),
        &t.organizer,
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "someone registered is not on the waitlist");
    assert_eq!(
        audit_actions(&app, &format!("registration:{id}")),
        ["registration.add", "registration.promote"]
    );
}

#[tokio::test]
async fn the_csv_export_opens_cleanly_and_cannot_run_formulas() {
    let (app, t) = app_with_users().await;
    let session = app.next_jam().await;
    add(
        &app,
        &t.organizer,
        session,
        person(
            // (No "http://": a name may not hold a web address.)
            "=HYPERLINK(\"evil.example\")",
            "Smith, Jr.",
            "eq@example.org",
            "The \"Best\" Org",
        ),
    )
    .await;
    let plain = add(
        &app,
        &t.organizer,
        session,
        person("José", "Núñez", "jose@example.org", "-5 Corp"),
    )
    .await;
    // The form collapses line breaks; data can still hold them.
    with_conn(&app.pool, |c| {
        use convene::db::schema::people::dsl::*;
        diesel::update(people.filter(email.eq("jose@example.org")))
            .set(job_title.eq("Line one\nLine two"))
            .execute(c)
            .unwrap();
    });

    let response = app
        .client
        .get(format!(
            "{}/api/v1/organizer/sessions/{session}/registrations.csv",
            app.address
        ))
        .bearer_auth(&t.organizer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = response.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a UTF-8 byte-order mark");
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains("Subscribed\r\n"), "CRLF line ends: {text:?}");

    let mut reader = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "First name",
            "Last name",
            "E-mail",
            "Organization",
            "Job title",
            "Sector",
            "State",
            "Status",
            "Registered at",
            "Subscribed"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0], "'=HYPERLINK(\"evil.example\")", "no formula");
    assert_eq!(rows[0][1], "Smith, Jr.");
    assert_eq!(rows[0][3], "The \"Best\" Org");
    assert_eq!(rows[0][5], "Provider organization");
    assert_eq!(rows[0][6], "New York");
    assert_eq!(
        (rows[0][7].as_str(), rows[0][9].as_str()),
        ("registered", "no")
    );
    assert_eq!(
        (rows[1][0].as_str(), rows[1][1].as_str()),
        ("José", "Núñez")
    );
    assert_eq!(rows[1][3], "'-5 Corp");
    assert_eq!(rows[1][4], "Line one\nLine two");
    let at = plain["created_at"].as_str().unwrap();
    assert!(
        rows[1][8].starts_with(&at[..4])
            && (rows[1][8].ends_with("EST") || rows[1][8].ends_with("EDT")),
        "in the session's zone: {}",
        rows[1][8]
    );
}

/// Every text column that could hold an address, searched for `needle`.
fn traces(app: &TestApp, needle: &str) -> Vec<String> {
    let like = format!("%{needle}%");
    with_conn(&app.pool, |c| {
        use convene::db::schema::{audit_log, outbox, people};
        let mut found = Vec::new();
        let n: i64 = people::table
            .filter(people::email.like(&like))
            .count()
            .get_result(c)
            .unwrap();
        if n > 0 {
            found.push(format!("{n} people"));
        }
        let n: i64 = outbox::table
            .filter(
                outbox::recipient
                    .like(&like)
                    .or(outbox::context.like(&like))
                    .or(outbox::calendar.like(&like))
                    .or(outbox::last_error.like(&like)),
            )
            .count()
            .get_result(c)
            .unwrap();
        if n > 0 {
            found.push(format!("{n} outbox rows"));
        }
        let n: i64 = audit_log::table
            .filter(
                audit_log::subject
                    .like(&like)
                    .or(audit_log::before.like(&like))
                    .or(audit_log::after.like(&like)),
            )
            .count()
            .get_result(c)
            .unwrap();
        if n > 0 {
            found.push(format!("{n} audit entries"));
        }
        found
    })
}

#[tokio::test]
async fn a_person_can_be_exported_and_then_erased_without_changing_counts() {
    let (app, t) = app_with_users().await;
    let jam = app.next_jam().await;
    let small = session_with_capacity(&app, &t.organizer, 5).await;
    const WHO: &str = "erase.me@example.org";
    let manage = app.register_ok(jam, WHO).await;
    let mut body = person("Erin", "Rase", WHO, "Private Practice");
    body["subscribe"] = json!("on");
    add(&app, &t.organizer, small, body).await;
    app.register_ok(jam, "stays@example.org").await;
    // Two confirmations and the request to confirm the Jam list, before
    // asking for another list.
    app.smtp.wait_for(WHO, 3).await;
    app.subscribe_confirmed(WHO, &["echo"]).await;
    // A reminder still waiting to go out.
    with_conn(&app.pool, |c| {
        let reg: i64 = {
            use convene::db::schema::registrations::dsl::*;
            registrations
                .filter(session_id.eq(jam))
                .order(id)
                .select(id)
                .first(c)
                .unwrap()
        };
        let msg = convene::mail::NewMessage {
            key: format!("registration:{reg}:reminder:test"),
            template: "registration_reminder",
            recipient: WHO.into(),
            context: json!({ "first_name": "Erin" }),
            calendar: None,
        };
        convene::mail::outbox::enqueue(c, &msg, app.clock.naive() + Duration::days(1)).unwrap();
    });
    let counts_before = (
        app.registered_count(jam).await,
        app.registered_count(small).await,
    );

    let path = format!(
        "/api/v1/organizer/people/export?email={}",
        "Erase.Me@example.org"
    );
    let (status, _) = get(&app, &path, &t.facilitator).await;
    assert_eq!(
        status, 403,
        "all of someone's data: not for the read-only role"
    );
    let (status, export) = get(&app, &path, &t.organizer).await;
    assert_eq!(status, 200, "{export}");
    let exports: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(action.eq("person.export"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(exports, 1, "the export is on the record");
    assert_eq!(export["person"]["email"], WHO);
    // Registering again (by hand here) only fills blank details: the
    // organization is still the one the person gave.
    assert_eq!(
        export["person"]["organization"],
        "Analytical Engines Behavioral Health"
    );
    let titles: Vec<&str> = export["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{export}");
    assert!(titles.contains(&"Small group"), "{titles:?}");
    let lists: Vec<&str> = export["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["list"].as_str().unwrap())
        .collect();
    assert!(
        lists.contains(&"echo") && lists.contains(&"jam"),
        "{lists:?}"
    );
    let messages = export["messages"].as_array().unwrap();
    assert!(messages.len() >= 4, "{export}");
    assert!(
        messages
            .iter()
            .all(|m| m["template"].is_string() && m.get("context").is_none()),
        "templates and dates, not bodies: {export}"
    );

    let erase = json!({ "email": WHO });
    for who in [&t.organizer, &t.facilitator] {
        let (status, _) = post(&app, "/api/v1/organizer/people/erase", who, erase.clone()).await;
        assert_eq!(status, 403, "only an admin may erase");
    }
    let (status, body) = post(
        &app,
        "/api/v1/organizer/people/erase",
        &t.admin,
        json!({ "email": "nope" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");
    let (status, erased) = post(
        &app,
        "/api/v1/organizer/people/erase",
        &t.admin,
        erase.clone(),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["registrations"].as_i64(), Some(2), "{erased}");

    assert_eq!(
        traces(&app, "erase.me"),
        Vec::<String>::new(),
        "no trace of the address"
    );
    assert_eq!(traces(&app, "Private Practice"), Vec::<String>::new());
    assert!(
        !traces(&app, "stays@example.org").is_empty(),
        "someone else's data stays"
    );
    let counts_after = (
        app.registered_count(jam).await,
        app.registered_count(small).await,
    );
    assert_eq!(
        counts_after, counts_before,
        "registrations are still counted"
    );
    with_conn(&app.pool, |c| {
        use convene::db::schema::{outbox, subscriptions};
        let statuses: Vec<String> = subscriptions::table
            .select(subscriptions::status)
            .load(c)
            .unwrap();
        assert!(statuses.iter().all(|s| s == "unsubscribed"), "{statuses:?}");
        let reminder: String = outbox::table
            .filter(outbox::idempotency_key.like("%:reminder:test"))
            .select(outbox::status)
            .first(c)
            .unwrap();
        assert_eq!(reminder, "skipped", "queued mail to them will not go");
    });
    assert_eq!(
        app.get(&manage).await.status().as_u16(),
        404,
        "the old manage link leads nowhere"
    );
    let (status, _) = get(&app, &path, &t.organizer).await;
    assert_eq!(status, 404, "nothing is held any more");
    let id = erased["person_id"].as_i64().unwrap();
    assert_eq!(
        audit_actions(&app, &format!("person:{id}")),
        ["person.export", "person.erase"]
    );
    let (status, _) = post(&app, "/api/v1/organizer/people/erase", &t.admin, erase).await;
    assert_eq!(status, 404, "erasing twice finds nobody");
}

#[tokio::test]
async fn people_can_be_exported_and_erased_at_the_command_line() {
    let app = TestApp::spawn().await;
    let jam = app.next_jam().await;
    app.register_ok(jam, "cli.person@example.org").await;

    let run = run_convene(
        &app,
        &["people", "export", "--email", "cli.person@example.org"],
        "",
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let export: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(export["person"]["email"], "cli.person@example.org");
    assert_eq!(export["registrations"].as_array().map(Vec::len), Some(1));

    let run = run_convene(
        &app,
        &["people", "erase", "--email", "cli.person@example.org"],
        "",
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(traces(&app, "cli.person"), Vec::<String>::new());
    let (actor, action): (String, String) = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.eq("person.erase"))
            .select((actor, action))
            .first(c)
            .unwrap()
    });
    assert!(actor.starts_with("cli"), "{actor}");
    assert_eq!(action, "person.erase");
    assert_eq!(app.registered_count(jam).await, (1, 0));

    let run = run_convene(
        &app,
        &["people", "export", "--email", "cli.person@example.org"],
        "",
    )
    .await;
    assert!(!run.ok, "nothing left to export");
}
