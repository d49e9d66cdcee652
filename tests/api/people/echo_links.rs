//! Facilitators revoking and reissuing a participant's ECHO link: the old
//! link stops at once, the new one is mailed.

use convene::auth::Role;
use convene::clock::Clock;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use super::{apply, call, create_cohort, october};
use crate::helpers::{
    create_user, csrf_of, page, post_page, send, sign_in, token, with_conn, TestApp,
};

/// A cohort with one approved participant; returns the app, the
/// facilitator's token, the application's id and their page's path.
async fn approved_participant() -> (TestApp, String, i64, String) {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let hub = token(&app, "hub@example.org").await;
    create_cohort(&app, &hub).await;
    for (email, first) in [
        ("dorothea@example.org", "Dorothea"),
        ("clara@example.org", "Clara"),
    ] {
        apply(&app, email, first, "Dix", "Hudson Valley CMHC").await;
    }
    let id: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        applications.order(id).select(id).first(c).unwrap()
    });
    call(
        &app,
        Method::POST,
        &format!("/api/v1/echo/applications/{id}/decision"),
        &hub,
        Some(json!({ "decision": "approved" })),
    )
    .await;
    let welcome = app.smtp.wait_for("dorothea@example.org", 2).await.remove(1);
    let link = welcome
        .link("http://convene.test/echo/p/")
        .expect("a magic link");
    (app, hub, id, link)
}

fn link_audit(app: &TestApp, application: i64) -> Vec<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::subject.eq(format!("application:{application}")))
            .filter(audit_log::action.like("application.link%"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(c)
            .unwrap()
    })
}

#[tokio::test]
async fn a_facilitator_revokes_a_participants_link_and_it_stops_at_once() {
    let (app, hub, id, link) = approved_participant().await;
    assert_eq!(
        app.get(&link).await.status().as_u16(),
        200,
        "the link works"
    );
    create_user(&app, "org@example.org", Role::Organizer);
    let organizer = token(&app, "org@example.org").await;
    let path = format!("/api/v1/echo/applications/{id}/link");

    let (status, _) = send(&app, Method::DELETE, &path, Some(&organizer), None).await;
    assert_eq!(status, 403, "ECHO links are the facilitators'");
    let (status, _) = send(&app, Method::DELETE, &path, None, None).await;
    assert_eq!(status, 401, "signed in only");
    let (status, body) = send(
        &app,
        Method::DELETE,
        "/api/v1/echo/applications/999999/link",
        Some(&hub),
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let pending: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        applications.order(id.desc()).select(id).first(c).unwrap()
    });
    let (status, body) = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/echo/applications/{pending}/link"),
        Some(&hub),
        None,
    )
    .await;
    assert_eq!(status, 409, "a pending application has no link: {body}");
    assert_eq!(body["error"]["code"], "not_approved", "{body}");

    let revoked = call(&app, Method::DELETE, &path, &hub, None).await;
    assert_eq!(revoked["has_link"], false, "{revoked}");
    assert!(
        revoked.get("access_token").is_none(),
        "never the token: {revoked}"
    );
    assert_eq!(
        app.get(&link).await.status().as_u16(),
        404,
        "the revoked link stops at once"
    );
    assert_eq!(
        app.get(&format!("{link}/calendar.ics"))
            .await
            .status()
            .as_u16(),
        404,
        "and so does its feed"
    );
    call(&app, Method::DELETE, &path, &hub, None).await;
    assert_eq!(
        link_audit(&app, id),
        ["application.link_revoked"],
        "revoking is audited once"
    );

    // Asking for one's links by e-mail does not undo a revocation.
    let before = app.smtp.to("dorothea@example.org").len();
    let asked = app
        .post_form("/echo/link", &[("email", "dorothea@example.org")])
        .await;
    assert!(asked.status().is_success() || asked.status().is_redirection());
    let queued: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        outbox
            .filter(template.eq("echo_links"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(queued, 0, "no link is sent for a revoked one");
    assert_eq!(app.smtp.to("dorothea@example.org").len(), before);
}

#[tokio::test]
async fn a_new_link_is_mailed_and_the_old_one_stops() {
    let (app, hub, id, old) = approved_participant().await;
    let path = format!("/api/v1/echo/applications/{id}/link");

    let reissued = call(&app, Method::POST, &path, &hub, None).await;
    assert_eq!(reissued["has_link"], true, "{reissued}");
    assert_eq!(
        app.get(&old).await.status().as_u16(),
        404,
        "the old link stops"
    );
    let mail = app.smtp.wait_for("dorothea@example.org", 3).await.remove(2);
    assert!(mail.subject.contains("new link"), "{}", mail.subject);
    let new = mail
        .link("http://convene.test/echo/p/")
        .expect("the new link in the mail");
    assert_ne!(new, old, "a different link");
    assert_eq!(
        app.get(&new).await.status().as_u16(),
        200,
        "the new one works"
    );

    // Again: a second message (its own key), the previous new link dead.
    call(&app, Method::POST, &path, &hub, None).await;
    let third = app
        .smtp
        .wait_for("dorothea@example.org", 4)
        .await
        .remove(3)
        .link("http://convene.test/echo/p/")
        .unwrap();
    assert_eq!(app.get(&new).await.status().as_u16(), 404);
    assert_eq!(app.get(&third).await.status().as_u16(), 200);
    assert_eq!(
        link_audit(&app, id),
        ["application.link_reissued", "application.link_reissued"]
    );
}

#[tokio::test]
async fn the_cohort_page_revokes_and_reissues_a_link_with_its_forms() {
    let (app, _, id, link) = approved_participant().await;
    let cookie = sign_in(&app, "hub@example.org").await;
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/organizer/echo/applications/{id}/link"))
            && html.contains("Active"),
        "a link form beside the approved participant"
    );
    let csrf = csrf_of(&html);
    let form_path = format!("/organizer/echo/applications/{id}/link");

    let refused = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", &csrf), ("action", "x")],
    )
    .await;
    assert_eq!(
        refused.status().as_u16(),
        422,
        "an unknown action is refused"
    );
    let forged = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", "forged"), ("action", "revoke")],
    )
    .await;
    assert_eq!(
        forged.status().as_u16(),
        403,
        "a forged form changes nothing"
    );
    assert_eq!(app.get(&link).await.status().as_u16(), 200);

    let revoked = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", &csrf), ("action", "revoke")],
    )
    .await;
    assert_eq!(revoked.status().as_u16(), 303);
    assert_eq!(app.get(&link).await.status().as_u16(), 404, "revoked");
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Revoked"), "the page says so");

    let reissued = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", &csrf), ("action", "reissue")],
    )
    .await;
    assert_eq!(reissued.status().as_u16(), 303);
    let new = app
        .smtp
        .wait_for("dorothea@example.org", 3)
        .await
        .remove(2)
        .link("http://convene.test/echo/p/")
        .expect("a new link mailed");
    assert_eq!(app.get(&new).await.status().as_u16(), 200);
}
