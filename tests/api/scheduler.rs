//! The scheduler, driven by moving a manual clock through a month:
//! invitations at 21 and 2 days, reminders at 7 days, 1 day and 1 hour —
//! none late, none twice, none to the cancelled or the waitlisted — and
//! the shared send rate across workers.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use convene::clock::Clock;
use convene::db;
use convene::jobs::{self, Workers};
use convene::mail::outbox::{self, NewMessage};
use convene::telemetry::Metrics;

use crate::helpers::{with_conn, TestApp};

async fn tick(app: &TestApp) -> jobs::Tick {
    jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

/// The next Jam at least five weeks after the app's clock.
async fn jam_after_five_weeks(app: &TestApp) -> (i64, DateTime<Utc>) {
    let after = app.clock.now() + Duration::days(35);
    app.sessions()
        .await
        .into_iter()
        .map(|s| {
            let start: DateTime<Utc> = s["starts_at"].as_str().unwrap().parse().unwrap();
            (s["id"].as_i64().unwrap(), start)
        })
        .find(|(_, start)| *start > after)
        .expect("a Jam five weeks ahead")
}

fn registration_id(app: &TestApp, session: i64, address: &str) -> i64 {
    with_conn(&app.pool, |c| {
        use convene::db::schema::{people, registrations};
        use diesel::prelude::*;
        registrations::table
            .inner_join(people::table)
            .filter(registrations::session_id.eq(session))
            .filter(people::email.eq(address))
            .select(registrations::id)
            .first(c)
            .unwrap()
    })
}

fn subscription_id(app: &TestApp, address: &str) -> i64 {
    with_conn(&app.pool, |c| {
        use convene::db::schema::{people, subscriptions};
        use diesel::prelude::*;
        subscriptions::table
            .inner_join(people::table)
            .filter(people::email.eq(address))
            .select(subscriptions::id)
            .first(c)
            .unwrap()
    })
}

/// Reminder rows for the session's registrations, as (key without the
/// session's start, recipient).
fn reminders(app: &TestApp, ids: &[(i64, &str)]) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = ids
        .iter()
        .flat_map(|(id, _)| app.outbox(&format!("registration:{id}:reminder:")))
        .map(|(k, r, _)| (k.rsplit_once(':').unwrap().0.to_string(), r))
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_month_of_invitations_and_reminders_each_once_and_never_late() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |s| {
        s.series.get_mut("jam").unwrap().capacity = 2;
    })
    .await;
    let (session, start) = jam_after_five_weeks(&app).await;
    app.subscribe_confirmed("a@example.org", &["jam"]).await;
    app.subscribe_confirmed("b@example.org", &["jam"]).await;
    let (sub_a, sub_b) = (
        subscription_id(&app, "a@example.org"),
        subscription_id(&app, "b@example.org"),
    );
    // A month ahead: r1 and x take the two places, w is waitlisted.
    for who in ["r1@example.org", "x@example.org", "w@example.org"] {
        app.register_ok(session, who).await;
    }
    let at = |before: Duration| start - before + Duration::minutes(1);
    let step = |before: Duration| {
        app.clock.set(at(before));
        tick(&app)
    };

    // 21 days before: both subscribers invited, once however often we tick.
    step(Duration::days(21)).await;
    tick(&app).await;
    let invited = |offset: &str| -> Vec<String> {
        app.outbox(&format!("invitation:{session}:{offset}:"))
            .into_iter()
            .map(|(k, _, _)| k)
            .collect()
    };
    let t = start.timestamp();
    assert_eq!(
        invited("30240m"),
        vec![
            format!("invitation:{session}:30240m:{t}:{sub_a}"),
            format!("invitation:{session}:30240m:{t}:{sub_b}"),
        ]
    );

    // 10 days before, a registers (and is waitlisted: the session is full).
    app.clock.set(start - Duration::days(10));
    app.register_ok(session, "a@example.org").await;

    // 7 days before: r1 and x are reminded; w (waitlisted) is not.
    step(Duration::days(7)).await;
    let (r1, x, w) = (
        registration_id(&app, session, "r1@example.org"),
        registration_id(&app, session, "x@example.org"),
        registration_id(&app, session, "w@example.org"),
    );
    let people = [
        (r1, "r1@example.org"),
        (x, "x@example.org"),
        (w, "w@example.org"),
        (
            registration_id(&app, session, "a@example.org"),
            "a@example.org",
        ),
    ];
    assert_eq!(
        reminders(&app, &people),
        vec![
            (
                format!("registration:{r1}:reminder:10080m"),
                "r1@example.org".to_string()
            ),
            (
                format!("registration:{x}:reminder:10080m"),
                "x@example.org".to_string()
            ),
        ]
    );

    // 5 days before, x cancels: w moves up, too late for the 7-day reminder.
    app.clock.set(start - Duration::days(5));
    let manage = app.smtp.wait_for("x@example.org", 1).await[0].manage_path();
    let cancelled = app.post_form(&format!("{manage}/cancel"), &[]).await;
    assert_eq!(cancelled.status().as_u16(), 303);

    // 2 days before: the last chance goes to b only (a has signed up).
    step(Duration::days(2)).await;
    assert_eq!(
        invited("2880m"),
        vec![format!("invitation:{session}:2880m:{t}:{sub_b}")]
    );

    // 1 day and 1 hour before: r1 and the promoted w; not x, not a.
    step(Duration::days(1)).await;
    step(Duration::hours(1)).await;
    tick(&app).await;
    // After the start: nothing more.
    app.clock.set(start + Duration::minutes(5));
    tick(&app).await;
    let key =
        |id: i64, m: &str, to: &str| (format!("registration:{id}:reminder:{m}"), to.to_string());
    let mut expected = vec![
        key(r1, "10080m", "r1@example.org"),
        key(x, "10080m", "x@example.org"),
        key(r1, "1440m", "r1@example.org"),
        key(w, "1440m", "w@example.org"),
        key(r1, "60m", "r1@example.org"),
        key(w, "60m", "w@example.org"),
    ];
    expected.sort();
    assert_eq!(reminders(&app, &people), expected);

    // What r1 received, through the real SMTP server: confirmation + 3.
    let mails = app.smtp.wait_for("r1@example.org", 4).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    for lead in ["in 7 days", "tomorrow", "in 1 hour"] {
        let mail = mails
            .iter()
            .find(|m| m.subject.contains(lead))
            .unwrap_or_else(|| panic!("no reminder '{lead}' in {subjects:?}"));
        assert!(mail.text.contains("https://zoom.us/j/"), "join link");
        assert!(mail.text.contains("http://convene.test/r/"), "manage link");
    }
    let b = app.smtp.wait_for("b@example.org", 3).await;
    assert!(
        b.iter()
            .any(|m| m.subject.starts_with("Last chance to register")),
        "{:?}",
        b.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn two_schedulers_at_once_remind_each_registrant_exactly_once() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    let (session, start) = jam_after_five_weeks(&app).await;
    let everyone: Vec<String> = (0..12).map(|i| format!("twice{i}@example.org")).collect();
    for who in &everyone {
        app.register_ok(session, who).await;
    }
    app.clock
        .set(start - Duration::days(1) + Duration::minutes(1));
    // A second instance: its own pool on the same database.
    let settings = Arc::new(app.settings.clone());
    let other = tokio::task::spawn_blocking({
        let database = app.settings.database.clone();
        move || db::connect(&database).expect("second pool")
    })
    .await
    .unwrap();
    let now = app.clock.now();
    let (first, second) = tokio::join!(
        jobs::tick(&app.pool, settings.clone(), now),
        jobs::tick(&other, settings.clone(), now),
    );
    let added = first.unwrap().reminders + second.unwrap().reminders;
    assert_eq!(added, everyone.len(), "each reminder enqueued once in all");
    for who in &everyone {
        let mails = app.smtp.wait_for(who, 2).await;
        let reminders = mails
            .iter()
            .filter(|m| m.subject.starts_with("Reminder"))
            .count();
        assert_eq!(reminders, 1, "{who}");
    }
    // The outbox holds one reminder per person, each marked sent (the mark
    // follows the server's acceptance by a moment: poll, bounded).
    let ids: Vec<i64> = everyone
        .iter()
        .map(|who| registration_id(&app, session, who))
        .collect();
    let rows = || -> Vec<(String, String, String)> {
        ids.iter()
            .flat_map(|id| app.outbox(&format!("registration:{id}:reminder:")))
            .collect()
    };
    for _ in 0..100 {
        if rows().iter().all(|(_, _, status)| status == "sent") {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let rows = rows();
    assert_eq!(rows.len(), everyone.len());
    assert!(
        rows.iter().all(|(_, _, status)| status == "sent"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn workers_in_two_processes_share_one_sending_rate() {
    let per_second = 5;
    let app = TestApp::spawn_with(|s| s.mail.rate_per_second = per_second).await;
    // A second worker set with its own pool, as `convene worker` would run.
    let database = app.settings.database.clone();
    let other = tokio::task::spawn_blocking(move || db::connect(&database).unwrap())
        .await
        .unwrap();
    let second = Workers::start(
        Arc::new(app.settings.clone()),
        other,
        Arc::new(Metrics::new()),
        Clock::system(),
    )
    .unwrap();
    let n = 16;
    with_conn(&app.pool, |c| {
        let now = Utc::now().naive_utc();
        for i in 0..n {
            let msg = NewMessage {
                key: format!("test:rate:{i}"),
                template: "subscription_confirm",
                recipient: format!("rate{i}@example.org"),
                context: serde_json::json!({
                    "first_name": "R", "lists": ["Jam announcements"],
                    "confirm_url": "http://convene.test/x", "valid_hours": 1,
                    "subscribe_url": "http://convene.test/subscribe",
                }),
                calendar: None,
            };
            outbox::enqueue(c, &msg, now).unwrap();
        }
    });
    let mut arrivals = Vec::new();
    for _ in 0..300 {
        arrivals = app.smtp.received().iter().map(|r| r.at).collect();
        if arrivals.len() >= n {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    second.stop().await;
    assert_eq!(arrivals.len(), n, "all messages delivered");
    arrivals.sort();
    // Never more than `per_second` in any second: message i and message
    // i + per_second are at least about a second apart (slack for the
    // server's own timing; a missing limit sends all 16 within moments).
    let k = per_second as usize;
    for i in 0..n - k {
        let gap = arrivals[i + k] - arrivals[i];
        assert!(
            gap >= StdDuration::from_millis(800),
            "messages {i} and {} only {gap:?} apart",
            i + k
        );
    }
}

#[tokio::test]
async fn a_reschedule_drops_queued_reminders_and_reminds_again_for_the_new_time() {
    use convene::organizer::manage::{self, Start};
    use convene::registration::store::Policy;

    // No workers: reminders stay queued where we can see them.
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |s| {
        s.jobs.run_in_serve = false;
    })
    .await;
    let (session, start) = jam_after_five_weeks(&app).await;
    app.register_ok(session, "moved@example.org").await;
    app.register_ok(session, "leaving@example.org").await;
    let (moved, leaving) = (
        registration_id(&app, session, "moved@example.org"),
        registration_id(&app, session, "leaving@example.org"),
    );
    app.clock
        .set(start - Duration::days(1) + Duration::minutes(1));
    assert_eq!(tick(&app).await.reminders, 2);

    // Cancelling a registration drops its queued reminder.
    let sealed = with_conn(&app.pool, |c| {
        use convene::db::schema::registrations::dsl::*;
        use diesel::prelude::*;
        registrations
            .find(leaving)
            .select(token_sealed)
            .first::<Option<String>>(c)
            .unwrap()
            .expect("a sealed manage link")
    });
    let manage_path = crate::helpers::open_link(&app, &sealed);
    let cancelled = app
        .post_form(&format!("/r/{manage_path}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status().as_u16(), 303);
    let status = |id: i64| -> Vec<String> {
        app.outbox(&format!("registration:{id}:reminder:"))
            .into_iter()
            .map(|(_, _, s)| s)
            .collect()
    };
    assert_eq!(status(leaving), vec!["skipped"]);

    // The session moves a week later: the queued reminder names the old
    // time, so it is dropped; the new time's reminders come in their turn.
    let policy = Policy::from_settings(&app.settings);
    let new_start = start + Duration::days(7);
    let now = app.clock.naive();
    convene::db::write(&app.pool, move |conn| {
        manage::reschedule(
            conn,
            &convene::audit::Actor::cli(),
            &policy,
            session,
            Start::Exact(new_start),
            None,
            now,
        )
    })
    .await
    .expect("reschedule");
    assert_eq!(status(moved), vec!["skipped"]);
    app.clock
        .set(new_start - Duration::days(7) + Duration::minutes(1));
    assert_eq!(tick(&app).await.reminders, 1, "the 7-day reminder, again");
    let mut now_queued = status(moved);
    now_queued.sort();
    assert_eq!(now_queued, vec!["pending", "skipped"]);
    assert_eq!(
        status(leaving),
        vec!["skipped"],
        "nothing for the cancelled"
    );
}
