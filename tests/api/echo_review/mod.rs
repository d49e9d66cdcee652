//! The facilitators' side of ECHO cases, through the real app and its SMTP
//! server: reviewing (accept into a session's case slot with its calendar
//! invitation, ask for a revision, decline), the slot and role checks, the
//! hub's recommendations after the session and the follow-up the scheduler
//! sends once, the attachment download, the facilitators' pages and the
//! audit log. Cases are written with `cases::submit`, as the participant's
//! form does.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use convene::auth::Role;
use convene::echo::cases::{self, CheckedFile, NewCase};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::echo::{application, application_ids, apply, cohort_3, echo_app};
use crate::helpers::{
    create_user, csrf_of, page, post_page, send, sign_in, token, with_conn, Mail, TestApp,
};

const PRESENTER: &str = "dorothea@example.org";

/// Cohort 3 with one approved participant, her mail so far read.
struct Hub {
    app: TestApp,
    /// The facilitator's API token.
    token: String,
    /// Cohort 3's sessions in order.
    sessions: Vec<i64>,
}

impl Hub {
    async fn new() -> Self {
        let (app, token) = echo_app(40).await;
        let applied = apply(&app, &application(PRESENTER, "participant")).await;
        assert_eq!(applied.status().as_u16(), 200, "the application is taken");
        let id = application_ids(&app)[0];
        let (status, body) = send(
            &app,
            Method::POST,
            &format!("/api/v1/echo/applications/{id}/decision"),
            Some(&token),
            Some(json!({ "decision": "approved" })),
        )
        .await;
        assert_eq!(status, 200, "approval: {body}");
        app.smtp.wait_for(PRESENTER, 2).await;
        let (_, cohort) = send(
            &app,
            Method::GET,
            "/api/v1/echo/cohorts/cohort-3",
            Some(&token),
            None,
        )
        .await;
        let sessions = cohort["sessions"]
            .as_array()
            .expect("the cohort's sessions")
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        Hub {
            app,
            token,
            sessions,
        }
    }

    /// Submits a case for the participant, as her form would, and waits
    /// for its receipt.
    async fn submit(&self, title: &str, attachment: Option<CheckedFile>) -> i64 {
        let before = self.app.smtp.to(PRESENTER).len();
        let public = self.app.settings.http.public_url.clone();
        let now = self.app.clock.naive();
        let id = with_conn(&self.app.pool, |c| {
            let who = convene::echo::participants::find(c, application_ids(&self.app)[0])
                .unwrap()
                .expect("the application");
            c.transaction::<_, convene::error::ApiError, _>(|c| {
                cases::submit(c, &who, &new_case(title, attachment.clone()), &public, now)
            })
            .expect("the case is written")
            .id
        });
        self.app.smtp.wait_for(PRESENTER, before + 1).await;
        id
    }

    /// Sends `body` to the case's review as the facilitator.
    async fn review(&self, case: i64, body: Value) -> (u16, Value) {
        self.review_as(&self.token, case, body).await
    }

    async fn review_as(&self, bearer: &str, case: i64, body: Value) -> (u16, Value) {
        send(
            &self.app,
            Method::POST,
            &format!("/api/v1/echo/cases/{case}/review"),
            Some(bearer),
            Some(body),
        )
        .await
    }

    async fn recommend(&self, bearer: &str, case: i64, markdown: &str) -> (u16, Value) {
        send(
            &self.app,
            Method::PUT,
            &format!("/api/v1/echo/cases/{case}/recommendations"),
            Some(bearer),
            Some(json!({ "recommendations": markdown })),
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        send(&self.app, Method::GET, path, Some(&self.token), None).await
    }

    /// The next message to the presenter, after the `n` already read.
    async fn mail(&self, n: usize) -> Mail {
        self.app.smtp.wait_for(PRESENTER, n + 1).await.remove(n)
    }

    fn session_uid(&self, id: i64) -> String {
        with_conn(&self.app.pool, |c| {
            use convene::db::schema::sessions;
            sessions::table
                .find(id)
                .select(sessions::uid)
                .first(c)
                .unwrap()
        })
    }

    /// Audit actions recorded about `case`, in order.
    fn audited(&self, case: i64) -> Vec<String> {
        with_conn(&self.app.pool, |c| {
            use convene::db::schema::audit_log::dsl::*;
            audit_log
                .filter(subject.eq(format!("case:{case}")))
                .order(id)
                .select(action)
                .load(c)
                .unwrap()
        })
    }

    /// Moves the clock and signs the facilitator in again (tokens last 30
    /// minutes of the app's clock).
    async fn set_clock(&mut self, at: DateTime<Utc>) {
        self.app.clock.set(at);
        self.token = token(&self.app, "hub@example.org").await;
    }

    async fn tick(&self) -> usize {
        convene::jobs::tick(
            &self.app.pool,
            Arc::new(self.app.settings.clone()),
            self.app.clock.now(),
        )
        .await
        .expect("tick")
        .case_follow_ups
    }
}

fn new_case(title: &str, attachment: Option<CheckedFile>) -> NewCase {
    NewCase {
        title: title.into(),
        organization_type: "cmhc",
        size_band: "50-199",
        setting: "rural",
        state: "NY",
        challenge: "retention",
        tried: "Exit interviews.\nA retention bonus at one year.".into(),
        question: "How do others keep peer specialists past the first year?".into(),
        levers: vec!["payment", "organizational-culture"],
        preferred_session_id: None,
        attachment,
    }
}

fn pdf() -> CheckedFile {
    CheckedFile {
        filename: "staffing plan.pdf".into(),
        content_type: "application/pdf",
        bytes: b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n".to_vec(),
    }
}

/// The first session of cohort 3 ends November 12, 2026 at 21:00 UTC.
fn after_the_first_session() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 13, 12, 0, 0).unwrap()
}

/// A signed-in page's HTML.
async fn html_of(app: &TestApp, path: &str, cookie: &str) -> String {
    page(app, path, cookie).await.text().await.unwrap()
}

fn error_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

#[tokio::test]
async fn accepting_a_case_schedules_it_and_sends_the_sessions_calendar_invitation() {
    let hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", None).await;
    let session = hub.sessions[1];

    let (status, body) = hub
        .review(
            case,
            json!({ "decision": "accept", "session_id": session, "message": "Bring your exit data." }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "accepted");
    assert_eq!(body["session_id"], session);
    assert!(
        body["when"].as_str().is_some_and(|w| w.contains("2026")),
        "the session's time: {body}"
    );
    assert_eq!(body["presenter"]["name"], "Dorothea Dix");
    assert_eq!(body["presenter"]["email"], PRESENTER);
    assert_eq!(body["presenter"]["organization"], "Hudson Valley CMHC");

    let mail = hub.mail(3).await;
    assert!(
        mail.subject.starts_with("Your case is scheduled"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Bring your exit data."), "{}", mail.text);
    let (method, ics) = mail.calendar.expect("the session's calendar invitation");
    assert_eq!(method, "REQUEST");
    assert!(
        ics.contains(&format!("UID:{}", hub.session_uid(session))),
        "the session's own UID, so it is the same calendar event: {ics}"
    );
    assert_eq!(hub.audited(case), ["case.accepted"]);

    let (status, body) = hub
        .review(case, json!({ "decision": "decline", "message": "No." }))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (409, Some("not_submitted")),
        "an accepted case is not reviewed again: {body}"
    );

    let (status, list) = hub
        .get("/api/v1/echo/cohorts/cohort-3/cases?status=accepted")
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["cases"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["cases"][0]["presenter"]["name"], "Dorothea Dix");
    let (status, list) = hub
        .get("/api/v1/echo/cohorts/cohort-3/cases?status=submitted")
        .await;
    assert_eq!((status, list["cases"].as_array().unwrap().len()), (200, 0));
    let (status, body) = hub
        .get("/api/v1/echo/cohorts/cohort-3/cases?status=pending")
        .await;
    assert_eq!(status, 422, "an unknown status: {body}");
    assert!(body["error"]["fields"]["status"].is_string(), "{body}");
    let (status, _) = hub.get("/api/v1/echo/cohorts/cohort-9/cases").await;
    assert_eq!(status, 404, "an unknown cohort");
    let (status, _) = hub.get("/api/v1/echo/cases/999999").await;
    assert_eq!(status, 404, "an unknown case");
}

#[tokio::test]
async fn asking_for_a_revision_and_declining_send_the_facilitators_message() {
    let hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", None).await;

    for (body, field) in [
        (json!({ "decision": "revise" }), "message"),
        (
            json!({ "decision": "decline", "message": "   " }),
            "message",
        ),
        (
            json!({ "decision": "revise", "message": "x".repeat(2001) }),
            "message",
        ),
        (json!({ "decision": "accept" }), "session_id"),
        (
            json!({ "decision": "accept", "session_id": "soon" }),
            "session_id",
        ),
        (json!({ "decision": "maybe" }), "decision"),
    ] {
        let (status, answer) = hub.review(case, body.clone()).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{field} named for {body}: {answer}"
        );
    }

    let (status, body) = hub
        .review(
            case,
            json!({ "decision": "revise", "message": "Say more about what the bonus changed." }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "revision_requested");
    assert_eq!(
        body["review_message"],
        "Say more about what the bonus changed."
    );
    let asked = hub.mail(3).await;
    assert!(
        asked
            .text
            .contains("Say more about what the bonus changed."),
        "{}",
        asked.text
    );
    assert!(asked.calendar.is_none(), "no session yet");

    // She sends it again; the facilitators decline it this time.
    let (public, now) = (
        hub.app.settings.http.public_url.clone(),
        hub.app.clock.naive(),
    );
    with_conn(&hub.app.pool, |c| {
        let who = convene::echo::participants::find(c, application_ids(&hub.app)[0])
            .unwrap()
            .unwrap();
        cases::resubmit(
            c,
            &who,
            case,
            &new_case("Keeping peer specialists, revised", None),
            &public,
            now,
        )
        .expect("a revision");
    });
    hub.mail(4).await;
    let (status, body) = hub
        .review(
            case,
            json!({ "decision": "decline", "message": "It fits the spring cohort better." }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "declined");
    let declined = hub.mail(5).await;
    assert!(
        declined.text.contains("It fits the spring cohort better."),
        "{}",
        declined.text
    );
    assert_eq!(
        hub.audited(case),
        ["case.revision_requested", "case.declined"]
    );
}

#[tokio::test]
async fn a_case_goes_only_into_a_session_of_its_cohort_with_a_free_slot() {
    let hub = Hub::new().await;
    let first = hub.submit("Keeping peer specialists", None).await;
    let second = hub.submit("Paying for supervision", None).await;

    let mut cohort_4 = cohort_3(40);
    cohort_4["slug"] = json!("cohort-4");
    cohort_4["name"] = json!("Cohort 4");
    let (status, other) = send(
        &hub.app,
        Method::POST,
        "/api/v1/echo/cohorts",
        Some(&hub.token),
        Some(cohort_4),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let elsewhere = other["sessions"][0]["id"].as_i64().unwrap();
    let (status, body) = hub
        .review(
            first,
            json!({ "decision": "accept", "session_id": elsewhere }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["session_id"].is_string(), "{body}");

    let session = hub.sessions[0];
    let (status, _) = send(
        &hub.app,
        Method::PATCH,
        &format!("/api/v1/echo/sessions/{session}"),
        Some(&hub.token),
        Some(json!({ "case_slots": 1 })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = hub
        .review(
            first,
            json!({ "decision": "accept", "session_id": session }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = hub
        .review(
            second,
            json!({ "decision": "accept", "session_id": session }),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (409, Some("no_case_slot")),
        "the one case slot is taken: {body}"
    );
    let (_, body) = hub.get(&format!("/api/v1/echo/cases/{second}")).await;
    assert_eq!(
        body["status"], "submitted",
        "a refused review changes nothing"
    );
}

#[tokio::test]
async fn two_reviews_of_one_case_at_once_make_one_decision() {
    let hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", None).await;
    let (first, second) = (hub.sessions[0], hub.sessions[1]);
    // On PostgreSQL, hold the lock reviews of the cohort queue behind until
    // both reviews wait for it: each has read the case by then.
    let held = match hub.app.settings.database.url {
        convene::config::DatabaseUrl::Postgres(_) => {
            let mut conn = hub.app.pool.get().expect("a connection");
            conn.batch_execute(
                "BEGIN; UPDATE cohorts SET updated_at = updated_at WHERE slug = 'cohort-3'",
            )
            .expect("lock the cohort");
            Some(conn)
        }
        convene::config::DatabaseUrl::Sqlite(_) => None,
    };
    let review = |session: i64| {
        let (client, url, token) = (
            hub.app.client.clone(),
            format!("{}/api/v1/echo/cases/{case}/review", hub.app.address),
            hub.token.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "decision": "accept", "session_id": session }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let (a, b) = (review(first), review(second));
    if let Some(mut conn) = held {
        let waiting = || -> i64 {
            with_conn(&hub.app.pool, |c| {
                diesel::sql_query(
                    "SELECT count(*) AS n FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                )
                .get_result::<Count>(c)
                .unwrap()
                .n
            })
        };
        for _ in 0..300 {
            if waiting() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(waiting(), 2, "both reviews wait for the cohort");
        conn.batch_execute("COMMIT").unwrap();
    }
    let mut statuses = [a.await.unwrap(), b.await.unwrap()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one review wins, the other sees it");
    assert_eq!(hub.audited(case), ["case.accepted"]);
    let (_, body) = hub.get(&format!("/api/v1/echo/cases/{case}")).await;
    let mail = hub.mail(3).await;
    let (_, ics) = mail.calendar.expect("an invitation");
    let session = body["session_id"].as_i64().unwrap();
    assert!(
        ics.contains(&format!("UID:{}", hub.session_uid(session))),
        "the presenter's calendar holds the session the case is in"
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test]
async fn only_facilitators_and_admins_review() {
    let hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", None).await;
    create_user(&hub.app, "org@example.org", Role::Organizer);
    let organizer = token(&hub.app, "org@example.org").await;

    let (status, _) = hub
        .review_as(
            &organizer,
            case,
            json!({ "decision": "revise", "message": "More, please." }),
        )
        .await;
    assert_eq!(status, 403, "organizers read cases but do not review them");
    let (status, _) = hub.recommend(&organizer, case, "Try this.").await;
    assert_eq!(status, 403);
    let (status, body) = send(
        &hub.app,
        Method::GET,
        &format!("/api/v1/echo/cases/{case}"),
        Some(&organizer),
        None,
    )
    .await;
    assert_eq!((status, body["id"].as_i64()), (200, Some(case)));

    let (status, body) = send(
        &hub.app,
        Method::POST,
        &format!("/api/v1/echo/cases/{case}/review"),
        None,
        Some(json!({ "decision": "revise", "message": "More, please." })),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, Some("missing_token")),
        "{body}"
    );
    let (_, body) = hub.get(&format!("/api/v1/echo/cases/{case}")).await;
    assert_eq!(body["status"], "submitted");
    assert!(hub.audited(case).is_empty());
}

#[tokio::test]
async fn recommendations_follow_the_session_and_the_follow_up_is_sent_once_weeks_later() {
    let mut hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", None).await;
    let (status, _) = hub
        .review(
            case,
            json!({ "decision": "accept", "session_id": hub.sessions[0] }),
        )
        .await;
    assert_eq!(status, 200);
    hub.mail(3).await;

    let markdown = "# Try first\n\n- **Pay** peer specialists for supervision time\n- Pair each new hire with a mentor\n\n<script>alert('block')</script>\n\nAsk <script>alert('inline')</script> your state association.";
    let (status, body) = hub.recommend(&hub.token, case, markdown).await;
    assert_eq!(
        (status, error_code(&body)),
        (409, Some("not_presented")),
        "not before the session is over: {body}"
    );

    let written = after_the_first_session();
    hub.set_clock(written).await;
    let (status, body) = hub.recommend(&hub.token, case, "").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = hub.recommend(&hub.token, case, markdown).await;
    assert_eq!(status, 200, "{body}");
    let html = body["recommendations_html"].as_str().expect("rendered");
    assert!(
        html.contains("<strong>Pay</strong>")
            && !html.contains("script")
            && !html.contains("alert"),
        "{html}"
    );
    let mail = hub.mail(4).await;
    assert!(mail.subject.contains("recommendations"), "{}", mail.subject);
    assert!(mail.html.contains("<strong>Pay</strong>"), "{}", mail.html);
    for part in [&mail.html, &mail.text] {
        assert!(
            !part.contains("<script") && !part.contains("alert("),
            "no script reaches the presenter: {part}"
        );
    }
    assert_eq!(hub.audited(case), ["case.accepted", "case.recommendations"]);

    // The follow-up: not before `echo.follow_up_weeks`, then exactly once.
    let weeks = Duration::weeks(i64::from(hub.app.settings.echo.follow_up_weeks));
    assert_eq!(hub.tick().await, 0, "right after the recommendations");
    hub.set_clock(written + weeks - Duration::hours(1)).await;
    assert_eq!(hub.tick().await, 0, "an hour early");
    hub.set_clock(written + weeks + Duration::minutes(1)).await;
    assert_eq!(hub.tick().await, 1, "once due");
    assert_eq!(hub.tick().await, 0, "not again");
    let follow_up = hub.mail(5).await;
    assert!(
        follow_up.subject.starts_with("What happened with"),
        "{}",
        follow_up.subject
    );
    assert!(
        follow_up.text.contains("http://convene.test/echo/p/"),
        "{}",
        follow_up.text
    );
    assert_eq!(
        hub.app.outbox(&format!("case:{case}:case_follow_up")).len(),
        1,
        "one follow-up in the outbox"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let asked = hub
        .app
        .smtp
        .to(PRESENTER)
        .iter()
        .filter(|m| m.subject.starts_with("What happened with"))
        .count();
    assert_eq!(asked, 1, "one follow-up e-mail");
    let (_, body) = hub.get(&format!("/api/v1/echo/cases/{case}")).await;
    assert_eq!(body["follow_up_sent"], true);
}

#[tokio::test]
async fn the_attachment_downloads_as_a_file_never_shown_or_kept() {
    let hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", Some(pdf())).await;
    let without = hub.submit("Paying for supervision", None).await;

    let (_, body) = hub.get(&format!("/api/v1/echo/cases/{case}")).await;
    assert_eq!(
        body["attachment"]["filename"], "staffing plan.pdf",
        "{body}"
    );
    assert_eq!(body["attachment"]["content_type"], "application/pdf");

    let response = hub
        .app
        .client
        .get(format!(
            "{}/api/v1/echo/cases/{case}/attachment",
            hub.app.address
        ))
        .bearer_auth(&hub.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"staffing plan.pdf\""
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(response.bytes().await.unwrap().as_ref(), pdf().bytes);

    let (status, body) = hub
        .get(&format!("/api/v1/echo/cases/{without}/attachment"))
        .await;
    assert_eq!(status, 404, "{body}");
    let anonymous = hub
        .app
        .get(&format!("/api/v1/echo/cases/{case}/attachment"))
        .await;
    assert_eq!(anonymous.status().as_u16(), 401);

    // The same file from the facilitators' case page.
    let cookie = sign_in(&hub.app, "hub@example.org").await;
    let download = page(
        &hub.app,
        &format!("/organizer/echo/cases/{case}/attachment"),
        &cookie,
    )
    .await;
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"staffing plan.pdf\""
    );
    assert_eq!(download.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn facilitators_review_and_recommend_from_the_case_page() {
    let mut hub = Hub::new().await;
    let case = hub.submit("Keeping peer specialists", Some(pdf())).await;
    let cookie = sign_in(&hub.app, "hub@example.org").await;

    let cohort = html_of(&hub.app, "/organizer/echo/cohort-3", &cookie).await;
    assert!(
        cohort.contains(&format!(
            "<a href=\"/organizer/echo/cases/{case}\">Keeping peer specialists</a>"
        )) && cohort.contains("submitted"),
        "the cohort page lists the case: {cohort}"
    );

    let response = page(&hub.app, &format!("/organizer/echo/cases/{case}"), &cookie).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    for shown in [
        "Keeping peer specialists",
        "Dorothea Dix",
        "Community mental health center",
        "50 to 199 staff",
        "How do others keep peer specialists past the first year?",
        "Exit interviews.",
        &format!("/organizer/echo/cases/{case}/attachment"),
        "Send the review",
        "2 of 2 case slot(s) free",
    ] {
        assert!(html.contains(shown), "`{shown}` on the case page: {html}");
    }
    let csrf = csrf_of(&html);
    let session = hub.sessions[0].to_string();
    let path = format!("/organizer/echo/cases/{case}/review");
    let accept = [
        ("decision", "accept"),
        ("session_id", session.as_str()),
        ("message", ""),
    ];

    let forged = post_page(&hub.app, &path, &cookie, &accept).await;
    assert_eq!(forged.status().as_u16(), 403, "no CSRF token");
    let mut bad = vec![("csrf", csrf.as_str())];
    bad.extend([("decision", "revise"), ("session_id", ""), ("message", "")]);
    let refused = post_page(&hub.app, &path, &cookie, &bad).await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap().contains("message:"));
    let mut good = vec![("csrf", csrf.as_str())];
    good.extend(accept);
    let accepted = post_page(&hub.app, &path, &cookie, &good).await;
    assert_eq!(accepted.status().as_u16(), 303);
    assert_eq!(
        accepted.headers()["location"],
        format!("/organizer/echo/cases/{case}").as_str()
    );
    assert!(hub
        .mail(3)
        .await
        .subject
        .starts_with("Your case is scheduled"));
    assert_eq!(hub.audited(case), ["case.accepted"]);

    // Faculty see what is coming in each session's row.
    let cohort = html_of(&hub.app, "/organizer/echo/cohort-3", &cookie).await;
    assert!(
        cohort.contains(&format!(
            "Cases: <a href=\"/organizer/echo/cases/{case}\">Keeping peer specialists</a>"
        )),
        "{cohort}"
    );
    let html = html_of(&hub.app, &format!("/organizer/echo/cases/{case}"), &cookie).await;
    assert!(!html.contains("Send the review"), "reviewed once");
    assert!(html.contains("once the case's session is over"), "{html}");

    // After the session (and a new sign-in: page sign-ins last hours).
    hub.set_clock(after_the_first_session()).await;
    let cookie = sign_in(&hub.app, "hub@example.org").await;
    let html = html_of(&hub.app, &format!("/organizer/echo/cases/{case}"), &cookie).await;
    assert!(html.contains("Send the recommendations"), "{html}");
    let csrf = csrf_of(&html);
    let sent = post_page(
        &hub.app,
        &format!("/organizer/echo/cases/{case}/recommendations"),
        &cookie,
        &[
            ("csrf", csrf.as_str()),
            ("recommendations", "**Pay** for supervision time."),
        ],
    )
    .await;
    assert_eq!(sent.status().as_u16(), 303);
    let html = html_of(&hub.app, &format!("/organizer/echo/cases/{case}"), &cookie).await;
    assert!(
        html.contains("<strong>Pay</strong> for supervision time.")
            && html.contains("Send the corrected recommendations"),
        "{html}"
    );

    // Organizers read the page but get no forms, and may not post them.
    create_user(&hub.app, "org@example.org", Role::Organizer);
    let organizer = sign_in(&hub.app, "org@example.org").await;
    let html = page(
        &hub.app,
        &format!("/organizer/echo/cases/{case}"),
        &organizer,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("Keeping peer specialists")
            && !html.contains("<form method=\"post\" action=\"/organizer/echo/cases")
    );
    let dashboard = html_of(&hub.app, "/organizer", &organizer).await;
    let organizer_csrf = csrf_of(&dashboard);
    let refused = post_page(
        &hub.app,
        &format!("/organizer/echo/cases/{case}/recommendations"),
        &organizer,
        &[
            ("csrf", organizer_csrf.as_str()),
            ("recommendations", "Mine."),
        ],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        page(&hub.app, "/organizer/echo/cases/999999", &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
}
