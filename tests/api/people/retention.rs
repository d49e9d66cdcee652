//! Sent mail losing its content after `mail.retention_days`, keeping only
//! its metadata.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use convene::config::MailTransportKind;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use super::files_mentioning;
use crate::helpers::{create_user, page, send, sign_in, token, with_conn, TestApp};

#[tokio::test]
async fn sent_mail_keeps_only_its_metadata_after_the_retention_period() {
    let start = Utc::now();
    let app = TestApp::spawn_with_clock(Clock::manual(start), |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.file_dir = s.archive.dir.parent().unwrap().join("mail");
        s.mail.max_attempts = 1;
    })
    .await;
    assert_eq!(app.settings.mail.retention_days, 30, "the default");
    let jam = app.next_jam().await;
    app.register_ok(jam, "kept@example.org").await;
    // A failed message, and one queued for later.
    with_conn(&app.pool, |c| {
        let now = app.clock.naive();
        for (key, at) in [
            ("test:failed", now),
            ("test:later", now + Duration::days(60)),
        ] {
            convene::mail::outbox::enqueue(
                c,
                &convene::mail::NewMessage {
                    key: key.into(),
                    template: "no_such_template",
                    recipient: "kept@example.org".into(),
                    context: json!({ "first_name": "Kept" }),
                    calendar: None,
                },
                at,
            )
            .unwrap();
        }
    });
    for _ in 0..300 {
        let finished = app
            .outbox("")
            .iter()
            .filter(|(_, _, s)| s == "sent" || s == "failed")
            .count();
        if finished >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The messages queued so far (ticks queue reminders and follow-ups that
    // are not the point here).
    let keys: Vec<String> = app.outbox("").into_iter().map(|r| r.0).collect();
    let contents = || -> Vec<(String, String, bool, String, i32, bool)> {
        with_conn(&app.pool, |c| {
            use convene::db::schema::outbox::dsl::*;
            outbox
                .filter(idempotency_key.eq_any(&keys))
                .order(idempotency_key)
                .select((
                    idempotency_key,
                    context,
                    calendar.is_not_null(),
                    status,
                    attempts,
                    sent_at.is_not_null(),
                ))
                .load(c)
                .unwrap()
        })
    };
    let before = contents();
    let confirmation = before
        .iter()
        .find(|r| r.0.contains(":confirmation:"))
        .expect("a confirmation")
        .clone();
    assert_eq!(confirmation.3, "sent", "{before:?}");
    assert!(confirmation.1.contains("kept@example.org") || confirmation.1.contains("Ada"));
    assert!(confirmation.2, "a confirmation has a calendar part");
    assert!(
        !files_mentioning(&app.settings.mail.file_dir, "kept@example.org").is_empty(),
        "the file transport's copy"
    );
    let tick = |at: DateTime<Utc>| {
        let settings = std::sync::Arc::new(app.settings.clone());
        let pool = app.pool.clone();
        async move { convene::jobs::tick(&pool, settings, at).await.unwrap() }
    };

    let early = tick(start + Duration::days(29)).await;
    assert_eq!(early.mail_purged, 0, "nothing is 30 days old yet");
    assert_eq!(contents(), before, "everything kept within the period");

    let late = tick(start + Duration::days(31)).await;
    assert_eq!(late.mail_purged, 2, "the sent and the failed message");
    let after = contents();
    for (row, was) in after.iter().zip(&before) {
        assert_eq!(
            (&row.0, &row.3, row.4, row.5),
            (&was.0, &was.3, was.4, was.5),
            "key, status, attempts and dates stay"
        );
        if row.0 == "test:later" {
            assert_eq!(row.1, was.1, "a message still to be sent keeps its content");
        } else {
            assert_eq!((row.1.as_str(), row.2), ("{}", false), "{} purged", row.0);
        }
    }
    assert_eq!(
        files_mentioning(&app.settings.mail.file_dir, "kept@example.org"),
        Vec::<PathBuf>::new(),
        "the file copies past the period are gone"
    );
    assert_eq!(
        tick(start + Duration::days(32)).await.mail_purged,
        0,
        "once"
    );

    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;
    let outbox_page = page(&app, "/organizer/outbox", &cookie).await;
    assert_eq!(
        outbox_page.status().as_u16(),
        200,
        "the outbox page renders"
    );
    let html = outbox_page.text().await.unwrap();
    assert!(
        html.contains("no_such_template"),
        "the purged failed message is listed"
    );
    let failed: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        outbox
            .filter(idempotency_key.eq("test:failed"))
            .select(id)
            .first(c)
            .unwrap()
    });
    let t = token(&app, "org@example.org").await;
    let (status, body) = send(
        &app,
        Method::POST,
        &format!("/api/v1/organizer/outbox/{failed}/retry"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 404, "nothing left to send again: {body}");
}
