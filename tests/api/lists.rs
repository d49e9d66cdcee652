//! The mailing list: double opt-in, list headers, one-click unsubscribe.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use convene::clock::Clock;
use convene::jobs;

use crate::helpers::{with_conn, TestApp};

fn subscription_status(app: &TestApp, address: &str, list: &str) -> Option<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::{people, subscriptions};
        use diesel::prelude::*;
        subscriptions::table
            .inner_join(people::table)
            .filter(people::email.eq(address))
            .filter(subscriptions::list_slug.eq(list))
            .select(subscriptions::status)
            .first::<String>(c)
            .optional()
            .unwrap()
    })
}

/// Waits (bounded) until `n` messages under `prefix` have failed an
/// attempt and are back in the queue, unlocked.
async fn wait_for_refusals_recorded(app: &TestApp, prefix: &str, n: usize) {
    for _ in 0..300 {
        let recorded = with_conn(&app.pool, |c| {
            use convene::db::schema::outbox;
            use diesel::prelude::*;
            outbox::table
                .filter(outbox::idempotency_key.like(format!("{prefix}%")))
                .filter(outbox::last_error.is_not_null())
                .filter(outbox::locked_until.is_null())
                .count()
                .get_result::<i64>(c)
                .unwrap()
        });
        if recorded as usize >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("expected {n} refused message(s) under {prefix} recorded within 15 s");
}

/// The next Jam at least four weeks after the app's clock, and its start.
async fn jam_in_a_month(app: &TestApp) -> (i64, DateTime<Utc>) {
    let after = app.clock.now() + Duration::days(28);
    app.sessions()
        .await
        .into_iter()
        .map(|s| {
            let start: DateTime<Utc> = s["starts_at"].as_str().unwrap().parse().unwrap();
            (s["id"].as_i64().unwrap(), start)
        })
        .find(|(_, start)| *start > after)
        .expect("a Jam a month ahead")
}

async fn tick(app: &TestApp) -> jobs::Tick {
    jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

#[tokio::test]
async fn only_a_confirmed_subscriber_is_invited_and_the_link_works_once() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;

    let page = app.get("/subscribe").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Jam announcements") && html.contains("ECHO news"));

    // Every bad field gets its own message; nothing is written.
    let bad = app
        .post_form(
            "/subscribe",
            &[
                ("first_name", ""),
                ("email", "not-an-address"),
                ("list", "spam"),
            ],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    for field in ["first_name", "last_name", "email", "lists"] {
        assert!(
            html.contains(&format!("href=\"#{field}\"")),
            "no error for {field}"
        );
    }
    assert_eq!(subscription_status(&app, "not-an-address", "jam"), None);

    let form = [
        // Quotes, a backslash and non-ASCII: the database writes the
        // personalized JSON, so it must quote them.
        ("first_name", r#"Grace "Amazing" Hö\pper"#),
        ("last_name", "Hopper"),
        ("email", "Grace@Example.org"),
        ("organization", "Navy Behavioral Health"),
        ("sector", "government"),
        ("state", "VA"),
        ("list", "jam"),
    ];
    assert_eq!(
        app.post_form("/subscribe", &form).await.status().as_u16(),
        303
    );
    let mail = app.smtp.wait_for("grace@example.org", 1).await.remove(0);
    assert_eq!(mail.subject, "Please confirm your subscription");
    assert!(mail.text.contains("Jam announcements"));
    let confirm = mail
        .link("http://convene.test/subscribe/confirm/")
        .expect("confirm link");
    assert_eq!(
        subscription_status(&app, "grace@example.org", "jam").as_deref(),
        Some("pending")
    );

    // A second, unconfirmed subscriber.
    let other = [
        ("first_name", "Alan"),
        ("last_name", "Turing"),
        ("email", "alan@example.org"),
        ("list", "jam"),
    ];
    assert_eq!(
        app.post_form("/subscribe", &other).await.status().as_u16(),
        303
    );

    // Following the link (as a mail scanner would) changes nothing.
    let page = app.get(&confirm).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("Yes, subscribe me"));
    assert_eq!(
        subscription_status(&app, "grace@example.org", "jam").as_deref(),
        Some("pending")
    );
    let done = app.post_form(&confirm, &[]).await;
    assert_eq!(done.status().as_u16(), 200);
    assert!(done.text().await.unwrap().contains("You're subscribed"));
    assert_eq!(
        subscription_status(&app, "grace@example.org", "jam").as_deref(),
        Some("confirmed")
    );
    assert_eq!(
        app.post_form(&confirm, &[]).await.status().as_u16(),
        404,
        "the link works once"
    );

    // 21 days before the Jam: only the confirmed subscriber is invited.
    let (session, start) = jam_in_a_month(&app).await;
    app.clock
        .set(start - Duration::days(21) + Duration::minutes(1));
    tick(&app).await;
    let invited = app.outbox(&format!("invitation:{session}:"));
    let to: Vec<&str> = invited.iter().map(|(_, r, _)| r.as_str()).collect();
    assert_eq!(to, vec!["grace@example.org"]);

    let invitation = app.smtp.wait_for("grace@example.org", 2).await.remove(1);
    assert!(
        invitation.subject.starts_with("You're invited"),
        "{}",
        invitation.subject
    );
    assert!(
        invitation
            .text
            .contains(r#"Hello Grace "Amazing" Hö\pper,"#),
        "{}",
        invitation.text
    );
    assert_eq!(
        invitation.header("List-Id"),
        Some("Jam announcements <jam.convene.test>")
    );
    assert_eq!(
        invitation.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = invitation.header("List-Unsubscribe").unwrap();
    assert!(
        unsubscribe.starts_with("<http://convene.test/u/") && unsubscribe.ends_with('>'),
        "{unsubscribe}"
    );
    assert!(!unsubscribe.contains('\n'), "unfolded: {unsubscribe:?}");
    assert!(invitation
        .text
        .contains(&unsubscribe[1..unsubscribe.len() - 1]));
    assert!(
        invitation.text.contains("1 Example Plaza"),
        "postal address"
    );
    assert!(invitation.html.contains("Unsubscribe"));

    // The register link fills in the form for them.
    let register = invitation
        .link("http://convene.test/sessions/")
        .expect("register link");
    let form = app.get(&register).await.text().await.unwrap();
    assert!(
        form.contains("value=\"grace@example.org\""),
        "e-mail filled in"
    );
    assert!(form.contains("value=\"Navy Behavioral Health\""));
}

#[tokio::test]
async fn one_click_unsubscribe_stops_list_mail_including_what_is_queued() {
    let clock = Clock::manual(Utc::now());
    let app = TestApp::spawn_with_clock(clock.clone(), |s| {
        s.mail.unsubscribe_mailto = "unsubscribe@convene.test".into();
    })
    .await;
    app.subscribe_confirmed("stay@example.org", &["jam"]).await;
    app.subscribe_confirmed("leave@example.org", &["jam", "echo"])
        .await;

    let (session, start) = jam_in_a_month(&app).await;
    app.clock
        .set(start - Duration::days(21) + Duration::minutes(1));
    tick(&app).await;
    let first = app.smtp.wait_for("leave@example.org", 2).await.remove(1);
    let header = first.header("List-Unsubscribe").unwrap().to_string();
    assert!(
        header.contains(", <mailto:unsubscribe@convene.test?subject=unsubscribe%20"),
        "{header}"
    );
    let path = first.link("http://convene.test/u/").unwrap();
    assert!(header.contains(&path), "header and body name the same link");

    // GET shows a button and changes nothing.
    let page = app.get(&path).await;
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    assert_eq!(
        subscription_status(&app, "leave@example.org", "jam").as_deref(),
        Some("confirmed")
    );

    // Stop sending for a moment: hold the next messages in the outbox by
    // making every send fail transiently, then queue the last-chance note.
    app.smtp.refuse_next(1_000);
    app.clock
        .set(start - Duration::days(2) + Duration::minutes(1));
    tick(&app).await;
    let queued = app.outbox(&format!("invitation:{session}:2880m:"));
    assert_eq!(queued.len(), 2, "{queued:?}");
    // Let both refusals be recorded before the clock moves: a failure
    // written after the move would schedule its retry past the new time,
    // and the manual clock would never reach it.
    wait_for_refusals_recorded(&app, &format!("invitation:{session}:2880m:"), 2).await;

    // RFC 8058 one-click: a bare POST with the form body, no cookie.
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        subscription_status(&app, "leave@example.org", "jam").as_deref(),
        Some("unsubscribed")
    );
    assert_eq!(
        subscription_status(&app, "leave@example.org", "echo").as_deref(),
        Some("confirmed"),
        "other lists are kept"
    );

    // Sending works again; the retry is due once the (manual) clock moves.
    app.smtp.refuse_next(0);
    app.clock.advance(Duration::minutes(5));
    let last = app.smtp.wait_for("stay@example.org", 3).await;
    assert!(
        last[2].subject.starts_with("Last chance"),
        "{}",
        last[2].subject
    );
    let rows = app.outbox(&format!("invitation:{session}:2880m:"));
    let statuses: Vec<(&str, &str)> = rows
        .iter()
        .map(|(_, r, s)| (r.as_str(), s.as_str()))
        .collect();
    assert!(
        statuses.contains(&("leave@example.org", "skipped")),
        "{statuses:?}"
    );
    assert_eq!(
        app.smtp.to("leave@example.org").len(),
        2,
        "nothing more after unsubscribing"
    );

    // Repeating the POST is harmless; an unknown token is a 404.
    assert_eq!(app.post_form(&path, &[]).await.status().as_u16(), 200);
    assert_eq!(
        app.post_form("/u/0000000000000000000000000000000000000000", &[])
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(app.get("/u/not-a-token").await.status().as_u16(), 404);
}

#[tokio::test]
async fn ticking_the_box_when_registering_asks_to_confirm_the_series_list() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let mut form = crate::helpers::registration_form("boxticker@example.org");
    form.push(("subscribe", "on"));
    let path = format!("/sessions/{session}/register");
    assert_eq!(app.post_form(&path, &form).await.status().as_u16(), 303);
    let mails = app.smtp.wait_for("boxticker@example.org", 2).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.contains(&"Please confirm your subscription"),
        "{subjects:?}"
    );
    assert_eq!(
        subscription_status(&app, "boxticker@example.org", "jam").as_deref(),
        Some("pending"),
        "not on the list until confirmed"
    );
}
