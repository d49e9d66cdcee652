//! The CSV export, and a person exported and erased through the API or at
//! the command line.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::{add, app_with_users, audit_actions, get, person, post, session_with_capacity};
use crate::helpers::{run_convene, with_conn, TestApp};

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
