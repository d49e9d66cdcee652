//! ECHO cases from the participant's side: the multipart form screened for
//! identifying details (each finding named), attestation, the attachment
//! checked by content, observers refused, who may read whose case, the
//! revision round trip, and the follow-up answer.

use chrono::{DateTime, Duration, TimeZone, Utc};
use convene::audit::Actor;
use convene::auth::Role;
use convene::clock::Clock;
use convene::echo::cases::{self, Review};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::{create_user, send, token, with_conn, TestApp};

fn october() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
}

/// A cohort with `people` approved (e-mail, role); returns the app and
/// each one's magic-link path, in order.
pub(crate) async fn cohort_with(people: &[(&str, &str)]) -> (TestApp, Vec<String>) {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let t = token(&app, "hub@example.org").await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/echo/cohorts",
        Some(&t),
        Some(json!({
            "slug": "cohort-3", "name": "Cohort 3", "starts_on": "2026-11-01", "ends_on": "2027-04-30",
            "applications_open_on": "2026-09-15", "applications_close_on": "2026-10-31",
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut links = Vec::new();
    for (n, (email, role)) in people.iter().enumerate() {
        let form = [
            ("first_name", "Dorothea"),
            ("last_name", "Dix"),
            ("email", email),
            ("organization", "Hudson Valley CMHC"),
            ("organization_type", "cmhc"),
            ("state", "NY"),
            ("job_title", "Clinical director"),
            ("role", role),
            ("hopes_to_bring", "A rural crisis team's experience."),
            ("hopes_to_learn", "How to keep peer specialists."),
        ];
        assert_eq!(
            app.post_form("/echo/cohort-3/apply", &form)
                .await
                .status()
                .as_u16(),
            303
        );
        let id: i64 = with_conn(&app.pool, |c| {
            use convene::db::schema::applications::dsl::*;
            use diesel::prelude::*;
            applications.order(id.desc()).select(id).first(c).unwrap()
        });
        let (status, body) = send(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/echo/applications/{id}/decision"),
            Some(&t),
            Some(json!({ "decision": "approved" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let welcome = app.smtp.wait_for(email, 2).await.remove(1);
        let link = welcome
            .link("http://convene.test/echo/p/")
            .expect("magic link");
        links.push(link.trim_start_matches("http://convene.test").to_string());
        assert_eq!(links.len(), n + 1);
    }
    (app, links)
}

/// A minimal well-formed PDF.
pub fn pdf() -> Vec<u8> {
    let body = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n107\n%%EOF\n";
    body.as_bytes().to_vec()
}

pub(crate) fn case_form(question: &str, attest: bool, file: Option<(&str, Vec<u8>)>) -> Form {
    let mut form = Form::new()
        .text("title", "Keeping peer specialists past year one")
        .text("organization_type", "cmhc")
        .text("size_band", "50-199")
        .text("setting", "rural")
        .text("state", "NY")
        .text("challenge", "retention")
        .text("challenge_text", "Peer specialists leave within a year of starting, mostly for better-paid hospital jobs.")
        .text("tried", "We raised pay 6% in 2024 and added monthly group supervision.\nTurnover is still 40% a year.")
        .text("question", question.to_string())
        .text("levers", "payment")
        .text("levers", "organizational-culture")
        .text("preferred_session_id", "");
    if attest {
        form = form.text("attest", "yes");
    }
    match file {
        Some((name, bytes)) => {
            form.part("attachment", Part::bytes(bytes).file_name(name.to_string()))
        }
        None => form.part("attachment", Part::bytes(Vec::new()).file_name("")),
    }
}

pub(crate) async fn post_case(app: &TestApp, path: &str, form: Form) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn case_ids(app: &TestApp) -> Vec<i64> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::cases::dsl::*;
        use diesel::prelude::*;
        cases.order(id).select(id).load(c).unwrap()
    })
}

/// The cohort's first session.
fn first_session(app: &TestApp) -> convene::series::model::Session {
    with_conn(&app.pool, |c| {
        use convene::db::schema::{echo_sessions, sessions};
        use convene::series::model::Session;
        use diesel::prelude::*;
        sessions::table
            .inner_join(echo_sessions::table)
            .order(sessions::starts_at)
            .select(Session::as_select())
            .first(c)
            .unwrap()
    })
}

/// A facilitator accepts case `id` into session `session`.
fn accept(app: &TestApp, id: i64, session: i64) {
    let (public, now) = (app.settings.http.public_url.clone(), app.clock.naive());
    let review = Review::Accept {
        session_id: session,
        message: None,
    };
    with_conn(&app.pool, |c| {
        cases::review(c, &Actor::cli(), id, &review, &public, now).expect("accepted")
    });
}

const QUESTION: &str = "What would you change first to keep peers past their first year?";

#[tokio::test]
async fn the_case_form_names_identifying_details_and_needs_the_attestation() {
    let (app, links) = cohort_with(&[("dorothea@example.org", "participant")]).await;
    let me = &links[0];
    let page = app.get(&format!("{me}/cases/new")).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("enctype=\"multipart/form-data\""));

    let leaky = "Our peer lead (call her at 555-201-4477 or\nwrite to jane.doe@hvcmhc.org) asks: what would you change first?";
    let refused = post_case(&app, &format!("{me}/cases"), case_form(leaky, false, None)).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Your question for the hub, line 1: a phone number (555) ***-4477"),
        "{html}"
    );
    assert!(
        html.contains("Your question for the hub, line 2: an e-mail address j***@hvcmhc.org"),
        "{html}"
    );
    assert!(
        !html.contains("jane.doe@hvcmhc.org\n"),
        "the form keeps what they typed, but the messages mask it"
    );
    assert!(html.contains("Attestation: confirm"), "{html}");
    assert!(
        html.contains("Keeping peer specialists past year one"),
        "typed values are kept"
    );

    let image = post_case(
        &app,
        &format!("{me}/cases"),
        case_form(
            QUESTION,
            true,
            Some(("case.pdf", b"\x89PNG\r\n\x1a\n0000".to_vec())),
        ),
    )
    .await;
    assert_eq!(image.status().as_u16(), 422);
    assert!(image.text().await.unwrap().contains("Attachment:"));
    assert!(case_ids(&app).is_empty(), "nothing is half-written");

    let sent = post_case(
        &app,
        &format!("{me}/cases"),
        case_form(QUESTION, true, Some(("C:\\fakepath\\our case.pdf", pdf()))),
    )
    .await;
    assert_eq!(sent.status().as_u16(), 303);
    let to = sent.headers()["location"].to_str().unwrap().to_string();
    let receipt = app.smtp.wait_for("dorothea@example.org", 3).await.remove(2);
    assert!(receipt.subject.contains("is in"), "{}", receipt.subject);
    let html = app.get(&to).await.text().await.unwrap();
    assert!(
        html.contains("submitted") && html.contains("our case.pdf"),
        "{html}"
    );
    let file = app.get(&format!("{to}/attachment")).await;
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert!(file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(file.bytes().await.unwrap().to_vec(), pdf());
    assert!(app
        .get(me)
        .await
        .text()
        .await
        .unwrap()
        .contains("Keeping peer specialists past year one"));
}

#[tokio::test]
async fn a_question_over_its_length_is_refused_for_it_and_not_screened() {
    let (app, links) = cohort_with(&[("dorothea@example.org", "participant")]).await;
    let long = "Call 555-201-4477 today.\n".repeat(100);
    let refused = post_case(
        &app,
        &format!("{}/cases", links[0]),
        case_form(&long, true, None),
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("at most 2000 characters"),
        "the length is what is wrong: {html}"
    );
    assert!(
        !html.contains("a phone number"),
        "a field refused for its length is not screened line by line"
    );
    assert!(case_ids(&app).is_empty(), "nothing is written");
}

#[tokio::test]
async fn an_observer_cannot_submit_a_case() {
    let (app, links) = cohort_with(&[("clara@example.org", "observer")]).await;
    let me = &links[0];
    assert_eq!(
        app.get(&format!("{me}/cases/new")).await.status().as_u16(),
        403
    );
    let posted = post_case(
        &app,
        &format!("{me}/cases"),
        case_form(QUESTION, true, None),
    )
    .await;
    assert_eq!(posted.status().as_u16(), 403);
    assert!(case_ids(&app).is_empty());
    assert!(!app
        .get(me)
        .await
        .text()
        .await
        .unwrap()
        .contains("Submit a case"));
}

#[tokio::test]
async fn another_participant_reads_a_case_only_once_it_has_been_presented() {
    let (app, links) = cohort_with(&[
        ("dorothea@example.org", "participant"),
        ("clara@example.org", "participant"),
    ])
    .await;
    let (dorothea, clara) = (&links[0], &links[1]);
    let sent = post_case(
        &app,
        &format!("{dorothea}/cases"),
        case_form(QUESTION, true, Some(("case.pdf", pdf()))),
    )
    .await;
    assert_eq!(sent.status().as_u16(), 303);
    let id = case_ids(&app)[0];
    for path in [
        format!("{clara}/cases/{id}"),
        format!("{clara}/cases/{id}/attachment"),
    ] {
        assert_eq!(
            app.get(&path).await.status().as_u16(),
            404,
            "{path} before review"
        );
    }

    // Accepted into the first session: still hidden until it begins.
    let session = first_session(&app);
    accept(&app, id, session.id);
    assert_eq!(
        app.get(&format!("{clara}/cases/{id}"))
            .await
            .status()
            .as_u16(),
        404,
        "not before its session"
    );
    app.clock
        .set(session.starts_at.and_utc() + Duration::minutes(5));
    let html = app
        .get(&format!("{clara}/cases/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Presented on") && html.contains("Dorothea Dix, Hudson Valley CMHC"),
        "{html}"
    );
    assert_eq!(
        app.get(&format!("{clara}/cases/{id}/attachment"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert!(app
        .get(clara)
        .await
        .text()
        .await
        .unwrap()
        .contains("Cases presented in your cohort"));
}

#[tokio::test]
async fn a_case_sent_back_is_revised_and_a_follow_up_is_answered() {
    let (app, links) = cohort_with(&[("dorothea@example.org", "participant")]).await;
    let me = &links[0];
    post_case(
        &app,
        &format!("{me}/cases"),
        case_form(QUESTION, true, None),
    )
    .await;
    let id = case_ids(&app)[0];
    let (public, now) = (app.settings.http.public_url.clone(), app.clock.naive());
    assert_eq!(
        app.get(&format!("{me}/cases/{id}/edit"))
            .await
            .status()
            .as_u16(),
        404,
        "only when sent back"
    );
    with_conn(&app.pool, |c| {
        let ask = Review::Revise {
            message: "Say how many peers you employ.".into(),
        };
        cases::review(c, &Actor::cli(), id, &ask, &public, now).expect("sent back")
    });
    let mail = app.smtp.wait_for("dorothea@example.org", 4).await.remove(3);
    assert!(mail.text.contains("Say how many peers you employ."));
    let edit = app
        .get(&format!("{me}/cases/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        edit.contains("Say how many peers you employ.") && edit.contains("Turnover is still 40%"),
        "{edit}"
    );
    let revised = post_case(
        &app,
        &format!("{me}/cases/{id}"),
        case_form(
            "We employ 12 peers. What would you change first?",
            true,
            None,
        ),
    )
    .await;
    assert_eq!(revised.status().as_u16(), 303);
    let case = with_conn(&app.pool, |c| cases::find(c, id).unwrap().unwrap());
    assert_eq!((case.status.as_str(), case.revision), ("submitted", 2));
    assert!(case.question.starts_with("We employ 12 peers."));

    // Presented, recommended, and asked (by the scheduler) what happened.
    let session = first_session(&app);
    accept(&app, id, session.id);
    app.clock
        .set(session.ends_at.and_utc() + Duration::hours(1));
    let later = app.clock.naive();
    with_conn(&app.pool, |c| {
        cases::recommend(
            c,
            &Actor::cli(),
            id,
            "1. Pair each new peer with a mentor.",
            Duration::weeks(8),
            &public,
            later,
        )
        .unwrap()
    });
    let answer_form = app
        .get(&format!("{me}/cases/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        answer_form.contains("<ol>") && !answer_form.contains("What happened since?"),
        "{answer_form}"
    );
    app.clock.advance(Duration::weeks(8) + Duration::hours(1));
    let due = app.clock.naive();
    let asked = with_conn(&app.pool, |c| {
        cases::follow_ups_due(c, &public, due).unwrap()
    });
    assert_eq!(asked, 1);
    let asked = app.smtp.wait_for("dorothea@example.org", 8).await;
    assert!(
        asked
            .iter()
            .any(|m| m.subject.starts_with("What happened with")),
        "{:?}",
        asked.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let page = app
        .get(&format!("{me}/cases/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("What happened since?"));
    let answered = app
        .post_form(
            &format!("{me}/cases/{id}/follow-up"),
            &[("answer", "Mentoring halved first-year exits.")],
        )
        .await;
    assert_eq!(answered.status().as_u16(), 303);
    let case = with_conn(&app.pool, |c| cases::find(c, id).unwrap().unwrap());
    assert_eq!(
        case.follow_up_answer.as_deref(),
        Some("Mentoring halved first-year exits.")
    );
    let empty = app
        .post_form(&format!("{me}/cases/{id}/follow-up"), &[("answer", "  ")])
        .await;
    assert_eq!(empty.status().as_u16(), 422);
}

#[tokio::test]
async fn a_lost_magic_link_is_sent_again_to_an_approved_address_only() {
    let (app, links) = cohort_with(&[("dorothea@example.org", "participant")]).await;
    let bad = app
        .post_form("/echo/link", &[("email", "not an address")])
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    for email in [
        "dorothea@example.org",
        "nobody@example.org",
        "Dorothea@Example.org",
    ] {
        let sent = app.post_form("/echo/link", &[("email", email)]).await;
        assert_eq!(sent.status().as_u16(), 200);
        assert!(
            sent.text().await.unwrap().contains("If a cohort approved"),
            "the same answer for {email}"
        );
    }
    let queued = app.outbox("echo-link:");
    assert_eq!(
        queued.len(),
        1,
        "the second ask is inside the window: {queued:?}"
    );
    assert_eq!(queued[0].1, "dorothea@example.org");
    let mail = app.smtp.wait_for("dorothea@example.org", 3).await.remove(2);
    assert!(
        mail.text
            .contains(&format!("http://convene.test{}", links[0])),
        "{}",
        mail.text
    );
}

#[tokio::test]
async fn participants_hear_when_a_session_moves_and_a_cancelled_sessions_case_goes_back_to_review()
{
    let (app, links) = cohort_with(&[
        ("dorothea@example.org", "participant"),
        ("clara@example.org", "observer"),
    ])
    .await;
    post_case(
        &app,
        &format!("{}/cases", links[0]),
        case_form(QUESTION, true, None),
    )
    .await;
    let id = case_ids(&app)[0];
    let session = first_session(&app);
    accept(&app, id, session.id);
    create_user(&app, "org@example.org", Role::Organizer);
    let organizer = token(&app, "org@example.org").await;

    let moved_to = session.starts_at.and_utc() + Duration::days(7);
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{}/reschedule", session.id),
        Some(&organizer),
        Some(json!({ "start": moved_to.to_rfc3339() })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let clara = app.smtp.wait_for("clara@example.org", 3).await.remove(2);
    assert!(clara.subject.starts_with("New time:"), "{}", clara.subject);
    let (method, ics) = clara.calendar.clone().expect("the updated event");
    assert_eq!(method, "PUBLISH");
    assert!(
        ics.contains(&format!("UID:{}", session.uid)) && ics.contains("SEQUENCE:1"),
        "{ics}"
    );
    let dorothea = app.smtp.wait_for("dorothea@example.org", 5).await;
    let note = dorothea
        .iter()
        .find(|m| m.subject.starts_with("New time:"))
        .expect("the presenter too");
    assert!(note.text.contains("You present your case"), "{}", note.text);

    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{}/cancel", session.id),
        Some(&organizer),
        Some(json!({ "reason": "The hub's faculty retreat" })),
    )
    .await;
    assert_eq!(status, 200);
    let cancelled = app.smtp.wait_for("dorothea@example.org", 6).await.remove(5);
    assert!(
        cancelled.subject.starts_with("Cancelled:"),
        "{}",
        cancelled.subject
    );
    assert_eq!(
        cancelled.calendar.as_ref().map(|c| c.0.as_str()),
        Some("CANCEL")
    );
    assert!(
        cancelled
            .text
            .contains("will schedule it into another session"),
        "{}",
        cancelled.text
    );
    let case = with_conn(&app.pool, |c| cases::find(c, id).unwrap().unwrap());
    assert_eq!((case.status.as_str(), case.session_id), ("submitted", None));
}
