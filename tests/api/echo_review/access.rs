//! Who may review, the attachment as a download only, and reviewing from
//! the case page.

use convene::auth::Role;
use reqwest::Method;
use serde_json::json;

use super::{after_the_first_session, error_code, html_of, pdf, Hub};
use crate::helpers::{create_user, csrf_of, page, post_page, send, sign_in, token};

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
