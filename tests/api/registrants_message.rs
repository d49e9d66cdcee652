//! An organizer's message to a session's registrants and/or waitlist: over
//! the API and the session page's form, received by the SMTP server, once
//! per person however often the form is sent, audited; cancelled
//! registrations, facilitators and strangers get nothing.

use chrono::{Duration, Utc};
use convene::auth::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, field_of, page, post_page, send, sign_in, token, with_conn, TestApp,
};

const ORGANIZER: &str = "org@example.org";
const FACILITATOR: &str = "fac@example.org";
const REGISTERED: &str = "reg@example.org";
const WAITING: &str = "wait@example.org";
const GONE: &str = "gone@example.org";

struct World {
    app: TestApp,
    organizer: String,
    session: i64,
}

async fn post(app: &TestApp, path: &str, bearer: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, Some(bearer), Some(body)).await
}

/// A session of one place: one person registered, one waitlisted, one who
/// was waitlisted and cancelled.
async fn world() -> World {
    let app = TestApp::spawn().await;
    create_user(&app, ORGANIZER, Role::Organizer);
    create_user(&app, FACILITATOR, Role::Facilitator);
    let organizer = token(&app, ORGANIZER).await;
    let (status, body) = post(
        &app,
        "/api/v1/organizer/sessions",
        &organizer,
        json!({
            "series": "jam",
            "start": (Utc::now() + Duration::days(40)).to_rfc3339(),
            "title": "Small group",
            "capacity": "1",
        }),
    )
    .await;
    assert_eq!(status, 201, "session created: {body}");
    let session = body["session"]["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for email in [REGISTERED, WAITING, GONE] {
        let (status, body) = post(
            &app,
            &format!("/api/v1/organizer/sessions/{session}/registrations"),
            &organizer,
            json!({
                "first_name": "Ada", "last_name": "Lovelace", "email": email,
                "organization": "Engines", "job_title": "Director",
                "sector": "provider", "state": "NY",
            }),
        )
        .await;
        assert_eq!(status, 201, "{email} added: {body}");
        ids.push(body["id"].as_i64().expect("a registration id"));
    }
    let (status, body) = post(
        &app,
        &format!("/api/v1/organizer/registrations/{}/cancel", ids[2]),
        &organizer,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "the third cancelled: {body}");
    World {
        app,
        organizer,
        session,
    }
}

/// Recipients of the messages (not confirmations) queued for the session.
fn message_rows(app: &TestApp) -> Vec<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        outbox
            .filter(idempotency_key.like("registration:%:message:%"))
            .order(recipient)
            .select(recipient)
            .load(c)
            .unwrap()
    })
}

fn audited(app: &TestApp, session: i64) -> Vec<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .filter(subject.eq(format!("session:{session}")))
            .filter(action.eq("session.message"))
            .select(after.assume_not_null())
            .load(c)
            .unwrap()
    })
}

/// The mail to `address` whose subject is `subject`, once received.
async fn received(app: &TestApp, address: &str, subject: &str) -> crate::helpers::Mail {
    for n in 1..=4 {
        let mails = app.smtp.wait_for(address, n).await;
        if let Some(mail) = mails.into_iter().find(|m| m.subject == subject) {
            return mail;
        }
    }
    panic!("no mail `{subject}` to {address}");
}

#[tokio::test]
async fn the_registered_get_the_message_once_and_the_waitlist_and_the_cancelled_do_not() {
    let w = world().await;
    let path = format!("/api/v1/organizer/sessions/{}/message", w.session);
    let body = json!({
        "subject": "Bring a case",
        "body": "Dear all,\r\nplease bring <b>one</b> case.\r\n\r\nSee you & thanks",
        "audience": "registered",
    });

    let (status, reply) = post(&w.app, &path, &w.organizer, body.clone()).await;
    assert_eq!(status, 200, "sent: {reply}");
    assert_eq!(reply["recipients"], 1, "one person is registered: {reply}");
    assert_eq!(reply["queued"], 1, "{reply}");
    assert_eq!(reply["repeat"], false, "{reply}");

    let (status, again) = post(&w.app, &path, &w.organizer, body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["repeat"], true,
        "the same message again is a repeat: {again}"
    );
    assert_eq!(again["queued"], 0, "nothing more is queued: {again}");
    assert_eq!(
        message_rows(&w.app),
        [REGISTERED],
        "one row, to the registered person only"
    );
    assert_eq!(
        audited(&w.app, w.session).len(),
        1,
        "one audit entry for one message"
    );

    let mail = received(&w.app, REGISTERED, "Bring a case").await;
    assert!(
        mail.text.contains("please bring <b>one</b> case."),
        "the text as written: {}",
        mail.text
    );
    assert!(
        mail.html
            .contains("please bring &lt;b&gt;one&lt;/b&gt; case.")
            && !mail.html.contains("<b>one</b>"),
        "the writer's HTML is shown as text, not markup: {}",
        mail.html
    );
    assert!(
        mail.html.contains("Dear all,<br>"),
        "lines kept: {}",
        mail.html
    );
    assert!(
        mail.html.contains("<p>See you &amp; thanks</p>"),
        "paragraphs kept: {}",
        mail.html
    );
    assert!(
        mail.text.contains("http://convene.test/r/"),
        "the private manage link: {}",
        mail.text
    );
}

#[tokio::test]
async fn a_preview_counts_each_audience_and_sends_nothing() {
    let w = world().await;
    let path = format!("/api/v1/organizer/sessions/{}/message", w.session);
    for (audience, expected) in [("registered", 1), ("waitlisted", 1), ("both", 2)] {
        let (status, reply) = post(
            &w.app,
            &path,
            &w.organizer,
            json!({ "subject": "S", "body": "B", "audience": audience, "preview": true }),
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["recipients"], expected, "{audience}: {reply}");
        assert_eq!(reply["queued"], 0, "a preview queues nothing: {reply}");
    }
    assert!(message_rows(&w.app).is_empty(), "nothing queued");
    assert!(
        audited(&w.app, w.session).is_empty(),
        "a preview changes nothing"
    );

    let (status, reply) = post(
        &w.app,
        &path,
        &w.organizer,
        json!({ "subject": "S", "body": "To both", "audience": "both" }),
    )
    .await;
    assert_eq!(
        (status, reply["queued"].as_i64()),
        (200, Some(2)),
        "{reply}"
    );
    assert_eq!(
        message_rows(&w.app),
        [REGISTERED, WAITING],
        "registered and waitlisted, not the cancelled"
    );
    received(&w.app, WAITING, "S").await;
}

#[tokio::test]
async fn bad_fields_are_named_and_others_may_not_send() {
    let w = world().await;
    let path = format!("/api/v1/organizer/sessions/{}/message", w.session);
    let (status, reply) = post(
        &w.app,
        &path,
        &w.organizer,
        json!({ "subject": "Two\nlines", "body": " ", "audience": "everyone" }),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    for field in ["subject", "body", "audience"] {
        assert!(
            reply["error"]["fields"][field].is_string(),
            "{field} named: {reply}"
        );
    }
    let (status, _) = post(
        &w.app,
        "/api/v1/organizer/sessions/999999/message",
        &w.organizer,
        json!({ "subject": "S", "body": "B", "audience": "both" }),
    )
    .await;
    assert_eq!(status, 404, "no such session");

    let message = json!({ "subject": "S", "body": "B", "audience": "both" });
    let facilitator = token(&w.app, FACILITATOR).await;
    let (status, _) = post(&w.app, &path, &facilitator, message.clone()).await;
    assert_eq!(
        status, 403,
        "a facilitator may not write to the Jam's registrants"
    );
    let (status, _) = send(&w.app, reqwest::Method::POST, &path, None, Some(message)).await;
    assert_eq!(status, 401, "nor a stranger");
    let form = w
        .app
        .post_form(
            &format!("/organizer/sessions/{}/message", w.session),
            &[("subject", "S"), ("body", "B"), ("audience", "both")],
        )
        .await;
    assert_eq!(
        form.status().as_u16(),
        303,
        "the page form sends a stranger to sign in"
    );
    assert!(
        message_rows(&w.app).is_empty(),
        "nothing queued by anyone refused"
    );
}

#[tokio::test]
async fn the_page_form_sent_twice_sends_once_and_lists_the_message() {
    let w = world().await;
    let cookie = sign_in(&w.app, ORGANIZER).await;
    let session_page = format!("/organizer/sessions/{}", w.session);
    let html = page(&w.app, &session_page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Registered people and the waitlist: 2 people"),
        "the count per choice"
    );
    let key = field_of(&html, "idempotency_key");
    let csrf = csrf_of(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("audience", "waitlisted"),
        ("subject", "A place may open"),
        ("body", "Keep an eye on your inbox."),
    ];
    for _ in 0..2 {
        let response = post_page(&w.app, &format!("{session_page}/message"), &cookie, &form).await;
        assert_eq!(response.status().as_u16(), 303, "back to the session page");
    }
    assert_eq!(
        message_rows(&w.app),
        [WAITING],
        "one message, to the waitlist only"
    );
    assert_eq!(audited(&w.app, w.session).len(), 1, "audited once");
    received(&w.app, WAITING, "A place may open").await;
    let html = page(&w.app, &session_page, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("“A place may open” to The waitlist (1)"),
        "the page lists the message sent"
    );

    let blank = [
        ("csrf", csrf.as_str()),
        ("audience", "both"),
        ("subject", ""),
        ("body", ""),
    ];
    let response = post_page(&w.app, &format!("{session_page}/message"), &cookie, &blank).await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "a blank message is refused"
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("Write a subject.") && text.contains("Write the message."),
        "{text}"
    );
}

#[tokio::test]
async fn a_full_jam_gets_one_message_each_from_one_request() {
    let app = TestApp::spawn().await;
    create_user(&app, ORGANIZER, Role::Organizer);
    let organizer = token(&app, ORGANIZER).await;
    let jam = app.next_jam().await;
    // A Jam's average, through the registration transaction itself.
    let (policy, now, pool) = (
        convene::registration::store::Policy::from_settings(&app.settings),
        app.clock.naive(),
        app.pool.clone(),
    );
    tokio::task::spawn_blocking(move || {
        with_conn(&pool, |conn| {
            for i in 0..577 {
                let form = convene::people::contact::RegistrationForm {
                    first_name: "Person".into(),
                    last_name: format!("Number {i}"),
                    email: format!("person{i}@example.org"),
                    organization: "A provider".into(),
                    job_title: "Director".into(),
                    sector: "provider".into(),
                    state: "NY".into(),
                    subscribe: None,
                    website: String::new(),
                };
                let person = convene::people::contact::parse(&form).unwrap();
                convene::registration::store::register(conn, jam, &person, &policy, now).unwrap();
            }
        })
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let (status, reply) = post(
        &app,
        &format!("/api/v1/organizer/sessions/{jam}/message"),
        &organizer,
        json!({ "subject": "See you Tuesday", "body": "The join link is in your calendar.", "audience": "both" }),
    )
    .await;
    // A figure for the record, not a test: timings are never asserted.
    eprintln!(
        "message to {} people queued in {:?}",
        reply["queued"],
        started.elapsed()
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (reply["recipients"].as_i64(), reply["queued"].as_i64()),
        (Some(577), Some(577)),
        "{reply}"
    );
    assert_eq!(message_rows(&app).len(), 577, "one row each");
}
