//! A facilitator's decision on a case: accepted into a session, sent back
//! for revision or declined, and made once when two reviews race.

use convene::echo::cases::{self};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use super::{error_code, new_case, Count, Hub, PRESENTER};
use crate::echo::{application_ids, cohort_3};
use crate::helpers::{send, with_conn};

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
