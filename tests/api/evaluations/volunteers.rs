//! A yes to "would you present?" on the evaluation: a proposal in the
//! organizers' queue, from a registrant as themselves, from the anonymous
//! form with the name and address it then requires.

use super::*;
use crate::helpers::{page, sign_in};

/// The pending proposals' (name, e-mail, levers).
async fn proposals(app: &TestApp, t: &str) -> Vec<(String, String, Value)> {
    let (status, body) = send(
        app,
        Method::GET,
        "/api/v1/organizer/proposals?status=pending",
        Some(t),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["email"].as_str().unwrap().to_string(),
                p["levers"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_yes_to_presenting_lands_in_the_proposals_queue() {
    let (app, t, session, ends) = app_with_a_jam().await;
    let manage = app.register_ok(session, "jane@example.org").await;
    let qs = questions(&app, &t).await;
    let (rating, present, lever) = (
        field(&qs, "rating"),
        field(&qs, "present"),
        field(&qs, "lever"),
    );
    app.clock.set(ends + Duration::minutes(5));
    let t = token(&app, ORG).await;
    let path = format!("/sessions/{session}/feedback");
    assert!(app
        .get(&path)
        .await
        .text()
        .await
        .unwrap()
        .contains("name=\"email\""));

    // Anonymous: a yes needs a name and an address.
    let (status, _, html) = post(&app, &path, &[(&rating, "5"), (&present, "yes")]).await;
    assert_eq!(status, 422);
    for f in ["first_name", "last_name", "email"] {
        assert!(
            html.contains(&format!("href=\"#{f}\"")),
            "{f} named: {html}"
        );
    }
    assert!(evaluations(&app).is_empty());
    let volunteer = [
        (rating.as_str(), "5"),
        (present.as_str(), "yes"),
        (lever.as_str(), "technology"),
        ("first_name", "Vera"),
        ("last_name", "Volunteer"),
        ("email", "vera@example.org"),
    ];
    assert_eq!(post(&app, &path, &volunteer).await.0, 303);
    let queue = proposals(&app, &t).await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        (queue[0].0.as_str(), queue[0].1.as_str()),
        ("Vera Volunteer", "vera@example.org")
    );
    assert_eq!(queue[0].2[0]["code"], "technology", "the lever they chose");
    // Again: the pending proposal stays as it is, no second one.
    assert_eq!(post(&app, &path, &volunteer).await.0, 303);
    assert_eq!(proposals(&app, &t).await.len(), 1);
    // A "no" needs no name.
    assert_eq!(
        post(&app, &path, &[(&rating, "4"), (&present, "no")])
            .await
            .0,
        303
    );

    // A registrant volunteers as themselves.
    let (status, ..) = post(
        &app,
        &format!("{manage}/feedback"),
        &[(&rating, "4"), (&present, "yes")],
    )
    .await;
    assert_eq!(status, 303);
    let queue = proposals(&app, &t).await;
    assert_eq!(queue.len(), 2);
    assert!(
        queue.iter().any(|(_, e, _)| e == "jane@example.org"),
        "{queue:?}"
    );
    let cookie = sign_in(&app, ORG).await;
    let html = page(&app, "/organizer/proposals", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("vera@example.org") && html.contains("Offered to present"),
        "{html}"
    );
}
