//! Organizer operations on sessions: the real `convene session …` binary
//! run against a running app's database; what registrants receive is read
//! from the app's SMTP server.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use convene::db::schema::{outbox, sessions};
use diesel::prelude::*;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventStatus};

use crate::helpers::{run_convene, with_conn, CliRun, Mail, TestApp};

async fn convene(app: &TestApp, args: &[&str]) -> CliRun {
    run_convene(app, args, "").await
}

async fn convene_ok(app: &TestApp, args: &[&str]) -> String {
    let run = convene(app, args).await;
    assert!(
        run.ok,
        "`convene {}` failed: {}",
        args.join(" "),
        run.stderr
    );
    run.stdout
}

fn with_capacity(capacity: u32) -> impl FnOnce(&mut convene::Settings) {
    move |s| s.series.get_mut("jam").expect("jam series").capacity = capacity
}

/// The next Jam's id and start.
async fn next_jam(app: &TestApp) -> (i64, DateTime<Utc>) {
    let first = app.sessions().await.remove(0);
    let start = first["starts_at"].as_str().unwrap().parse().unwrap();
    (first["id"].as_i64().unwrap(), start)
}

/// `days` after `start`'s New York date, at `hh:mm` there: as typed on the
/// command line, and as the instant it means.
fn new_york(start: DateTime<Utc>, days: i64, hh_mm: &str) -> (String, DateTime<Utc>) {
    let date = start.with_timezone(&New_York).date_naive() + Duration::days(days);
    let typed = format!("{date} {hh_mm}");
    let local = chrono::NaiveDateTime::parse_from_str(&typed, "%Y-%m-%d %H:%M").unwrap();
    let at = New_York
        .from_local_datetime(&local)
        .single()
        .expect("an unambiguous New York time")
        .with_timezone(&Utc);
    (typed, at)
}

/// The event of a message's `text/calendar` part, with its method.
struct Invite {
    method: String,
    ics: String,
    uid: String,
    sequence: u32,
    start: Option<DatePerhapsTime>,
    status: Option<EventStatus>,
}

fn invite(mail: &Mail) -> Invite {
    let (method, ics) = mail
        .calendar
        .clone()
        .unwrap_or_else(|| panic!("`{}` has no calendar part", mail.subject));
    let calendar: icalendar::Calendar = ics.parse().expect("the calendar part parses");
    let event = calendar.events().next().expect("an event").clone();
    Invite {
        method: method.to_uppercase(),
        uid: event.get_uid().expect("a UID").to_string(),
        sequence: event.get_sequence().expect("a SEQUENCE"),
        start: event.get_start(),
        status: event.get_status(),
        ics,
    }
}

fn find<'a>(mails: &'a [Mail], subject_prefix: &str) -> &'a Mail {
    mails
        .iter()
        .find(|m| m.subject.starts_with(subject_prefix))
        .unwrap_or_else(|| {
            panic!(
                "no message starting `{subject_prefix}` among {:?}",
                mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
            )
        })
}

fn outbox_keys(app: &TestApp, recipient: &str) -> Vec<String> {
    with_conn(&app.pool, |c| {
        outbox::table
            .filter(outbox::recipient.eq(recipient))
            .order(outbox::id.asc())
            .select(outbox::idempotency_key)
            .load(c)
            .unwrap()
    })
}

fn outbox_count(app: &TestApp) -> i64 {
    with_conn(&app.pool, |c| outbox::table.count().get_result(c).unwrap())
}

#[tokio::test]
async fn rescheduling_sends_registered_people_an_updated_invitation_and_the_waitlist_a_notice() {
    let app = TestApp::spawn_with(with_capacity(2)).await;
    let (session, old_start) = next_jam(&app).await;
    let gone = app.register_ok(session, "gone@example.org").await;
    assert_eq!(
        app.post_form(&format!("{gone}/cancel"), &[])
            .await
            .status()
            .as_u16(),
        303
    );
    app.register_ok(session, "ada@example.org").await;
    app.register_ok(session, "grace@example.org").await;
    app.register_ok(session, "wait@example.org").await;
    assert_eq!(app.registered_count(session).await, (2, 1));
    for who in ["ada@example.org", "grace@example.org", "wait@example.org"] {
        app.smtp.wait_for(who, 1).await;
    }

    let (typed, new_start) = new_york(old_start, 7, "15:30");
    let said = convene_ok(
        &app,
        &[
            "session",
            "reschedule",
            &session.to_string(),
            "--start",
            &typed,
            "--duration",
            "90m",
        ],
    )
    .await;
    assert!(
        said.starts_with(&format!("Rescheduled session {session}"))
            && said.contains("3 messages queued"),
        "one line saying what happened: {said}"
    );

    for who in ["ada@example.org", "grace@example.org"] {
        let mails = app.smtp.wait_for(who, 2).await;
        let before = invite(find(&mails, "You're registered"));
        let update = find(&mails, "New time");
        let after = invite(update);
        assert_eq!(after.method, "REQUEST", "the update is an invitation");
        assert!(after.ics.contains("METHOD:REQUEST\r\n"), "{}", after.ics);
        assert_eq!(
            after.uid, before.uid,
            "the same event, so calendars move it"
        );
        assert!(
            after.sequence > before.sequence,
            "SEQUENCE {} should outrank {}",
            after.sequence,
            before.sequence
        );
        assert_eq!(
            after.start,
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(new_start))),
            "the new start"
        );
        assert!(
            update.text.contains("It was:") && update.text.contains("3:30 PM"),
            "the text gives the old and the new time:\n{}",
            update.text
        );
    }

    let mails = app.smtp.wait_for("wait@example.org", 2).await;
    let notice = find(&mails, "New time");
    assert!(
        notice.calendar.is_none(),
        "the waitlist holds no invitation"
    );
    assert!(notice.attachment.is_none(), "and gets no .ics");
    assert!(
        notice.text.contains("still on the waitlist"),
        "{}",
        notice.text
    );

    assert!(
        !outbox_keys(&app, "gone@example.org")
            .iter()
            .any(|k| k.contains("session-update")),
        "a cancelled registration is not told"
    );
    let listed = app
        .sessions()
        .await
        .into_iter()
        .find(|s| s["id"].as_i64() == Some(session))
        .expect("still listed");
    let starts_at: DateTime<Utc> = listed["starts_at"].as_str().unwrap().parse().unwrap();
    let ends_at: DateTime<Utc> = listed["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        (starts_at, ends_at),
        (new_start, new_start + Duration::minutes(90))
    );
}

#[tokio::test]
async fn cancelling_a_session_removes_it_from_calendars_says_why_and_closes_registration() {
    let app = TestApp::spawn_with(with_capacity(1)).await;
    let (session, _) = next_jam(&app).await;
    app.register_ok(session, "ada@example.org").await;
    app.register_ok(session, "wait@example.org").await;
    let confirmation = app.smtp.wait_for("ada@example.org", 1).await.remove(0);
    let before = invite(&confirmation);
    app.smtp.wait_for("wait@example.org", 1).await;

    let reason = "The Jam takes a break for the holidays; see you in January.";
    let said = convene_ok(
        &app,
        &[
            "session",
            "cancel",
            &session.to_string(),
            "--reason",
            reason,
        ],
    )
    .await;
    assert!(
        said.starts_with(&format!("Cancelled session {session}"))
            && said.contains("2 messages queued"),
        "{said}"
    );

    let mails = app.smtp.wait_for("ada@example.org", 2).await;
    let cancellation = find(&mails, "Cancelled");
    let after = invite(cancellation);
    assert_eq!(after.method, "CANCEL", "the MIME part says CANCEL");
    assert!(after.ics.contains("METHOD:CANCEL\r\n"), "{}", after.ics);
    assert_eq!(after.status, Some(EventStatus::Cancelled));
    assert_eq!(after.uid, before.uid, "the same event is removed");
    assert!(after.sequence > before.sequence, "a higher SEQUENCE");
    assert!(
        cancellation.text.contains(reason),
        "the reason: {}",
        cancellation.text
    );
    let mails = app.smtp.wait_for("wait@example.org", 2).await;
    let notice = find(&mails, "Cancelled");
    assert!(notice.calendar.is_none(), "no calendar for the waitlist");
    assert!(notice.text.contains(reason), "{}", notice.text);

    assert_eq!(
        app.register(session, "late@example.org")
            .await
            .status()
            .as_u16(),
        409,
        "registration is closed"
    );
    assert!(
        app.sessions()
            .await
            .iter()
            .all(|s| s["id"].as_i64() != Some(session)),
        "a cancelled session is no longer listed"
    );

    let queued = outbox_count(&app);
    let again = convene(
        &app,
        &["session", "cancel", &session.to_string(), "--reason", "x"],
    )
    .await;
    assert!(!again.ok, "cancelling twice is refused");
    assert!(
        again.stderr.contains("already cancelled"),
        "{}",
        again.stderr
    );
    let moved = convene(
        &app,
        &[
            "session",
            "reschedule",
            &session.to_string(),
            "--start",
            "2099-01-06 13:00",
        ],
    )
    .await;
    assert!(!moved.ok, "a cancelled session cannot be moved");
    assert!(moved.stderr.contains("is cancelled"), "{}", moved.stderr);
    assert_eq!(outbox_count(&app), queued, "nothing more was queued");
}

#[tokio::test]
async fn a_one_off_session_is_listed_and_the_scheduler_neither_duplicates_it_nor_restores_a_skipped_month(
) {
    let app = TestApp::spawn().await;
    let (jam, jam_start) = next_jam(&app).await;
    let (typed, start) = new_york(jam_start, 1, "11:00");

    let said = convene_ok(
        &app,
        &[
            "session",
            "create",
            "--series",
            "jam",
            "--start",
            &typed,
            "--duration",
            "90",
            "--title",
            "National virtual meeting",
            "--capacity",
            "300",
        ],
    )
    .await;
    let one_off: i64 = said
        .strip_prefix("Created session ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the new session's id: {said}"));
    convene_ok(
        &app,
        &[
            "session",
            "cancel",
            &jam.to_string(),
            "--reason",
            "Federal holiday",
        ],
    )
    .await;
    let total = || {
        with_conn(&app.pool, |c| {
            sessions::table.count().get_result::<i64>(c).unwrap()
        })
    };
    let before_sync = total();

    let created = convene::jobs::sync_series(
        &app.pool,
        std::sync::Arc::new(app.settings.clone()),
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(created, 0, "the scheduler creates nothing");
    assert_eq!(total(), before_sync, "no session was added");

    let listed = app.sessions().await;
    let meetings: Vec<_> = listed
        .iter()
        .filter(|s| s["title"] == "National virtual meeting")
        .collect();
    assert_eq!(meetings.len(), 1, "the one-off is listed once");
    let meeting = meetings[0];
    assert_eq!(meeting["id"].as_i64(), Some(one_off));
    assert_eq!(meeting["capacity"], 300);
    assert_eq!(meeting["series"], "jam");
    let starts_at: DateTime<Utc> = meeting["starts_at"].as_str().unwrap().parse().unwrap();
    let ends_at: DateTime<Utc> = meeting["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        (starts_at, ends_at),
        (start, start + Duration::minutes(90)),
        "at 11:00 New York, for 90 minutes"
    );
    assert!(
        listed.iter().all(|s| s["id"].as_i64() != Some(jam)
            && s["starts_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
                != jam_start),
        "the skipped month stays skipped"
    );
    let (occurrence, status): (Option<NaiveDate>, String) = with_conn(&app.pool, |c| {
        sessions::table
            .find(one_off)
            .select((sessions::occurrence_date, sessions::status))
            .first(c)
            .unwrap()
    });
    assert_eq!(
        (occurrence, status.as_str()),
        (None, "scheduled"),
        "a one-off is outside the rule"
    );

    let list = convene_ok(&app, &["session", "list", "--all"]).await;
    let line = |id: i64| {
        list.lines()
            .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("session {id} in:\n{list}"))
            .to_string()
    };
    assert!(line(one_off).contains("National virtual meeting"), "{list}");
    assert!(line(jam).contains("cancelled"), "{list}");
}

#[tokio::test]
async fn more_places_promote_the_waitlist_and_fewer_waitlist_nobody() {
    let app = TestApp::spawn_with(with_capacity(1)).await;
    let (session, _) = next_jam(&app).await;
    app.register_ok(session, "ada@example.org").await;
    app.register_ok(session, "first@example.org").await;
    app.register_ok(session, "second@example.org").await;
    assert_eq!(app.registered_count(session).await, (1, 2));

    let id = session.to_string();
    let said = convene_ok(&app, &["session", "update", &id, "--capacity", "2"]).await;
    assert!(
        said.contains("capacity 1 → 2")
            && said.contains("1 message queued")
            && said.contains("1 promoted"),
        "{said}"
    );
    assert_eq!(app.registered_count(session).await, (2, 1));
    let mails = app.smtp.wait_for("first@example.org", 2).await;
    let promoted = find(&mails, "A place opened up");
    assert_eq!(invite(promoted).method, "REQUEST", "with the invitation");

    let said = convene_ok(&app, &["session", "update", &id, "--capacity", "1"]).await;
    assert!(said.contains("no messages queued"), "{said}");
    assert_eq!(
        app.registered_count(session).await,
        (2, 1),
        "fewer places take nobody's place away"
    );
    assert_eq!(
        outbox_keys(&app, "ada@example.org").len(),
        1,
        "a change of capacity alone is not a calendar change: only the confirmation"
    );
}

/// The second Sunday of March next year: New York skips 02:00–03:00.
fn spring_forward_next_year() -> NaiveDate {
    let year = Utc::now().year() + 1;
    NaiveDate::from_weekday_of_month_opt(year, 3, Weekday::Sun, 2).unwrap()
}

#[tokio::test]
async fn refused_changes_exit_non_zero_say_why_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (jam, jam_start) = next_jam(&app).await;
    app.register_ok(jam, "ada@example.org").await;
    // A session that is over (arranged in the database: the CLI's clock is
    // the system's).
    let over = app.sessions().await[1]["id"].as_i64().unwrap();
    let an_hour_ago = (Utc::now() - Duration::hours(1)).naive_utc();
    with_conn(&app.pool, |c| {
        diesel::update(sessions::table.find(over))
            .set((
                sessions::starts_at.eq(an_hour_ago - Duration::hours(1)),
                sessions::ends_at.eq(an_hour_ago),
            ))
            .execute(c)
            .unwrap()
    });
    type Row = (i64, String, String, String, i32, String, i32, String);
    let snapshot = || -> Vec<Row> {
        with_conn(&app.pool, |c| {
            sessions::table
                .order(sessions::id.asc())
                .select((
                    sessions::id,
                    sessions::title,
                    sessions::description,
                    sessions::join_url,
                    sessions::capacity,
                    sessions::status,
                    sessions::sequence,
                    sessions::starts_at,
                ))
                .load::<(
                    i64,
                    String,
                    String,
                    String,
                    i32,
                    String,
                    i32,
                    chrono::NaiveDateTime,
                )>(c)
                .unwrap()
                .into_iter()
                .map(|(a, b, d, e, f, g, h, t)| (a, b, d, e, f, g, h, t.to_string()))
                .collect()
        })
    };
    let sessions_before = snapshot();
    let queued = outbox_count(&app);

    let (future, _) = new_york(jam_start, 7, "14:00");
    let gap = format!("{} 02:30", spring_forward_next_year());
    let (jam, over) = (jam.to_string(), over.to_string());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["session", "reschedule", "999999", "--start", &future],
            "no session with id 999999",
        ),
        (
            vec![
                "session", "create", "--series", "nope", "--start", &future, "--title", "X",
            ],
            "no series `nope`",
        ),
        (
            vec!["session", "reschedule", &jam, "--start", "2020-01-07 13:00"],
            "in the past",
        ),
        (
            vec![
                "session",
                "reschedule",
                &jam,
                "--start",
                &future,
                "--duration",
                "0",
            ],
            "more than zero",
        ),
        (
            vec!["session", "update", &jam, "--title", "  "],
            "title must not be empty",
        ),
        (
            vec!["session", "update", &jam, "--join-url", "zoom dot us"],
            "not a valid URL",
        ),
        (
            vec!["session", "reschedule", &jam, "--start", &gap],
            "does not exist",
        ),
        (
            vec!["session", "update", &over, "--title", "Too late"],
            "is over",
        ),
    ];
    for (args, why) in &cases {
        let run = convene(&app, args).await;
        assert!(!run.ok, "`convene {}` should fail", args.join(" "));
        assert!(
            run.stderr.contains(why),
            "`convene {}` should say `{why}`, said: {}",
            args.join(" "),
            run.stderr
        );
    }
    assert_eq!(snapshot(), sessions_before, "no session changed");
    assert_eq!(outbox_count(&app), queued, "nothing was queued");
}
