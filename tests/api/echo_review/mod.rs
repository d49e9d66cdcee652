//! The facilitators' side of ECHO cases, through the real app and its SMTP
//! server: reviewing (accept into a session's case slot with its calendar
//! invitation, ask for a revision, decline), the slot and role checks, the
//! hub's recommendations after the session and the follow-up the scheduler
//! sends once, the attachment download, the facilitators' pages and the
//! audit log. Cases are written with `cases::submit`, as the participant's
//! form does.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use convene::echo::cases::{self, CheckedFile, NewCase};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::echo::{application, application_ids, apply, echo_app};
use crate::helpers::{page, send, token, with_conn, Mail, TestApp};

mod access;
mod decisions;
mod recommendations;

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
        assert_eq!(applied.status().as_u16(), 303, "the application is taken");
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
        challenge_text: "Peer specialists leave within their first year.".into(),
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

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
