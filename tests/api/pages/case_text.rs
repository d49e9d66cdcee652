//! The ECHO case form asks for the challenge in words, as its intro
//! promises, screens those words like the other free text, and shows them
//! to the presenter and the facilitators.

use crate::echo_cases::{case_form, cohort_with, post_case};

const QUESTION: &str = "What would you change first to keep peers past their first year?";

#[tokio::test]
async fn the_case_form_asks_for_the_challenge_in_words_and_screens_them() {
    let (app, links) = cohort_with(&[("dorothea@example.org", "participant")]).await;
    let me = &links[0];
    let form = app
        .get(&format!("{me}/cases/new"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(r#"<textarea id="challenge_text" name="challenge_text" required"#),
        "{form}"
    );

    let leaky = case_form(QUESTION, true, None).text(
        "challenge_text",
        "Our lead (call her at 555-201-4477) is leaving.",
    );
    let refused = post_case(&app, &format!("{me}/cases"), leaky).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("The challenge in your words, line 1: a phone number"),
        "the words are screened like the rest:\n{html}"
    );

    let sent = post_case(
        &app,
        &format!("{me}/cases"),
        case_form(QUESTION, true, None),
    )
    .await;
    assert_eq!(sent.status().as_u16(), 303);
    let to = sent.headers()["location"].to_str().unwrap().to_string();
    let html = app.get(&to).await.text().await.unwrap();
    assert!(
        html.contains("Peer specialists leave within a year of starting"),
        "the presenter reads their words back:\n{html}"
    );
}
