//! The whole loop, each step as people take it through the real app on the
//! manual clock: the follow-up's link, the registrant's evaluation and an
//! anonymous one, the question ninety days on and its answer, and the
//! organizers' report counting all of it.

use super::*;

#[tokio::test]
async fn an_evaluation_is_asked_about_later_and_the_report_counts_both() {
    let (app, t, session, ends) = app_with_a_jam().await;
    let manage = app.register_ok(session, "jane@example.org").await;
    app.register_ok(session, "sam@example.org").await;
    let qs = questions(&app, &t).await;
    let (rating, take_back, lever) = (
        field(&qs, "rating"),
        field(&qs, "take_back"),
        field(&qs, "lever"),
    );

    follow_up(&app, ends).await;
    let link = feedback_link(&app, "jane@example.org", 2).await;
    let (status, ..) = post(
        &app,
        &link,
        &[
            (&rating, "4"),
            (&take_back, "A career ladder for peer staff"),
            (&lever, "payment"),
        ],
    )
    .await;
    assert_eq!(status, 303, "jane's evaluation is taken");
    let public = format!("/sessions/{session}/feedback");
    let (status, ..) = post(&app, &public, &[(&rating, "2")]).await;
    assert_eq!(status, 303, "an anonymous one too");

    app.clock
        .set(ends + Duration::days(90) + Duration::minutes(1));
    assert_eq!(
        tick(&app).await.since_asked,
        1,
        "jane, who took something back"
    );
    let mail = app.smtp.wait_for("jane@example.org", 3).await.remove(2);
    assert!(
        mail.text.contains("A career ladder for peer staff"),
        "{}",
        mail.text
    );
    let since = mail.link("http://convene.test/r/").expect("a link");
    assert_eq!(since, format!("{manage}/since"));
    let response = app
        .post_form(
            &since,
            &[
                ("acted_on", "yes"),
                ("lever", "payment"),
                ("lever", "workforce-expansion"),
                ("changed", "Two peer roles are funded"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "her answer is taken");

    // Ninety days on, the organizer signs in afresh.
    let t = token(&app, ORG).await;
    let (status, report) = send(
        &app,
        Method::GET,
        "/api/v1/series/jam/feedback",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let totals = &report["totals"];
    assert_eq!(totals["registrants"], 2);
    assert_eq!(totals["registrant_responses"], 1);
    assert_eq!(totals["anonymous_responses"], 1);
    assert_eq!(totals["response_rate"], 1.0);
    assert_eq!(totals["rating"]["average"], 3.0);
    assert_eq!(totals["rating"]["counts"], json!([0, 1, 0, 1, 0]));
    assert_eq!(
        (
            &totals["took_back"],
            &totals["since_asked"],
            &totals["since_answered"],
            &totals["acted_on"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1))
    );
    let lever = |code: &str| {
        totals["levers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap_or_else(|| panic!("{code} in {report}"))
            .clone()
    };
    assert_eq!(
        (
            lever("payment")["took_back"].clone(),
            lever("payment")["acted_on"].clone()
        ),
        (json!(1), json!(1))
    );
    let expansion = lever("workforce-expansion");
    assert_eq!(
        (
            expansion["took_back"].clone(),
            expansion["acted_on"].clone()
        ),
        (json!(0), json!(1))
    );
    let texts: Vec<&str> = report["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"A career ladder for peer staff")
            && texts.contains(&"Two peer roles are funded"),
        "{texts:?}"
    );
}
