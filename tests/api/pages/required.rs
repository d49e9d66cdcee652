//! Fields the server requires are marked `required` in the page, and only
//! those: an empty post is refused on exactly the fields the form marks.

use std::collections::BTreeSet;

use crate::echo::echo_app;
use crate::helpers::TestApp;

/// The names of the controls marked `required` in `html` (a radio group
/// by its name, as the error summary names it).
fn marked(html: &str) -> BTreeSet<String> {
    html.split('<')
        .filter(|tag| {
            ["input ", "select ", "textarea "]
                .iter()
                .any(|t| tag.starts_with(t))
        })
        .map(|tag| &tag[..tag.find('>').unwrap_or(tag.len())])
        .filter(|tag| tag.split_whitespace().any(|word| word == "required"))
        .filter_map(|tag| {
            let at = tag.find(" name=\"")? + 7;
            Some(tag[at..at + tag[at..].find('"')?].to_string())
        })
        .collect()
}

/// The fields the error summary of a refused page names.
fn refused(html: &str) -> BTreeSet<String> {
    let summary = &html[html.find("error-summary").expect("an error summary")..];
    let summary = &summary[..summary.find("</div>").unwrap()];
    summary
        .split("href=\"#")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

async fn check(app: &TestApp, page: &str, post: &str, extra: &[(&str, &str)]) {
    let form = app.get(page).await.text().await.unwrap();
    let response = app.post_form(post, extra).await;
    assert_eq!(response.status().as_u16(), 422, "{post}");
    let answer = response.text().await.unwrap();
    assert_eq!(
        marked(&form),
        refused(&answer),
        "{page}: the fields marked required, then those an empty post is refused on"
    );
}

#[tokio::test]
async fn the_public_forms_mark_required_what_the_server_requires() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    check(
        &app,
        &format!("/sessions/{session}"),
        &format!("/sessions/{session}/register"),
        &[],
    )
    .await;
    check(&app, "/subscribe", "/subscribe", &[("list", "jam")]).await;
    check(&app, "/interest", "/interest", &[("want", "list")]).await;
}

#[tokio::test]
async fn the_evaluation_forms_mark_required_what_the_server_requires() {
    let app =
        TestApp::spawn_with_clock(convene::clock::Clock::manual(chrono::Utc::now()), |_| {}).await;
    let session = app.next_jam().await;
    let manage = app.register_ok(session, "eve@example.org").await;
    let jam = app.sessions().await.remove(0);
    let ends: chrono::DateTime<chrono::Utc> = jam["ends_at"].as_str().unwrap().parse().unwrap();
    app.clock.set(ends + chrono::Duration::minutes(1));
    let public = format!("/sessions/{session}/feedback");
    check(&app, &public, &public, &[]).await;
    let own = format!("{manage}/feedback");
    check(&app, &own, &own, &[]).await;
}

#[tokio::test]
async fn the_application_form_marks_required_what_the_server_requires() {
    let (app, _) = echo_app(40).await;
    check(&app, "/echo/cohort-3", "/echo/cohort-3/apply", &[]).await;
    check(&app, "/echo/link", "/echo/link", &[]).await;
}
