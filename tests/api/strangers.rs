//! What a stranger with a script and someone else's e-mail address can do
//! with the public forms: create, never reveal or overwrite; no flood of
//! posts, and no flood of mail into the victim's inbox.

use crate::helpers::{registration_form, with_conn, TestApp};
use convene::db::schema::{outbox, people, registrations};
use diesel::prelude::*;

const VICTIM: &str = "victim@example.org";

fn person(app: &TestApp, email: &str) -> Option<(String, String, String, String)> {
    with_conn(&app.pool, |c| {
        people::table
            .filter(people::email.eq(email))
            .select((
                people::first_name,
                people::last_name,
                people::organization,
                people::job_title,
            ))
            .first(c)
            .optional()
            .unwrap()
    })
}

fn outbox_statuses(app: &TestApp, to: &str) -> Vec<(String, Option<String>)> {
    with_conn(&app.pool, |c| {
        outbox::table
            .filter(outbox::recipient.eq(to))
            .order(outbox::id)
            .select((outbox::status, outbox::last_error))
            .load(c)
            .unwrap()
    })
}

#[tokio::test]
async fn registering_an_address_already_registered_shows_nothing_of_it_and_mails_its_owner() {
    let app = TestApp::spawn_with(|s| s.mail.resend_confirmation_after_seconds = 0).await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, VICTIM).await;
    let token = manage.trim_start_matches("/r/").to_string();
    app.smtp.wait_for(VICTIM, 1).await;

    let mut form = registration_form(VICTIM);
    form.retain(|(k, _)| !matches!(*k, "first_name" | "organization"));
    form.extend([("first_name", "Mallory"), ("organization", "Stranger Inc")]);
    let response = app
        .post_form(&format!("/sessions/{session}/register"), &form)
        .await;

    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        location,
        format!("/sessions/{session}/check-email"),
        "an existing registration must not be handed to whoever posts its address"
    );
    let page = app.get(&location).await;
    assert_eq!(page.status().as_u16(), 200);
    let body = page.text().await.unwrap();
    assert!(!body.contains(&token), "the neutral page leaks the token");
    assert!(
        body.contains("Check your inbox"),
        "the page says where the link went"
    );
    let (first, _, organization, _) = person(&app, VICTIM).expect("the person");
    assert_eq!(
        (first.as_str(), organization.as_str()),
        ("Ada", "Analytical Engines Behavioral Health"),
        "a stranger's post overwrote the person's details"
    );
    let mails = app.smtp.wait_for(VICTIM, 2).await;
    assert_eq!(
        mails[1].manage_path(),
        manage,
        "the owner gets their private link again"
    );
    assert!(
        mails[1].text.contains("Ada") && !mails[1].text.contains("Mallory"),
        "the re-sent confirmation greets the owner, not the poster"
    );
}

#[tokio::test]
async fn a_cancelled_registration_registered_again_by_its_address_is_not_shown_either() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, VICTIM).await;
    let response = app.post_form(&format!("{manage}/cancel"), &[]).await;
    assert_eq!(response.status().as_u16(), 303);

    let response = app.register(session, VICTIM).await;

    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        !location.starts_with("/r/"),
        "re-registering a cancelled registration revealed its private link: {location}"
    );
    assert_eq!(
        app.registered_count(session).await,
        (1, 0),
        "the place is taken again, as the form asked"
    );
}

#[tokio::test]
async fn a_new_registration_still_lands_on_its_confirmation_page() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let response = app.register(session, "new@example.org").await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/r/") && location.ends_with("/confirmation"),
        "{location}"
    );
    assert_eq!(app.get(&location).await.status().as_u16(), 200);
}

#[tokio::test]
async fn anonymous_forms_fill_blank_details_and_never_overwrite_given_ones() {
    let app = TestApp::spawn().await;
    let sessions = app.sessions().await;
    let (first, second) = (
        sessions[0]["id"].as_i64().unwrap(),
        sessions[1]["id"].as_i64().unwrap(),
    );
    let mut form = registration_form(VICTIM);
    form.retain(|(k, _)| *k != "job_title");
    let response = app
        .post_form(&format!("/sessions/{first}/register"), &form)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(person(&app, VICTIM).unwrap().3, "", "no job title given");

    let mut form = registration_form(VICTIM);
    form.retain(|(k, _)| !matches!(*k, "first_name" | "last_name" | "job_title"));
    form.extend([
        ("first_name", "Eve"),
        ("last_name", "Stranger"),
        ("job_title", "Analyst"),
    ]);
    let response = app
        .post_form(&format!("/sessions/{second}/register"), &form)
        .await;
    assert_eq!(response.status().as_u16(), 303);

    let (first_name, last_name, _, job_title) = person(&app, VICTIM).unwrap();
    assert_eq!(
        (first_name.as_str(), last_name.as_str()),
        ("Ada", "Lovelace"),
        "a name already given was overwritten"
    );
    assert_eq!(job_title, "Analyst", "a blank detail is filled in");
}

#[tokio::test]
async fn public_posts_past_the_limit_get_a_readable_429_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.limits.public_posts_per_minute = 3).await;
    let form = [("email", "someone@example.org")];
    for n in 1..=3 {
        let response = app.post_form("/echo/link", &form).await;
        assert_eq!(
            response.status().as_u16(),
            200,
            "post {n} is within the limit"
        );
    }

    let response = app.post_form("/echo/link", &form).await;

    assert_eq!(response.status().as_u16(), 429, "the fourth post is over");
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Too many requests") && body.contains("<html"),
        "a readable page: {body}"
    );
    let register = app
        .register(app.next_jam().await, "other@example.org")
        .await;
    assert_eq!(
        register.status().as_u16(),
        429,
        "the limit is per client, across every public form"
    );
    let login = app
        .post_form(
            "/organizer/login",
            &[("email", "x@example.org"), ("password", "wrong")],
        )
        .await;
    assert_ne!(
        login.status().as_u16(),
        429,
        "sign-in has its own limit, not this one"
    );
}

#[tokio::test]
async fn a_client_cannot_escape_the_limit_by_forging_x_forwarded_for() {
    let app = TestApp::spawn_with(|s| s.limits.public_posts_per_minute = 2).await;
    let mut statuses = Vec::new();
    for n in 0..4 {
        let response = app
            .client
            .post(format!("{}/echo/link", app.address))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .form(&[("email", "someone@example.org")])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 429, 429],
        "from an untrusted peer the header is ignored"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = TestApp::spawn_with(|s| {
        s.limits.public_posts_per_minute = 2;
        s.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let post = |client: &'static str| {
        app.client
            .post(format!("{}/echo/link", app.address))
            .header("x-forwarded-for", format!("203.0.113.99, {client}"))
            .form(&[("email", "someone@example.org")])
            .send()
    };
    let mut statuses = Vec::new();
    for client in [
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.2",
    ] {
        statuses.push(post(client).await.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 429, 200],
        "the client is the last hop the trusted proxy appended, not the forged first"
    );
}

/// Asks, as anyone could, to subscribe the victim's address to the Jam list.
async fn subscribe_victim(app: &TestApp) {
    let form = [
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", VICTIM),
        ("list", "jam"),
    ];
    let response = app.post_form("/subscribe", &form).await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn no_public_form_can_flood_an_inbox() {
    let app = TestApp::spawn_with(|s| s.limits.public_mail_per_recipient_per_hour = 5).await;
    let form = [
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", VICTIM),
        ("organization", "Analytical Engines"),
        ("sector", "provider"),
        ("state", "NY"),
        ("want", "present"),
        ("topic", "Retention that works"),
        ("abstract", "How we kept our peer specialists."),
        ("lever", "payment"),
    ];
    for _ in 0..12 {
        let response = app.post_form("/interest", &form).await;
        assert_eq!(response.status().as_u16(), 303);
    }
    subscribe_victim(&app).await;

    app.smtp.wait_for(VICTIM, 5).await;
    let statuses = outbox_statuses(&app, VICTIM);
    assert_eq!(statuses.len(), 13, "every post is recorded: {statuses:?}");
    let capped: Vec<_> = statuses
        .iter()
        .filter(|(status, why)| {
            status == "skipped" && why.as_deref().is_some_and(|w| w.contains("cap"))
        })
        .collect();
    assert_eq!(
        capped.len(),
        8,
        "past the cap, mail is recorded as skipped with why: {statuses:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.smtp.to(VICTIM).len(),
        5,
        "the inbox got the cap and no more"
    );
}

#[tokio::test]
async fn an_organizer_registering_someone_by_hand_is_not_capped() {
    use crate::helpers::{create_user, send, token};
    let app = TestApp::spawn_with(|s| s.limits.public_mail_per_recipient_per_hour = 1).await;
    create_user(&app, "org@example.org", convene::auth::Role::Organizer);
    let bearer = token(&app, "org@example.org").await;
    subscribe_victim(&app).await;
    let session = app.next_jam().await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/registrations"),
        Some(&bearer),
        Some(serde_json::json!({
            "first_name": "Ada", "last_name": "Lovelace", "email": VICTIM,
            "organization": "Analytical Engines", "sector": "provider", "state": "NY"
        })),
    )
    .await;
    assert!(status == 201 || status == 200, "{status} {body}");
    let mails = app.smtp.wait_for(VICTIM, 2).await;
    assert!(
        mails.iter().any(|m| m.text.contains("/r/")),
        "the organizer's confirmation went out past the public cap"
    );
}

#[tokio::test]
async fn receipts_do_not_repeat_what_the_poster_typed() {
    let app = TestApp::spawn().await;
    let response = app
        .post_form(
            "/interest",
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("email", VICTIM),
                ("organization", "Analytical Engines"),
                ("sector", "provider"),
                ("state", "NY"),
                ("want", "present"),
                ("topic", "Win a prize at http://evil.example/claim"),
                ("abstract", "Click http://evil.example/claim now."),
                ("lever", "payment"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let mail = app.smtp.wait_for(VICTIM, 1).await.remove(0);
    assert!(
        !mail.text.contains("evil.example") && !mail.html.contains("evil.example"),
        "the receipt repeats the poster's text: {}",
        mail.text
    );
}

#[tokio::test]
async fn a_name_with_a_web_address_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let mut form = registration_form(VICTIM);
    form.retain(|(k, _)| *k != "first_name");
    form.push(("first_name", "Visit www.evil.example"));
    let response = app
        .post_form(&format!("/sessions/{session}/register"), &form)
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("cannot contain a web address"), "{body}");
    assert!(person(&app, VICTIM).is_none(), "nothing stored");
}

#[tokio::test]
async fn posts_that_fill_the_honeypot_are_discarded_as_if_they_worked() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let mut form = registration_form("bot@example.org");
    form.push(("website", "http://spam.example"));
    let response = app
        .post_form(&format!("/sessions/{session}/register"), &form)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("/sessions/{session}/check-email")
    );
    for (path, form) in [
        (
            "/subscribe",
            vec![
                ("first_name", "B"),
                ("last_name", "Ot"),
                ("email", "bot@example.org"),
                ("list", "jam"),
                ("website", "x"),
            ],
        ),
        (
            "/interest",
            vec![
                ("first_name", "B"),
                ("last_name", "Ot"),
                ("email", "bot@example.org"),
                ("want", "list"),
                ("website", "x"),
            ],
        ),
        (
            "/echo/link",
            vec![("email", "bot@example.org"), ("website", "x")],
        ),
    ] {
        let response = app.post_form(path, &form).await;
        let usual = if path == "/echo/link" { 200 } else { 303 };
        assert_eq!(response.status().as_u16(), usual, "{path} answers as usual");
    }
    let kept = with_conn(&app.pool, |c| {
        let regs: i64 = registrations::table.count().get_result(c).unwrap();
        let mails: i64 = outbox::table.count().get_result(c).unwrap();
        (regs, mails)
    });
    assert_eq!(
        kept,
        (0, 0),
        "a caught post keeps nothing and sends nothing"
    );
    assert!(person(&app, "bot@example.org").is_none());
    let page = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"website\"") && page.contains("tabindex=\"-1\""),
        "the form carries the hidden field"
    );
}

#[tokio::test]
async fn every_page_carries_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let refused = app
        .post_form(&format!("/sessions/{session}/register"), &[("email", "x")])
        .await;
    let mut responses = vec![("422 form", refused)];
    for path in [
        "/",
        "/no-such-page",
        "/organizer/login",
        "/subscribe",
        "/api/v1/sessions",
    ] {
        responses.push((path, app.get(path).await));
    }
    for (what, response) in responses {
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
            .to_str()
            .unwrap();
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{what}: {csp}"
        );
        assert!(
            headers.contains_key("permissions-policy"),
            "{what}: Permissions-Policy"
        );
        assert!(
            !headers.contains_key("strict-transport-security"),
            "{what}: no HSTS on plain http"
        );
    }
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_hsts_is_sent() {
    let app = TestApp::spawn_with(|s| {
        s.http.public_url = convene::config::PublicUrl::parse("HTTPS://convene.test").unwrap()
    })
    .await;
    crate::helpers::create_user(&app, "org@example.org", convene::auth::Role::Organizer);
    let response = app
        .post_form(
            "/organizer/login",
            &[
                ("email", "org@example.org"),
                ("password", crate::helpers::PASSWORD),
                ("next", "/organizer"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(hsts.contains("max-age="), "{hsts}");
}
