//! Organizer accounts: tokens, lockout, roles, revocation, the sign-in
//! cookie and CSRF, the audit log — over HTTP and the real CLI.

use base64::Engine;
use chrono::{Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, sign_in, token, token_response, TestApp, PASSWORD,
};

mod accounts;
mod pages;

/// (status, error code) of an authenticated GET.
async fn get_as(app: &TestApp, path: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = bearer {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn bad_expired_tampered_unsigned_and_misaddressed_tokens_get_401() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);

    let wrong = token_response(&app, "org@example.org", "not the password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(code(&body), "invalid_credentials");
    let nobody = token_response(&app, "nobody@example.org", PASSWORD).await;
    let body: Value = nobody.json().await.unwrap();
    assert_eq!(
        code(&body),
        "invalid_credentials",
        "no hint that the account is missing"
    );

    let t = token(&app, "org@example.org").await;
    let (status, me) = get_as(&app, "/api/v1/auth/me", Some(&t)).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("org@example.org"))
    );

    let response = app
        .client
        .get(format!("{}/api/v1/auth/me", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "missing_token");

    // Tampered: the payload says admin, the signature does not.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = t.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    payload["role"] = json!("admin");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(payload.to_string()),
        parts[2]
    );
    let (status, body) = get_as(&app, "/api/v1/audit", Some(&forged)).await;
    assert_eq!((status, code(&body)), (401, "invalid_token"));

    // alg: none, unsigned.
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let (status, _) = get_as(&app, "/api/v1/auth/me", Some(&none)).await;
    assert_eq!(status, 401);

    // Wrong audience: a page sign-in token (same key) is not an API token.
    let cookie = sign_in(&app, "org@example.org").await;
    let page_token = cookie.split_once('=').unwrap().1.to_string();
    let (status, body) = get_as(&app, "/api/v1/auth/me", Some(&page_token)).await;
    assert_eq!((status, code(&body)), (401, "invalid_token"));

    // Expired: 30 minutes later.
    app.clock.advance(Duration::minutes(31));
    let (status, body) = get_as(&app, "/api/v1/auth/me", Some(&t)).await;
    assert_eq!((status, code(&body)), (401, "token_expired"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_a_while() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "locked@example.org", Role::Organizer);
    for _ in 0..4 {
        let r = token_response(&app, "locked@example.org", "wrong password!").await;
        assert_eq!(r.status().as_u16(), 401);
    }
    let fifth: Value = token_response(&app, "locked@example.org", "wrong password!")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(code(&fifth), "account_locked");
    let right: Value = token_response(&app, "locked@example.org", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        code(&right),
        "account_locked",
        "even the right password waits"
    );
    app.clock.advance(Duration::minutes(16));
    assert_eq!(
        token_response(&app, "locked@example.org", PASSWORD)
            .await
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address() {
    let app = TestApp::spawn_with(|s| s.auth.logins_per_ip_per_minute = 3).await;
    for _ in 0..3 {
        let r = token_response(&app, "someone@example.org", "guess guess guess").await;
        assert_eq!(r.status().as_u16(), 401);
    }
    let r = token_response(&app, "someone@example.org", "guess guess guess").await;
    assert_eq!(r.status().as_u16(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(code(&body), "too_many_requests");
}

#[tokio::test]
async fn each_role_reaches_only_what_it_may() {
    let app = TestApp::spawn().await;
    for (email, role) in [
        ("admin@example.org", Role::Admin),
        ("org@example.org", Role::Organizer),
        ("fac@example.org", Role::Facilitator),
    ] {
        create_user(&app, email, role);
    }
    let create = json!({
        "series": "jam", "start": (Utc::now() + Duration::days(40)).to_rfc3339(),
        "title": "National virtual meeting",
    });
    // (who, create a session, read the audit log)
    let expected = [
        ("admin@example.org", 201, 200),
        ("org@example.org", 201, 403),
        ("fac@example.org", 403, 403),
    ];
    for (email, create_status, audit_status) in expected {
        let t = token(&app, email).await;
        let response = app
            .client
            .post(format!("{}/api/v1/organizer/sessions", app.address))
            .bearer_auth(&t)
            .json(&create)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), create_status, "{email} creates");
        if create_status == 403 {
            let body: Value = response.json().await.unwrap();
            assert_eq!(code(&body), "forbidden");
        }
        let (status, _) = get_as(&app, "/api/v1/audit", Some(&t)).await;
        assert_eq!(status, audit_status, "{email} reads the audit log");
    }
    // Nobody signed in: 401, JSON.
    let response = app
        .client
        .post(format!("{}/api/v1/organizer/sessions", app.address))
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    // Bad input: 422 with a message per field.
    let t = token(&app, "org@example.org").await;
    let response = app
        .client
        .post(format!("{}/api/v1/organizer/sessions", app.address))
        .bearer_auth(&t)
        .json(&json!({ "series": "jam", "start": "yesterday-ish", "capacity": "0" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    for f in ["start", "title", "capacity"] {
        assert!(body["error"]["fields"][f].is_string(), "{f}: {body}");
    }
}

#[tokio::test]
async fn changes_through_the_api_are_audited_with_before_and_after() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    let t = token(&app, "admin@example.org").await;
    let start = Utc::now() + Duration::days(45);
    let created: Value = app
        .client
        .post(format!("{}/api/v1/organizer/sessions", app.address))
        .bearer_auth(&t)
        .json(&json!({ "series": "jam", "start": start.to_rfc3339(), "title": "Town hall" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["session"]["id"].as_i64().unwrap();
    let moved = app
        .client
        .post(format!(
            "{}/api/v1/organizer/sessions/{id}/reschedule",
            app.address
        ))
        .bearer_auth(&t)
        .json(&json!({ "start": (start + Duration::days(1)).to_rfc3339() }))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status().as_u16(), 200);
    let cancelled = app
        .client
        .post(format!(
            "{}/api/v1/organizer/sessions/{id}/cancel",
            app.address
        ))
        .bearer_auth(&t)
        .json(&json!({ "reason": "Merged into the January Jam" }))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status().as_u16(), 200);
    let again = app
        .client
        .post(format!(
            "{}/api/v1/organizer/sessions/{id}/cancel",
            app.address
        ))
        .bearer_auth(&t)
        .json(&json!({ "reason": "Twice" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);

    let (_, log) = get_as(&app, "/api/v1/audit", Some(&t)).await;
    let entries: Vec<(String, String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"] == format!("session:{id}"))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
                e["after"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let actions: Vec<&str> = entries.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec!["session.cancel", "session.reschedule", "session.create"]
    );
    assert!(entries.iter().all(|(_, who, _)| who == "admin@example.org"));
    assert!(entries[0].2.contains("Merged into the January Jam"));
}

#[tokio::test]
async fn the_organizer_pages_need_a_sign_in_and_their_forms_a_csrf_token() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);

    let anonymous = app.get("/organizer").await;
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(
        anonymous.headers()["location"],
        "/organizer/login?next=%2Forganizer"
    );
    let wrong = app
        .post_form(
            "/organizer/login",
            &[("email", "org@example.org"), ("password", "nope nope nope")],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Wrong e-mail address or password"));

    let cookie = sign_in(&app, "org@example.org").await;
    let dashboard = page(&app, "/organizer", &cookie).await;
    assert_eq!(dashboard.status().as_u16(), 200);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("Upcoming sessions") && html.contains("of 1000"));
    let csrf = csrf_of(&html);

    // Signing out without the form's token is refused, and changes nothing.
    let forged = app
        .client
        .post(format!("{}/organizer/logout", app.address))
        .header("cookie", &cookie)
        .form(&[("csrf", "0000")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(
        page(&app, "/organizer", &cookie).await.status().as_u16(),
        200
    );

    let out = app
        .client
        .post(format!("{}/organizer/logout", app.address))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert_eq!(
        page(&app, "/organizer", &cookie).await.status().as_u16(),
        303,
        "the old cookie no longer signs in"
    );
}
