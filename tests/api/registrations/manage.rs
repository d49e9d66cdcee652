//! Organizers searching, adding, cancelling and promoting a session's
//! registrations.

use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{send, with_conn};

use super::{
    add, app_with_users, audit_actions, code, emails, get, person, post, session_with_capacity,
};

#[tokio::test]
async fn organizers_search_filter_and_page_a_sessions_registrations() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 2).await;
    for p in [
        person("Ada", "Lovelace", "ada@example.org", "Analytical Engines"),
        person("Grace", "Hopper", "grace@navy.example", "US Navy"),
        person("Alan", "Turing", "alan@example.org", "Bletchley 100% Park"),
        person("Katherine", "Johnson", "kj@nasa.example", "NASA_Langley"),
    ] {
        add(&app, &t.organizer, session, p).await;
    }
    let list = |query: &str| {
        let path = format!("/api/v1/organizer/sessions/{session}/registrations{query}");
        let app = &app;
        let bearer = t.organizer.clone();
        async move { get(app, &path, &bearer).await }
    };

    let (status, all) = list("").await;
    assert_eq!(status, 200, "an organizer reads: {all}");
    assert_eq!(
        emails(&all),
        [
            "ada@example.org",
            "grace@navy.example",
            "alan@example.org",
            "kj@nasa.example"
        ],
        "in the order they registered"
    );
    assert_eq!(
        (all["total"].as_i64(), all["per_page"].as_i64()),
        (Some(4), Some(50))
    );

    for (query, expected) in [
        ("?q=LOVELACE", vec!["ada@example.org"]),
        ("?q=ada%20lov", vec!["ada@example.org"]),
        ("?q=navy", vec!["grace@navy.example"]),
        (
            "?q=Example.ORG",
            vec!["ada@example.org", "alan@example.org"],
        ),
        ("?q=%25", vec!["alan@example.org"]),
        ("?q=_", vec!["kj@nasa.example"]),
        (
            "?status=waitlisted",
            vec!["alan@example.org", "kj@nasa.example"],
        ),
        (
            "?status=registered&q=a",
            vec!["ada@example.org", "grace@navy.example"],
        ),
        ("?status=cancelled", vec![]),
    ] {
        let (status, body) = list(query).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(emails(&body), expected, "{query}");
        assert_eq!(
            body["total"].as_u64(),
            Some(expected.len() as u64),
            "{query}"
        );
    }

    let (_, page) = list("?per_page=3&page=2").await;
    assert_eq!(
        emails(&page),
        ["kj@nasa.example"],
        "the second page of three"
    );
    assert_eq!(page["total"].as_i64(), Some(4), "total counts every match");

    let (status, body) = list("?status=maybe&per_page=500&page=0").await;
    assert_eq!(status, 422, "{body}");
    for field in ["status", "per_page", "page"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (status, body) = get(
        &app,
        "/api/v1/organizer/sessions/999999/registrations",
        &t.organizer,
    )
    .await;
    assert_eq!((status, code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn a_registration_added_by_hand_gets_its_confirmation_and_is_audited() {
    let (app, t) = app_with_users().await;
    let session = app.next_jam().await;

    let (status, body) = post(
        &app,
        &format!("/api/v1/organizer/sessions/{session}/registrations"),
        &t.organizer,
        json!({ "first_name": "", "email": "not an address", "sector": "astrology" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in [
        "first_name",
        "last_name",
        "email",
        "organization",
        "sector",
        "state",
    ] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }

    let added = add(
        &app,
        &t.organizer,
        session,
        person("Phone", "Caller", "Caller@Example.org", "Called In"),
    )
    .await;
    assert_eq!(added["status"], "registered");
    assert_eq!(
        added["email"], "caller@example.org",
        "the address is normalized"
    );
    let mail = app.smtp.wait_for("caller@example.org", 1).await;
    assert!(
        mail[0].calendar.is_some(),
        "the confirmation carries the invitation"
    );
    let id = added["id"].as_i64().unwrap();
    assert_eq!(
        audit_actions(&app, &format!("registration:{id}")),
        ["registration.add"]
    );

    let (status, body) = post(
        &app,
        "/api/v1/organizer/sessions/999999/registrations",
        &t.organizer,
        person("No", "Session", "no@example.org", "Nowhere"),
    )
    .await;
    assert_eq!((status, code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn cancelling_by_hand_tells_the_person_and_moves_the_waitlist_up() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 1).await;
    let first = add(
        &app,
        &t.organizer,
        session,
        person("First", "In", "first@example.org", "A"),
    )
    .await;
    let second = add(
        &app,
        &t.organizer,
        session,
        person("Second", "In", "second@example.org", "B"),
    )
    .await;
    assert_eq!(second["status"], "waitlisted");
    let first_id = first["id"].as_i64().unwrap();

    let path = format!("/api/v1/organizer/registrations/{first_id}/cancel");
    let (status, body) = post(&app, &path, &t.facilitator, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (403, "forbidden"),
        "a facilitator may not cancel"
    );
    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");

    let mails = app.smtp.wait_for("first@example.org", 2).await;
    assert!(
        mails.iter().any(|m| m
            .calendar
            .as_ref()
            .is_some_and(|(method, _)| method.eq_ignore_ascii_case("CANCEL"))),
        "the cancellation removes the event from their calendar"
    );
    app.smtp.wait_for("second@example.org", 2).await;
    let (_, waitlisted) = get(
        &app,
        &format!("/api/v1/organizer/sessions/{session}/registrations?status=registered"),
        &t.organizer,
    )
    .await;
    assert_eq!(
        emails(&waitlisted),
        ["second@example.org"],
        "the freed place was given on"
    );

    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!((status, code(&body)), (409, "already_cancelled"));
    let (status, _) = post(
        &app,
        "/api/v1/organizer/registrations/999999/cancel",
        &t.organizer,
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        audit_actions(&app, &format!("registration:{first_id}")),
        ["registration.add", "registration.cancel"]
    );
}

#[tokio::test]
async fn an_organizer_can_promote_someone_past_a_full_session() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 1).await;
    let first = add(
        &app,
        &t.organizer,
        session,
        person("First", "In", "first@example.org", "A"),
    )
    .await;
    let waiting = add(
        &app,
        &t.organizer,
        session,
        person("Wait", "Ing", "wait@example.org", "B"),
    )
    .await;
    assert_eq!(waiting["status"], "waitlisted");
    let id = waiting["id"].as_i64().unwrap();
    let path = format!("/api/v1/organizer/registrations/{id}/promote");

    let (status, _) = post(&app, &path, &t.facilitator, json!({})).await;
    assert_eq!(status, 403, "a facilitator may not promote");
    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "registered");
    assert!(body["registered_at"].is_string(), "{body}");
    assert!(body["waitlisted_at"].is_null(), "{body}");

    let mails = app.smtp.wait_for("wait@example.org", 2).await;
    let promoted = mails
        .iter()
        .find(|m| m.calendar.is_some())
        .expect("the promotion carries the invitation");
    assert!(
        promoted.text.contains("/r/"),
        "with their manage link: {}",
        promoted.text
    );
    let (_, registered) = get(
        &app,
        &format!("/api/v1/organizer/sessions/{session}/registrations?status=registered"),
        &t.organizer,
    )
    .await;
    assert_eq!(
        registered["total"].as_i64(),
        Some(2),
        "over capacity, on purpose"
    );

    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!((status, code(&body)), (409, "not_waitlisted"));
    let first_id = first["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/organizer/registrations/{first_id}/promote"),
        &t.organizer,
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "someone registered is not on the waitlist");
    assert_eq!(
        audit_actions(&app, &format!("registration:{id}")),
        ["registration.add", "registration.promote"]
    );
}

#[tokio::test]
async fn a_cancellation_while_over_capacity_by_override_promotes_no_one() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 1).await;
    let mut ids = Vec::new();
    for (first, email) in [
        ("One", "one@example.org"),
        ("Two", "two@example.org"),
        ("Three", "three@example.org"),
    ] {
        let added = add(&app, &t.organizer, session, person(first, "X", email, "A")).await;
        ids.push(added["id"].as_i64().unwrap());
    }
    let act = |verb: &'static str, id: i64| {
        let (app, bearer) = (&app, t.organizer.clone());
        async move {
            let path = format!("/api/v1/organizer/registrations/{id}/{verb}");
            let (status, body) = post(app, &path, &bearer, json!({})).await;
            assert_eq!(status, 200, "{verb} {id}: {body}");
        }
    };
    act("promote", ids[1]).await;
    assert_eq!(
        app.registered_count(session).await,
        (2, 1),
        "one over, on purpose"
    );

    act("cancel", ids[0]).await;
    assert_eq!(
        app.registered_count(session).await,
        (1, 1),
        "the freed place only brings the session back to its capacity"
    );
    act("cancel", ids[1]).await;
    assert_eq!(
        app.registered_count(session).await,
        (1, 0),
        "now a place is free: the waitlist moves up"
    );
}

#[tokio::test]
async fn after_the_capacity_is_lowered_a_place_frees_only_below_it() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 3).await;
    let mut ids = Vec::new();
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        let added = add(&app, &t.organizer, session, person("P", "Q", email, "A")).await;
        ids.push(added["id"].as_i64().unwrap());
    }
    let path = format!("/api/v1/organizer/registrations/{}/cancel", ids[0]);
    let (status, body) = post(&app, &path, &t.organizer, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/sessions/{session}"),
        Some(&t.organizer),
        Some(json!({ "capacity": 2 })),
    )
    .await;
    assert_eq!(status, 200, "capacity lowered: {body}");
    let late = add(
        &app,
        &t.organizer,
        session,
        person("L", "Ate", "late@example.org", "A"),
    )
    .await;
    assert_eq!(
        late["status"], "waitlisted",
        "two registered fill a capacity of two, whichever places they held"
    );
    assert_eq!(app.registered_count(session).await, (2, 1));
}

#[tokio::test]
async fn a_session_listed_full_takes_registrants_again_once_a_place_frees_or_is_added() {
    let (app, t) = app_with_users().await;
    let session = session_with_capacity(&app, &t.organizer, 2).await;
    let join = |email: &'static str| {
        let (app, bearer) = (&app, t.organizer.clone());
        async move {
            let added = add(app, &bearer, session, person("P", "Q", email, "A")).await;
            (added["id"].as_i64().unwrap(), added["status"].clone())
        }
    };
    let cancel = |id: i64| {
        let (app, bearer) = (&app, t.organizer.clone());
        async move {
            let path = format!("/api/v1/organizer/registrations/{id}/cancel");
            let (status, body) = post(app, &path, &bearer, json!({})).await;
            assert_eq!(status, 200, "cancel {id}: {body}");
        }
    };
    let listed = || {
        with_conn(&app.pool, |c| {
            use convene::db::schema::full_sessions;
            full_sessions::table
                .find(session)
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
    };
    let (a, _) = join("a@example.org").await;
    join("b@example.org").await;
    assert_eq!(listed(), 0, "full, but no one has found it so yet");
    let (c, status) = join("c@example.org").await;
    assert_eq!(status, "waitlisted");
    assert_eq!(listed(), 1, "the first one waitlisted lists it full");

    // A place frees with no one waiting to take it.
    cancel(c).await;
    cancel(a).await;
    assert_eq!(listed(), 0);
    let (_, status) = join("d@example.org").await;
    assert_eq!(status, "registered", "the freed place is taken");

    // Full again, then a place is added with no one waiting.
    let (e, status) = join("e@example.org").await;
    assert_eq!(status, "waitlisted");
    assert_eq!(listed(), 1);
    cancel(e).await;
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/sessions/{session}"),
        Some(&t.organizer),
        Some(json!({ "capacity": 3 })),
    )
    .await;
    assert_eq!(status, 200, "capacity raised: {body}");
    let (_, status) = join("f@example.org").await;
    assert_eq!(status, "registered", "the added place is taken");
    assert_eq!(app.registered_count(session).await, (3, 0));
}
