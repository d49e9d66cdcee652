//! Organizer accounts: tokens, lockout, roles, revocation, the sign-in
//! cookie and CSRF, the audit log — over HTTP and the real CLI.

use base64::Engine;
use chrono::{Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, run_convene, sign_in, token, token_response, with_conn, TestApp,
    PASSWORD,
};

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

/// `convene user …` with `stdin` piped in: (succeeded, stdout + stderr).
async fn convene_user(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let run = run_convene(app, args, stdin).await;
    (run.ok, run.stdout + &run.stderr)
}

#[tokio::test]
async fn accounts_made_and_disabled_at_the_command_line_sign_in_and_are_revoked() {
    let app = TestApp::spawn().await;
    let (ok, out) = convene_user(
        &app,
        &[
            "user",
            "create",
            "--email",
            "New@Example.org",
            "--name",
            "New Organizer",
            "--role",
            "organizer",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = convene_user(
        &app,
        &[
            "user",
            "create",
            "--email",
            "short@example.org",
            "--name",
            "S",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    )
    .await;
    assert!(!ok && out.contains("at least 12 characters"), "{out}");

    let t = token(&app, "new@example.org").await;
    assert_eq!(get_as(&app, "/api/v1/auth/me", Some(&t)).await.0, 200);

    // Signing out revokes the token.
    let out = app
        .client
        .post(format!("{}/api/v1/auth/logout", app.address))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let (status, body) = get_as(&app, "/api/v1/auth/me", Some(&t)).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));

    // Disabling revokes a fresh one too, and sign-in is refused.
    let t = token(&app, "new@example.org").await;
    let (ok, out) =
        convene_user(&app, &["user", "disable", "--email", "new@example.org"], "").await;
    assert!(ok, "{out}");
    let (status, body) = get_as(&app, "/api/v1/auth/me", Some(&t)).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
    assert_eq!(
        token_response(&app, "new@example.org", PASSWORD)
            .await
            .status()
            .as_u16(),
        401
    );
    let audit: Vec<String> = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log.order(id).select(action).load(c).unwrap()
    });
    assert_eq!(audit, vec!["user.create", "user.disable"]);
}

#[tokio::test]
async fn a_failed_message_is_listed_for_organizers_and_retried_from_the_outbox_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    create_user(&app, "fac@example.org", Role::Facilitator);
    app.smtp.reject_addresses_containing("bounce");
    let session = app.next_jam().await;
    app.register_ok(session, "bounce@example.org").await;

    // Wait (bounded) until the refusal has failed the message.
    let t = token(&app, "org@example.org").await;
    let mut failed = Vec::new();
    for _ in 0..100 {
        let (_, body) = get_as(&app, "/api/v1/organizer/outbox", Some(&t)).await;
        failed = body["failed"].as_array().cloned().unwrap_or_default();
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(failed.len(), 1, "one failed message");
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("550"),
        "{failed:?}"
    );
    let id = failed[0]["id"].as_i64().unwrap();

    // A facilitator does not see the outbox (it names Jam registrants)
    // and may not retry.
    let fac = sign_in(&app, "fac@example.org").await;
    let refused = page(&app, "/organizer/outbox", &fac).await;
    assert_eq!(
        refused.status().as_u16(),
        403,
        "no outbox for a facilitator"
    );
    assert!(!refused.text().await.unwrap().contains("bounce@example.org"));
    let fac_token = token(&app, "fac@example.org").await;
    let refused = app
        .client
        .post(format!(
            "{}/api/v1/organizer/outbox/{id}/retry",
            app.address
        ))
        .bearer_auth(&fac_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    // The server takes it now; the organizer presses "Retry".
    app.smtp.reject_addresses_containing("\u{0}");
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, "/organizer/outbox", &cookie)
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let retried = app
        .client
        .post(format!("{}/organizer/outbox/{id}/retry", app.address))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status().as_u16(), 303);
    let mail = app.smtp.wait_for("bounce@example.org", 1).await;
    assert!(mail[0].subject.starts_with("You're registered"));
    let wanted = format!("outbox:{id}");
    let actions: Vec<String> = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log
            .filter(subject.eq(&wanted))
            .select(actor)
            .load(c)
            .unwrap()
    });
    assert_eq!(actions, vec!["org@example.org"], "the retry is audited");
}

#[tokio::test]
async fn the_organizer_session_page_lists_lineup_and_registrations_and_downloads_them() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let session = app.next_jam().await;
    app.register_ok(session, "grace@example.org").await;
    app.register_ok(session, "alan@example.org").await;
    let t = token(&app, "org@example.org").await;
    let added = app
        .client
        .post(format!("{}/api/v1/organizer/sessions/{session}/lineup", app.address))
        .bearer_auth(&t)
        .json(&json!({ "name": "Dr. Presenter", "email": "presenter@example.org", "talk_title": "Retention that lasts" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 201);

    let anonymous = app.get(&format!("/organizer/sessions/{session}")).await;
    assert_eq!(anonymous.status().as_u16(), 303, "sign in first");
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Dr. Presenter") && html.contains("Retention that lasts"));
    assert!(html.contains("grace@example.org") && html.contains("alan@example.org"));
    assert!(html.contains("2 registered of 1000"));
    let searched = page(
        &app,
        &format!("/organizer/sessions/{session}?q=GRACE"),
        &cookie,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(searched.contains("grace@example.org") && !searched.contains("alan@example.org"));

    let csv = page(
        &app,
        &format!("/organizer/sessions/{session}/registrations.csv"),
        &cookie,
    )
    .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = csv.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    assert!(String::from_utf8_lossy(&body).contains("alan@example.org"));
    assert_eq!(
        page(&app, "/organizer/sessions/999999", &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn only_admins_see_the_audit_log_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    create_user(&app, "org@example.org", Role::Organizer);
    let organizer = sign_in(&app, "org@example.org").await;
    assert_eq!(
        page(&app, "/organizer/audit", &organizer)
            .await
            .status()
            .as_u16(),
        403
    );
    let admin = sign_in(&app, "admin@example.org").await;
    let html = page(&app, "/organizer/audit", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("user.create") && html.contains("user:"),
        "{html}"
    );
}

#[tokio::test]
async fn organizers_change_sessions_and_registrations_from_the_session_page() {
    let app = TestApp::spawn_with(|s| s.series.get_mut("jam").unwrap().capacity = 1).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let session = app.next_jam().await;
    app.register_ok(session, "first@example.org").await;
    app.register_ok(session, "second@example.org").await;
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let ids: Vec<i64> = with_conn(&app.pool, |c| {
        use convene::db::schema::registrations::dsl::*;
        use diesel::prelude::*;
        registrations.order(id).select(id).load(c).unwrap()
    });
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.client
                .post(format!("{}{path}", app.address))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // Without the form's token: refused.
    let forged = post(
        format!("/organizer/registrations/{}/promote", ids[1]),
        vec![],
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    // Promote the waitlisted one, then cancel the first.
    let promoted = post(
        format!("/organizer/registrations/{}/promote", ids[1]),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(promoted.status().as_u16(), 303);
    assert_eq!(app.registered_count(session).await, (2, 0));
    let again = post(
        format!("/organizer/registrations/{}/promote", ids[1]),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(again.status().as_u16(), 409, "not on the waitlist any more");
    let cancelled = post(
        format!("/organizer/registrations/{}/cancel", ids[0]),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(cancelled.status().as_u16(), 303);
    assert_eq!(app.registered_count(session).await, (1, 0));
    let mails = app.smtp.wait_for("first@example.org", 2).await;
    assert!(
        mails.iter().any(|m| m.subject.contains("cancelled")),
        "told"
    );

    // A start that cannot be read is refused with a message; a good one moves it.
    let bad = post(
        format!("/organizer/sessions/{session}/reschedule"),
        vec![("csrf", csrf.clone()), ("start", "next week-ish".into())],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422, "a start that cannot be read");
    let when = (Utc::now() + Duration::days(60))
        .format("%Y-%m-%d 14:00")
        .to_string();
    let moved = post(
        format!("/organizer/sessions/{session}/reschedule"),
        vec![("csrf", csrf.clone()), ("start", when)],
    )
    .await;
    assert_eq!(moved.status().as_u16(), 303);
    let update = app.smtp.wait_for("second@example.org", 3).await;
    assert!(
        update.iter().any(|m| m.subject.starts_with("New time")
            && m.calendar.as_ref().is_some_and(|c| c.0 == "REQUEST")),
        "{:?}",
        update.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let gone = post(
        format!("/organizer/sessions/{session}/cancel"),
        vec![("csrf", csrf.clone()), ("reason", "Snow day".into())],
    )
    .await;
    assert_eq!(gone.status().as_u16(), 303);
    let html = page(&app, &format!("/organizer/sessions/{session}"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("cancelled"));
}
