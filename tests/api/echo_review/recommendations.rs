//! Recommendations following the session, and their follow-up sent once.

use chrono::Duration;
use serde_json::json;

use super::{after_the_first_session, error_code, Hub, PRESENTER};

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
