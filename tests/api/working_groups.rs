//! Working groups for organizers: the counts per lever, a lever's people
//! (API, page, CSV on both), marking them contacted (audited), and one message to
//! a group through the outbox as list mail whose one-click link takes its
//! reader out of that group. Facilitators and strangers see none of it.

use convene::auth::Role;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, field_of, page, post_page, send, sign_in, token, with_conn, TestApp,
};

const ORGANIZER: &str = "org@example.org";
const FACILITATOR: &str = "fac@example.org";

/// `email` joins `lever`'s working group through the public form; waits
/// for the receipt so later mail counts are plain.
async fn join(app: &TestApp, email: &str, first: &str, organization: &str, lever: &str) {
    let form = [
        ("first_name", first),
        ("last_name", "Member"),
        ("email", email),
        ("organization", organization),
        ("sector", "provider"),
        ("state", "MD"),
        ("want", "working_group"),
        ("working_group", lever),
    ];
    let sent = app.post_form("/interest", &form).await;
    assert_eq!(sent.status().as_u16(), 303, "{email} joins {lever}");
    let before = app.smtp.to(email).len();
    app.smtp.wait_for(email, before + 1).await;
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    send(app, method, path, bearer, body).await
}

fn audit_actions(app: &TestApp, action_is: &str) -> usize {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        audit_log
            .filter(action.eq(action_is))
            .count()
            .get_result::<i64>(c)
            .unwrap() as usize
    })
}

#[tokio::test]
async fn organizers_see_each_group_mark_people_contacted_and_download_it() {
    let app = TestApp::spawn().await;
    create_user(&app, ORGANIZER, Role::Organizer);
    create_user(&app, FACILITATOR, Role::Facilitator);
    join(&app, "ann@example.org", "Ann", "=SUM(A1:A2)", "payment").await;
    join(&app, "bob@example.org", "Bob", "Clinic", "payment").await;
    join(&app, "cy@example.org", "Cy", "Clinic", "technology").await;
    let organizer = token(&app, ORGANIZER).await;
    let get = reqwest::Method::GET;

    let (status, all) = call(
        &app,
        get.clone(),
        "/api/v1/working-groups",
        Some(&organizer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{all}");
    let payment = all["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["lever"] == "payment")
        .unwrap();
    assert_eq!(
        (payment["members"].as_i64(), payment["contacted"].as_i64()),
        (Some(2), Some(0)),
        "{all}"
    );
    assert_eq!(
        all["groups"].as_array().unwrap().len(),
        7,
        "every lever is listed"
    );

    let (status, group) = call(
        &app,
        get.clone(),
        "/api/v1/working-groups/payment",
        Some(&organizer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{group}");
    let members = group["members"].as_array().unwrap();
    let emails: Vec<&str> = members
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["ann@example.org", "bob@example.org"],
        "in the order they joined"
    );
    let ann = members[0]["id"].as_i64().unwrap();

    let post = reqwest::Method::POST;
    let contacted = format!("/api/v1/working-groups/members/{ann}/contacted");
    let (status, marked) = call(&app, post.clone(), &contacted, Some(&organizer), None).await;
    assert_eq!(status, 200, "{marked}");
    assert!(marked["contacted_at"].is_string(), "{marked}");
    let (_, again) = call(&app, post.clone(), &contacted, Some(&organizer), None).await;
    assert_eq!(
        again["contacted_at"], marked["contacted_at"],
        "a second mark keeps the first time"
    );
    assert_eq!(
        audit_actions(&app, "working_group.contacted"),
        1,
        "audited once"
    );

    let facilitator = token(&app, FACILITATOR).await;
    for (method, path) in [
        (get.clone(), "/api/v1/working-groups/payment".to_string()),
        (post.clone(), contacted.clone()),
    ] {
        let (status, _) = call(&app, method.clone(), &path, Some(&facilitator), None).await;
        assert_eq!(status, 403, "a facilitator may not: {path}");
        let (status, _) = call(&app, method, &path, None, None).await;
        assert_eq!(status, 401, "nor a stranger: {path}");
    }
    let (status, _) = call(
        &app,
        get.clone(),
        "/api/v1/working-groups/astrology",
        Some(&organizer),
        None,
    )
    .await;
    assert_eq!(status, 404, "no such lever");

    // The page: counts, the people, a button naming whose row it marks.
    let cookie = sign_in(&app, ORGANIZER).await;
    let html = page(&app, "/organizer/working-groups/payment", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("2 signed up, 1 contacted"), "{html}");
    assert!(
        html.contains("aria-label=\"Mark contacted: Bob Member\""),
        "the button says whose row"
    );
    let bob = members[1]["id"].as_i64().unwrap();
    let response = post_page(
        &app,
        &format!("/organizer/working-groups/members/{bob}/contacted"),
        &cookie,
        &[("csrf", &csrf_of(&html))],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303, "marked from the page");
    let overview = page(&app, "/organizer/working-groups", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        overview.contains(
            "<a href=\"/organizer/working-groups/payment\">Payment</a></td><td>2</td><td>2</td>"
        ),
        "{overview}"
    );

    let csv = page(
        &app,
        "/organizer/working-groups/payment/members.csv",
        &cookie,
    )
    .await;
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.unwrap();
    assert!(
        text.contains("'=SUM(A1:A2)"),
        "a formula is written as text: {text}"
    );
    assert!(
        !text.contains("cy@example.org"),
        "another lever's people are not in it"
    );
    let api = app
        .client
        .get(format!(
            "{}/api/v1/working-groups/payment/members.csv",
            app.address
        ))
        .bearer_auth(&organizer)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 200);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "the API answers a CSV file"
    );
    assert_eq!(
        api.text().await.unwrap(),
        text,
        "the API's CSV is the page's"
    );
    let anonymous = app
        .get("/organizer/working-groups/payment/members.csv")
        .await;
    assert_eq!(
        anonymous.status().as_u16(),
        303,
        "a stranger is sent to sign in"
    );
}

#[tokio::test]
async fn a_message_to_a_group_goes_once_as_list_mail_and_its_link_takes_the_reader_out() {
    let app = TestApp::spawn().await;
    create_user(&app, ORGANIZER, Role::Organizer);
    join(&app, "ann@example.org", "Ann", "Clinic", "payment").await;
    join(&app, "bob@example.org", "Bob", "Clinic", "payment").await;
    join(&app, "cy@example.org", "Cy", "Clinic", "technology").await;
    let cookie = sign_in(&app, ORGANIZER).await;
    let html = page(&app, "/organizer/working-groups/payment", &cookie)
        .await
        .text()
        .await
        .unwrap();
    let key = field_of(&html, "idempotency_key");
    let csrf = csrf_of(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("subject", "First meeting"),
        ("body", "We meet on <Tuesday>.\n\nBring ideas."),
    ];
    for _ in 0..2 {
        let response = post_page(
            &app,
            "/organizer/working-groups/payment/message",
            &cookie,
            &form,
        )
        .await;
        assert_eq!(response.status().as_u16(), 303, "back to the group's page");
    }
    let rows = app.outbox("working-group:");
    assert_eq!(rows.len(), 2, "one message per member, once: {rows:?}");
    assert_eq!(
        audit_actions(&app, "working_group.message"),
        1,
        "audited once"
    );

    let mails = app.smtp.wait_for("ann@example.org", 2).await;
    let mail = mails
        .iter()
        .find(|m| m.subject == "First meeting")
        .expect("the message");
    assert!(
        mail.html.contains("We meet on &lt;Tuesday&gt;."),
        "{}",
        mail.html
    );
    let list_id = mail.header("List-Id").expect("a List-Id");
    assert!(list_id.contains("wg-payment."), "{list_id}");
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let url = unsubscribe
        .split(['<', '>'])
        .find(|s| s.starts_with("http://convene.test/wg/"))
        .unwrap_or_else(|| panic!("a one-click link in {unsubscribe}"));
    assert!(mail.text.contains(url), "the link is in the text too");
    assert!(
        app.smtp
            .to("cy@example.org")
            .iter()
            .all(|m| m.subject != "First meeting"),
        "another group gets nothing"
    );

    let path = url.trim_start_matches("http://convene.test");
    let shown = app.get(path).await;
    assert_eq!(shown.status().as_u16(), 200, "the link shows a button");
    let left = app
        .post_form(path, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(left.status().as_u16(), 200, "one click leaves");
    assert!(
        left.text().await.unwrap().contains("Payment"),
        "the page names the group"
    );

    let organizer = token(&app, ORGANIZER).await;
    let (_, group) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/working-groups/payment",
        Some(&organizer),
        None,
    )
    .await;
    let emails: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["bob@example.org"], "Ann left the group");
    let (status, preview) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/working-groups/payment/message",
        Some(&organizer),
        Some(json!({ "subject": "Next", "body": "Soon", "preview": true })),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        (preview["recipients"].as_i64(), preview["queued"].as_i64()),
        (Some(1), Some(0)),
        "{preview}"
    );
    // Opened again, by a click or a mail program's retried one-click
    // POST: the group was left, and nothing else changes.
    let again = app.get(path).await;
    assert_eq!(again.status().as_u16(), 200, "a spent link still answers");
    let again = again.text().await.unwrap();
    assert!(
        again.contains("already taken its address out"),
        "it says the group was left: {again}"
    );
    assert!(again.contains("Payment"), "and names the group");
    assert!(
        !again.contains("<form method=\"post\" action=\"/wg/"),
        "with no button to press again"
    );
    assert!(
        !again.contains("***@example.org"),
        "nor the address, which the link no longer knows: {again}"
    );
    let retried = app
        .post_form(path, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(
        retried.status().as_u16(),
        200,
        "a second POST is answered alike"
    );
    assert!(retried.text().await.unwrap().contains("Payment"));
    assert_eq!(
        app.get(&format!("/wg/{}", "0".repeat(40)))
            .await
            .status()
            .as_u16(),
        404,
        "a link that never was is still not found"
    );
}

#[tokio::test]
async fn a_members_export_says_when_they_were_contacted_and_erasing_them_kills_their_leave_link() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    join(&app, "ann@example.org", "Ann", "Clinic", "payment").await;
    let admin = token(&app, "admin@example.org").await;
    let (get, post) = (reqwest::Method::GET, reqwest::Method::POST);
    let (_, group) = call(
        &app,
        get.clone(),
        "/api/v1/working-groups/payment",
        Some(&admin),
        None,
    )
    .await;
    let ann = group["members"][0]["id"].as_i64().expect("Ann's sign-up");
    let contacted = format!("/api/v1/working-groups/members/{ann}/contacted");
    let (status, _) = call(&app, post.clone(), &contacted, Some(&admin), None).await;
    assert_eq!(status, 200);
    let message = json!({ "subject": "Hello group", "body": "Welcome." });
    let (status, sent) = call(
        &app,
        post.clone(),
        "/api/v1/working-groups/payment/message",
        Some(&admin),
        Some(message),
    )
    .await;
    assert_eq!((status, sent["queued"].as_i64()), (200, Some(1)), "{sent}");
    let mails = app.smtp.wait_for("ann@example.org", 2).await;
    let mail = mails
        .iter()
        .find(|m| m.subject == "Hello group")
        .expect("the message");
    let link = mail.link("http://convene.test/wg/").expect("a leave link");
    assert_eq!(
        app.get(&link).await.status().as_u16(),
        200,
        "the link works"
    );

    let (status, export) = call(
        &app,
        get.clone(),
        "/api/v1/organizer/people/export?email=ann@example.org",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    let sign_up = &export["working_group_interests"][0];
    assert_eq!(sign_up["lever"], "payment", "{export}");
    assert!(
        sign_up["contacted_at"].is_string(),
        "when they were contacted: {export}"
    );

    let (status, erased) = call(
        &app,
        post,
        "/api/v1/organizer/people/erase",
        Some(&admin),
        Some(json!({ "email": "ann@example.org" })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(
        app.get(&link).await.status().as_u16(),
        404,
        "an erased person's link is dead"
    );
    let (_, group) = call(
        &app,
        get,
        "/api/v1/working-groups/payment",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        group["members"],
        json!([]),
        "an erased person is not listed: {group}"
    );
}
