//! The public interest form and the proposals queue.

use chrono::{Datelike, Months, Utc};
use convene::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{create_user, token, with_conn, TestApp};

async fn organizer_token(app: &TestApp, email: &str, role: Role) -> String {
    create_user(app, email, role);
    token(app, email).await
}

fn next_month() -> String {
    let d = Utc::now().date_naive().with_day(1).unwrap();
    d.checked_add_months(Months::new(1))
        .unwrap()
        .format("%Y-%m")
        .to_string()
}

#[tokio::test]
async fn a_proposal_reaches_the_queue_and_a_decline_reaches_the_proposer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/interest").await.status().as_u16(), 200);

    // Bad input: a message per field, nothing written.
    let bad = app
        .post_form(
            "/interest",
            &[("email", "nope"), ("want", "present"), ("lever", "magic")],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    for field in ["first_name", "email", "topic", "abstract", "levers"] {
        assert!(html.contains(&format!("href=\"#{field}\"")), "{field}");
    }

    let month = next_month();
    let form = [
        ("first_name", "Mary"),
        ("last_name", "Seacole"),
        ("email", "mary@example.org"),
        ("organization", "Crimea Community Health"),
        ("sector", "provider"),
        ("state", "MD"),
        ("want", "list"),
        ("want", "present"),
        ("want", "working_group"),
        ("topic", "Paying peer specialists, fairly"),
        (
            "abstract",
            "What we changed in our rates, and what it did to turnover.",
        ),
        ("lever", "payment"),
        ("lever", "workforce-expansion"),
        ("month", month.as_str()),
        ("working_group", "payment"),
    ];
    let sent = app.post_form("/interest", &form).await;
    assert_eq!(sent.status().as_u16(), 303);
    let mails = app.smtp.wait_for("mary@example.org", 2).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.contains(&"Please confirm your subscription"),
        "{subjects:?}"
    );
    let receipt = mails
        .iter()
        .find(|m| m.subject.starts_with("We received your note"))
        .expect("a receipt");
    assert!(
        !receipt.text.contains("Paying peer specialists, fairly"),
        "the receipt does not repeat what was typed (the address may be someone else's)"
    );
    assert!(
        receipt.text.contains("to present at a Jam"),
        "{}",
        receipt.text
    );
    assert!(receipt.text.contains("Payment working group"));

    let facilitator = organizer_token(&app, "fac@example.org", Role::Facilitator).await;
    let organizer = organizer_token(&app, "org@example.org", Role::Organizer).await;
    let queue: Value = app
        .client
        .get(format!(
            "{}/api/v1/organizer/proposals?status=pending",
            app.address
        ))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proposals = queue["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    assert_eq!(p["email"], "mary@example.org");
    assert_eq!(p["preferred_months"], json!([month]));
    assert_eq!(p["levers"][0]["label"], "Payment");
    let id = p["id"].as_i64().unwrap();

    let decline = |token: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(format!(
                    "{}/api/v1/organizer/proposals/{id}/decline",
                    app.address
                ))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let message = "Thank you — this year's lineup is full; please propose again in the spring.";
    assert_eq!(
        decline(facilitator.clone(), json!({ "message": message }))
            .await
            .status()
            .as_u16(),
        403,
        "a facilitator may not decide (nor read the queue: proposers are the Jam's)"
    );
    assert_eq!(
        decline(organizer.clone(), json!({ "message": " " }))
            .await
            .status()
            .as_u16(),
        422
    );
    assert_eq!(
        decline(organizer.clone(), json!({ "message": message }))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        decline(organizer.clone(), json!({ "message": message }))
            .await
            .status()
            .as_u16(),
        409,
        "decided once"
    );
    let mails = app.smtp.wait_for("mary@example.org", 3).await;
    let declined = mails
        .iter()
        .find(|m| m.subject.starts_with("Your proposal to present"))
        .expect("the decline");
    assert!(declined.text.contains(message));
    let groups: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::working_group_interests::dsl::*;
        use diesel::prelude::*;
        working_group_interests
            .filter(lever.eq("payment"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(groups, 1);
}

#[tokio::test]
async fn an_accepted_proposal_joins_the_lineup_and_its_author_is_invited_to_present() {
    let app = TestApp::spawn().await;
    let form = [
        ("first_name", "Florence"),
        ("last_name", "Nightingale"),
        ("email", "florence@example.org"),
        ("organization", "Scutari Behavioral Health"),
        ("sector", "provider"),
        ("state", "VA"),
        ("want", "present"),
        ("topic", "Counting what matters"),
        ("abstract", "Measuring retention month by month."),
        ("lever", "quality-accountability"),
    ];
    assert_eq!(
        app.post_form("/interest", &form).await.status().as_u16(),
        303
    );
    let organizer = organizer_token(&app, "org@example.org", Role::Organizer).await;
    let queue: Value = app
        .client
        .get(format!("{}/api/v1/organizer/proposals", app.address))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = queue["proposals"][0]["id"].as_i64().unwrap();
    let session = app.next_jam().await;
    let accept = |session: i64| {
        let (app, organizer) = (&app, organizer.clone());
        async move {
            app.client
                .post(format!(
                    "{}/api/v1/organizer/proposals/{id}/accept",
                    app.address
                ))
                .bearer_auth(organizer)
                .json(&json!({ "session_id": session }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        accept(999_999).await.status().as_u16(),
        404,
        "no such session"
    );
    let accepted = accept(session).await;
    assert_eq!(accepted.status().as_u16(), 201);
    assert_eq!(accept(session).await.status().as_u16(), 409, "decided once");

    let lineup: Value = app
        .client
        .get(format!(
            "{}/api/v1/organizer/sessions/{session}/lineup",
            app.address
        ))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slot = &lineup["slots"][0];
    assert_eq!(slot["email"], "florence@example.org", "{lineup}");
    assert_eq!(slot["talk_title"], "Counting what matters");
    assert_eq!(slot["status"], "invited");
    let mails = app.smtp.wait_for("florence@example.org", 2).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject.starts_with("Invitation to present")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let queue: Value = app
        .client
        .get(format!(
            "{}/api/v1/organizer/proposals?status=accepted",
            app.address
        ))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["proposals"][0]["session_id"], json!(session));
}
