//! The organizer pages behind a sign-in: the outbox, the session page and
//! the audit log.

use chrono::{Duration, Utc};
use convene::auth::Role;
use serde_json::json;

use super::get_as;
use crate::helpers::{create_user, csrf_of, page, sign_in, token, with_conn, TestApp};

#[tokio::test]
async fn a_failed_message_is_listed_for_organizers_and_retried_from_the_outbox_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    create_user(&app, "fac@example.org", Role::Facilitator);
    app.smtp.reject_addresses_containing("bounce");
    let session = app.next_jam().await;
    app.register_ok(session, "bounce@example.org").await;

    // Wait (bounded) until the refusal has failed the message.
    let t = token(&app, "org@example.org").await;
    let mut failed = Vec::new();
    for _ in 0..100 {
        let (_, body) = get_as(&app, "/api/v1/organizer/outbox", Some(&t)).await;
        failed = body["failed"].as_array().cloned().unwrap_or_default();
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(failed.len(), 1, "one failed message");
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("550"),
        "{failed:?}"
    );
    let id = failed[0]["id"].as_i64().unwrap();

    // A facilitator does not see the outbox (it names Jam registrants)
    // and may not retry.
    let fac = sign_in(&app, "fac@example.org").await;
    let refused = page(&app, "/organizer/outbox", &fac).await;
    assert_eq!(
        refused.status().as_u16(),
        403,
        "no outbox for a facilitator"
    );
    assert!(!refused.text().await.unwrap().contains("bounce@example.org"));
    let fac_token = token(&app, "fac@example.org").await;
    let refused = app
        .client
        .post(format!(
            "{}/api/v1/organizer/outbox/{id}/retry",
            app.address
        ))
        .bearer_auth(&fac_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    // The server takes it now; the organizer presses "Retry".
    app.smtp.reject_addresses_containing("\u{0}");
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, "/organizer/outbox", &cookie)
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let retried = app
        .client
        .post(format!("{}/organizer/outbox/{id}/retry", app.address))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status().as_u16(), 303);
    let mail = app.smtp.wait_for("bounce@example.org", 1).await;
    assert!(mail[0].subject.starts_with("You're registered"));
    let wanted = format!("outbox:{id}");
    let actions: Vec<String> = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(subject.eq(&wanted))
            .select(actor)
            .load(c)
            .unwrap()
    });
    assert_eq!(actions, vec!["org@example.org"], "the retry is audited");
}

#[tokio::test]
async fn the_organizer_session_page_lists_lineup_and_registrations_and_downloads_them() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let session = app.next_jam().await;
    app.register_ok(session, "grace@example.org").await;
    app.register_ok(session, "alan@example.org").await;
    let t = token(&app, "org@example.org").await;
    let added = app
        .client
        .post(format!("{}/api/v1/organizer/sessions/{session}/lineup", app.address))
        .bearer_auth(&t)
        .json(&json!({ "name": "Dr. Presenter", "email": "presenter@example.org", "talk_title": "Retention that lasts" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 201);

    let anonymous = app.get(&format!("/organizer/sessions/{session}")).await;
    assert_eq!(anonymous.status().as_u16(), 303, "sign in first");
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Dr. Presenter") && html.contains("Retention that lasts"));
    assert!(html.contains("grace@example.org") && html.contains("alan@example.org"));
    assert!(html.contains("2 registered of 1000"));
    let searched = page(
        &app,
        &format!("/organizer/sessions/{session}?q=GRACE"),
        &cookie,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(searched.contains("grace@example.org") && !searched.contains("alan@example.org"));

    let csv = page(
        &app,
        &format!("/organizer/sessions/{session}/registrations.csv"),
        &cookie,
    )
    .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    assert!(String::from_utf8_lossy(&body).contains("alan@example.org"));
    assert_eq!(
        page(&app, "/organizer/sessions/999999", &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn only_admins_see_the_audit_log_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    create_user(&app, "org@example.org", Role::Organizer);
    let organizer = sign_in(&app, "org@example.org").await;
    assert_eq!(
        page(&app, "/organizer/audit", &organizer)
            .await
            .status()
            .as_u16(),
        403
    );
    let admin = sign_in(&app, "admin@example.org").await;
    let html = page(&app, "/organizer/audit", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("user.create") && html.contains("user:"),
        "{html}"
    );
}

#[tokio::test]
async fn organizers_change_sessions_and_registrations_from_the_session_page() {
    let app = TestApp::spawn_with(|s| s.series.get_mut("jam").unwrap().capacity = 1).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let session = app.next_jam().await;
    app.register_ok(session, "first@example.org").await;
    app.register_ok(session, "second@example.org").await;
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let ids: Vec<i64> = with_conn(&app.pool, |c| {
        use convene::db::schema::registrations::dsl::*;
        use diesel::prelude::*;
        registrations.order(id).select(id).load(c).unwrap()
    });
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.client
                .post(format!("{}{path}", app.address))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // Without the form's token: refused.
    let forged = post(
        format!("/organizer/registrations/{}/promote", ids[1]),
        vec![],
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    // Promote the waitlisted one, then cancel the first.
    let promoted = post(
        format!("/organizer/registrations/{}/promote", ids[1]),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(promoted.status().as_u16(), 303);
    assert_eq!(app.registered_count(session).await, (2, 0));
    let again = post(
        format!("/organizer/registrations/{}/promote", ids[1]),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(again.status().as_u16(), 409, "not on the waitlist any more");
    let cancelled = post(
        format!("/organizer/registrations/{}/cancel", ids[0]),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(cancelled.status().as_u16(), 303);
    assert_eq!(app.registered_count(session).await, (1, 0));
    let mails = app.smtp.wait_for("first@example.org", 2).await;
    assert!(
        mails.iter().any(|m| m.subject.contains("cancelled")),
        "told"
    );

    // A start that cannot be read is refused with a message; a good one moves it.
    let bad = post(
        format!("/organizer/sessions/{session}/reschedule"),
        vec![("csrf", csrf.clone()), ("start", "next week-ish".into())],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422, "a start that cannot be read");
    let when = (Utc::now() + Duration::days(60))
        .format("%Y-%m-%d 14:00")
        .to_string();
    let moved = post(
        format!("/organizer/sessions/{session}/reschedule"),
        vec![("csrf", csrf.clone()), ("start", when)],
    )
    .await;
    assert_eq!(moved.status().as_u16(), 303);
    let update = app.smtp.wait_for("second@example.org", 3).await;
    assert!(
        update.iter().any(|m| m.subject.starts_with("New time")
            && m.calendar.as_ref().is_some_and(|c| c.0 == "REQUEST")),
        "{:?}",
        update.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let gone = post(
        format!("/organizer/sessions/{session}/cancel"),
        vec![("csrf", csrf.clone()), ("reason", "Snow day".into())],
    )
    .await;
    assert_eq!(gone.status().as_u16(), 303);
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("cancelled"));
}
