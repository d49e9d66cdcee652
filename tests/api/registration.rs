use chrono::Utc;
use icalendar::Component;

use crate::helpers::{next_third_tuesday_1pm_new_york, registration_form, with_conn, TestApp};

fn event_start(ics: &str) -> Option<icalendar::DatePerhapsTime> {
    let calendar: icalendar::Calendar = ics.parse().expect("the invitation parses as iCalendar");
    let event = calendar.events().next().expect("an event");
    event.get_start()
}

#[tokio::test]
async fn registering_sends_a_confirmation_with_an_invitation_for_the_third_tuesday() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;

    let response = app.register(session, "Ada@Example.org").await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "a valid registration redirects"
    );
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/r/") && location.ends_with("/confirmation"),
        "{location}"
    );

    let page = app.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("You're registered"),
        "confirmation page heading"
    );
    assert!(
        page.contains(&format!("/sessions/{session}/calendar.ics")),
        "add-to-calendar link"
    );
    assert!(
        page.contains(&format!(
            "http://convene.test{}",
            location.trim_end_matches("/confirmation")
        )),
        "private manage link"
    );

    let mail = app.smtp.wait_for("ada@example.org", 1).await.remove(0);
    assert!(
        mail.subject.starts_with("You're registered"),
        "subject: {}",
        mail.subject
    );
    assert!(
        mail.text.contains("https://zoom.us/j/"),
        "join link in the text"
    );
    assert!(mail.html.contains("/r/"), "manage link in the HTML");
    let (method, ics) = mail.calendar.clone().expect("a text/calendar alternative");
    assert_eq!(method.to_uppercase(), "REQUEST");
    assert!(ics.contains("METHOD:REQUEST\r\n"), "METHOD inside the file");
    assert!(ics.contains("RSVP=FALSE"), "attendee without RSVP");
    assert!(ics.contains("BEGIN:VALARM"), "a reminder alarm");
    let expected = next_third_tuesday_1pm_new_york(Utc::now());
    assert_eq!(
        event_start(&ics),
        Some(icalendar::DatePerhapsTime::DateTime(
            icalendar::CalendarDateTime::Utc(expected)
        )),
        "the invitation starts on the third Tuesday at 13:00 New York"
    );
    assert_eq!(
        mail.attachment.as_deref(),
        Some(ics.as_str()),
        "the same file as invite.ics"
    );
}

#[tokio::test]
async fn an_invalid_form_comes_back_with_a_message_per_field_and_writes_nothing() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let session = app.next_jam().await;
    let response = app
        .post_form(
            &format!("/sessions/{session}/register"),
            &[
                ("first_name", "<script>alert(1)</script>"),
                ("last_name", ""),
                ("email", "not-an-address"),
                ("sector", "astrology"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422, "invalid input is a 422");
    let page = response.text().await.unwrap();
    for message in [
        "Enter your last name.",
        "Enter an e-mail address like name@example.org.",
        "Enter your organization.",
        "Choose the sector that best describes your organization.",
        "Choose your state or territory",
    ] {
        assert!(page.contains(message), "missing field message `{message}`");
    }
    assert!(page.contains("There is a problem"), "error summary");
    assert!(
        page.contains("<title>Error: "),
        "the page title says there is an error"
    );
    assert!(
        page.contains("value=\"not-an-address\""),
        "what was typed is kept"
    );
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "typed text must be escaped"
    );
    assert!(page.contains("&lt;script&gt;"), "typed text kept, escaped");
    assert_eq!(
        app.registered_count(session).await,
        (0, 0),
        "nothing registered"
    );
    let outbox: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        use diesel::prelude::*;
        outbox.count().get_result(c).unwrap()
    });
    assert_eq!(outbox, 0, "nothing queued");
}

#[tokio::test]
async fn registering_twice_creates_nothing_new_and_resends_the_confirmation() {
    let app = TestApp::spawn_with(|s| s.mail.resend_confirmation_after_seconds = 0).await;
    let session = app.next_jam().await;
    let first = app.register_ok(session, "twice@example.org").await;
    let second = app.register(session, "TWICE@example.org ").await;
    assert_eq!(
        second.headers()["location"],
        format!("/sessions/{session}/check-email").as_str(),
        "the second post is not shown the registration"
    );
    assert_eq!(app.registered_count(session).await, (1, 0));
    let mails = app.smtp.wait_for("twice@example.org", 2).await;
    assert_eq!(
        mails[1].manage_path(),
        first,
        "the same registration (and manage link), e-mailed again"
    );
    assert!(
        mails
            .iter()
            .all(|m| m.subject.starts_with("You're registered")),
        "both are confirmations"
    );
    assert_ne!(
        mails[0].message_id, mails[1].message_id,
        "two distinct messages"
    );
}

#[tokio::test]
async fn a_repeat_registration_within_the_resend_window_sends_nothing() {
    let app = TestApp::spawn().await; // default: at most one confirmation per 10 minutes
    let session = app.next_jam().await;
    app.register_ok(session, "hasty@example.org").await;
    app.register_ok(session, "hasty@example.org").await;
    app.smtp.wait_for("hasty@example.org", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        app.smtp.to("hasty@example.org").len(),
        1,
        "only one confirmation"
    );
}

fn with_capacity(capacity: u32) -> impl FnOnce(&mut convene::Settings) {
    move |s| s.series.get_mut("jam").expect("jam series").capacity = capacity
}

#[tokio::test]
async fn a_full_session_waitlists_and_a_cancellation_promotes_the_first_in_line() {
    let app = TestApp::spawn_with(with_capacity(1)).await;
    let session = app.next_jam().await;
    let first = app.register_ok(session, "first@example.org").await;
    app.register_ok(session, "second@example.org").await;
    app.register_ok(session, "third@example.org").await;
    assert_eq!(app.registered_count(session).await, (1, 2));

    let waitlisted = app.smtp.wait_for("second@example.org", 1).await.remove(0);
    assert!(
        waitlisted.subject.starts_with("You're on the waitlist"),
        "{}",
        waitlisted.subject
    );
    assert!(
        waitlisted.calendar.is_none(),
        "no invitation while waitlisted"
    );

    let response = app.post_form(&format!("{first}/cancel"), &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        app.registered_count(session).await,
        (1, 1),
        "the freed place is taken from the waitlist"
    );

    let promoted = app.smtp.wait_for("second@example.org", 2).await;
    let promoted = promoted
        .iter()
        .find(|m| m.subject.starts_with("A place opened up"))
        .expect("a promotion e-mail");
    assert_eq!(
        promoted.calendar.as_ref().map(|c| c.0.to_uppercase()),
        Some("REQUEST".into()),
        "the promotion carries the invitation"
    );
    let third = app.smtp.wait_for("third@example.org", 1).await.remove(0);
    let page = app.get(&third.manage_path()).await.text().await.unwrap();
    assert!(
        page.contains("number 1"),
        "the third person moves up to first in line"
    );
}

#[tokio::test]
async fn cancelling_sends_a_calendar_cancel_for_the_same_event_once() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, "leaving@example.org").await;
    let confirmation = app.smtp.wait_for("leaving@example.org", 1).await.remove(0);
    let (_, request) = confirmation.calendar.unwrap();

    let page = app.get(&manage).await.text().await.unwrap();
    assert!(
        page.contains("Cancel my registration"),
        "manage page offers cancelling"
    );

    assert_eq!(
        app.post_form(&format!("{manage}/cancel"), &[])
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.post_form(&format!("{manage}/cancel"), &[])
            .await
            .status()
            .as_u16(),
        303,
        "cancelling twice is harmless"
    );
    let mails = app.smtp.wait_for("leaving@example.org", 2).await;
    let cancel = &mails[1];
    assert!(
        cancel.subject.starts_with("Registration cancelled"),
        "{}",
        cancel.subject
    );
    let (method, ics) = cancel.calendar.clone().expect("a calendar part");
    assert_eq!(method.to_uppercase(), "CANCEL");
    assert!(
        ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED"),
        "{ics}"
    );

    let uid = |text: &str| {
        text.replace("\r\n ", "")
            .lines()
            .find(|l| l.starts_with("UID:"))
            .map(str::to_string)
    };
    let seq = |text: &str| -> u32 {
        text.lines()
            .find_map(|l| l.strip_prefix("SEQUENCE:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap()
    };
    assert_eq!(
        uid(&ics),
        uid(&request),
        "the cancellation names the same event"
    );
    assert!(
        seq(&ics) > seq(&request),
        "the cancellation has a higher SEQUENCE"
    );

    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.smtp.to("leaving@example.org").len(),
        2,
        "only one cancellation message"
    );
    assert_eq!(app.registered_count(session).await, (0, 0));
    let page = app.get(&manage).await.text().await.unwrap();
    assert!(
        page.contains("<strong>cancelled</strong>"),
        "manage page shows the cancellation"
    );
}

#[tokio::test]
async fn registering_again_after_cancelling_sends_a_newer_invitation() {
    let app = TestApp::spawn_with(|s| s.mail.resend_confirmation_after_seconds = 0).await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, "back@example.org").await;
    app.post_form(&format!("{manage}/cancel"), &[]).await;
    let again = app.register(session, "back@example.org").await;
    assert_eq!(again.status().as_u16(), 303);
    let mails = app.smtp.wait_for("back@example.org", 3).await;
    assert_eq!(mails[2].manage_path(), manage, "the same manage link");
    let seq = |m: &crate::helpers::Mail| -> u32 {
        let ics = &m.calendar.as_ref().unwrap().1;
        ics.lines()
            .find_map(|l| l.strip_prefix("SEQUENCE:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert!(
        seq(&mails[2]) > seq(&mails[1]),
        "the new invitation outranks the cancellation"
    );
    assert_eq!(app.registered_count(session).await, (1, 0));
}

#[tokio::test]
async fn a_made_up_manage_link_is_not_found() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/r/0123456789abcdef0123456789abcdef01234567")
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(app.get("/r/short").await.status().as_u16(), 404);
    assert_eq!(
        app.post_form("/r/0123456789abcdef0123456789abcdef01234567/cancel", &[])
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn registering_for_a_session_that_does_not_exist_is_not_found() {
    let app = TestApp::spawn().await;
    let response = app
        .post_form(
            "/sessions/424242/register",
            &registration_form("ghost@example.org"),
        )
        .await;
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn a_form_that_is_not_url_encoded_is_a_400_not_a_500() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let response = app
        .client
        .post(format!("{}/sessions/{session}/register", app.address))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// Posts `n` registrations for `session` at once, spread over the
/// instances at `bases`, and checks each is accepted.
async fn rush(app: &TestApp, bases: &[String], session: i64, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = app.client.clone();
            let url = format!("{}/sessions/{session}/register", bases[i % bases.len()]);
            tokio::spawn(async move {
                let email = format!("rush{i}@example.org");
                client
                    .post(url)
                    .form(&registration_form(&email))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 303, "every registration is accepted");
    }
}

#[tokio::test]
async fn concurrent_registrations_never_overfill_a_session() {
    let app = TestApp::spawn_with(with_capacity(5)).await;
    let session = app.next_jam().await;
    rush(&app, std::slice::from_ref(&app.address), session, 24).await;
    assert_eq!(
        app.registered_count(session).await,
        (5, 19),
        "exactly the capacity is registered, the rest waitlisted"
    );
}

#[tokio::test]
async fn two_instances_on_one_database_fill_a_session_exactly() {
    let app = TestApp::spawn_with(with_capacity(4)).await;
    let other = convene::Application::build(app.settings.clone())
        .await
        .expect("a second instance builds on the same database");
    let other_address = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    let session = app.next_jam().await;
    rush(&app, &[app.address.clone(), other_address], session, 20).await;
    assert_eq!(
        app.registered_count(session).await,
        (4, 16),
        "exactly the capacity is registered across both instances, the rest waitlisted"
    );
}

#[tokio::test]
async fn what_people_type_is_escaped_in_the_html_mail() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let mut form = registration_form("markup@example.org");
    form[0] = ("first_name", "<b onmouseover=alert(1)>Ada</b>");
    let response = app
        .post_form(&format!("/sessions/{session}/register"), &form)
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "a name with markup is still a name"
    );
    let mail = app.smtp.wait_for("markup@example.org", 1).await.remove(0);
    assert!(
        !mail.html.contains("<b onmouseover"),
        "markup must not reach the HTML part"
    );
    assert!(
        mail.html
            .contains("&lt;b onmouseover&#x3D;alert(1)&gt;Ada&lt;/b&gt;"),
        "escaped name expected in:\n{}",
        mail.html
    );
    assert!(
        mail.text.contains("Hello <b onmouseover=alert(1)>Ada</b>,"),
        "the text part shows it as typed"
    );
}

#[tokio::test]
async fn ticking_subscribe_on_a_repeat_registration_is_kept() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let session = app.next_jam().await;
    let form = registration_form("later@example.org");
    let path = format!("/sessions/{session}/register");
    assert_eq!(app.post_form(&path, &form).await.status().as_u16(), 303);
    let subscribed = || {
        with_conn(&app.pool, |c| {
            use convene::db::schema::registrations::dsl::*;
            use diesel::prelude::*;
            registrations.select(subscribe).first::<bool>(c).unwrap()
        })
    };
    assert!(!subscribed(), "not ticked the first time");
    let mut ticked = registration_form("later@example.org");
    ticked.push(("subscribe", "on"));
    assert_eq!(app.post_form(&path, &ticked).await.status().as_u16(), 303);
    assert!(subscribed(), "ticked the second time");
}
