//! Applying defaults to upcoming sessions, and the series page's form.

use convene::auth::Role;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime};
use serde_json::json;

use super::{audit, count, organizer, patch_ok, sessions, CONFIG_TITLE, FACILITATOR, ORGANIZER};
use crate::helpers::{create_user, csrf_of, page, post_page, send, sign_in, with_conn, TestApp};

#[tokio::test]
async fn applying_to_upcoming_sessions_changes_those_on_the_old_default_and_tells_registrants() {
    let app = TestApp::spawn().await;
    let organizer = organizer(&app).await;
    let before = sessions(&app);
    assert!(before.len() >= 3, "a few months of Jams: {before:?}");
    let (first, second, third) = (before[0].id, before[1].id, before[2].id);
    app.register_ok(first, "ada@example.org").await;
    let confirmation = app.smtp.wait_for("ada@example.org", 1).await.remove(0);
    assert!(confirmation.calendar.is_some(), "ada holds an invitation");
    // Organizers set the second's title and the third's capacity by hand.
    for (id, body) in [
        (second, json!({ "title": "A special Jam" })),
        (third, json!({ "capacity": "50" })),
    ] {
        let (status, answer) = send(
            &app,
            reqwest::Method::PATCH,
            &format!("/api/v1/organizer/sessions/{id}"),
            Some(&organizer),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }

    let answer = patch_ok(
        &app,
        &organizer,
        json!({
            "title": "The Jam",
            "capacity": 2000,
            "duration_minutes": 90,
            "apply_to_upcoming": true,
        }),
    )
    .await;
    assert_eq!(
        answer["sessions_updated"].as_u64(),
        Some(before.len() as u64),
        "each session had at least one old default: {answer}"
    );
    assert_eq!(answer["messages_queued"], 1, "ada's update: {answer}");

    let after = sessions(&app);
    let by_id = |id: i64| after.iter().find(|s| s.id == id).unwrap().clone();
    let was = |id: i64| before.iter().find(|s| s.id == id).unwrap().clone();
    let one = by_id(first);
    assert_eq!(
        (one.title.as_str(), one.capacity, one.minutes()),
        ("The Jam", 2000, 90),
        "the new defaults"
    );
    assert_eq!(one.starts_at, was(first).starts_at, "same start");
    assert_eq!(one.sequence, 1, "one calendar change, one SEQUENCE step");
    let two = by_id(second);
    assert_eq!(
        (two.title.as_str(), two.capacity, two.minutes()),
        ("A special Jam", 2000, 90),
        "its own title stays; the rest follows"
    );
    assert_eq!(two.sequence, 2, "its own edit, then the series'");
    let three = by_id(third);
    assert_eq!(
        (three.title.as_str(), three.capacity),
        ("The Jam", 50),
        "its own capacity stays"
    );

    let mails = app.smtp.wait_for("ada@example.org", 2).await;
    let update = mails
        .iter()
        .find(|m| m.subject.contains("The Jam"))
        .unwrap_or_else(|| {
            panic!(
                "an update: {:?}",
                mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
            )
        });
    let (method, ics) = update.calendar.as_ref().expect("the updated invitation");
    assert_eq!(method.to_uppercase(), "REQUEST");
    let calendar: icalendar::Calendar = ics.parse().expect("the calendar part parses");
    let event = calendar.events().next().expect("an event");
    assert_eq!(event.get_sequence(), Some(1), "{ics}");
    assert_eq!(event.get_summary(), Some("The Jam"), "{ics}");
    assert_eq!(
        event.get_end(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(
            one.ends_at.and_utc()
        ))),
        "the new end: {ics}"
    );
    assert_eq!(
        app.outbox("registration:")
            .iter()
            .filter(|(k, _, _)| k.contains(":session-update:1"))
            .count(),
        1,
        "one update for ada"
    );

    let entries = audit(&app);
    assert_eq!(count(&entries, "series.update"), 1);
    assert_eq!(
        count(&entries, "session.reschedule"),
        before.len(),
        "each session's change audited as an organizer's: {entries:?}"
    );
}

/// `form` with `changes` instead of the same fields' values.
fn with_changes<'a>(
    form: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    form.extend(changes.iter().cloned());
    form
}

#[tokio::test]
async fn the_series_page_shows_the_defaults_and_its_form_changes_them() {
    let app = TestApp::spawn().await;
    create_user(&app, FACILITATOR, Role::Facilitator);
    create_user(&app, ORGANIZER, Role::Organizer);
    let first = sessions(&app)[0].id;

    // A facilitator sees nothing of the Jam's series.
    let facilitator = sign_in(&app, FACILITATOR).await;
    let dashboard = page(&app, "/organizer", &facilitator)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !dashboard.contains("href=\"/organizer/series/jam\""),
        "a facilitator's dashboard does not link the series"
    );
    let refused = page(&app, "/organizer/series/jam", &facilitator).await;
    assert_eq!(refused.status().as_u16(), 403, "nor shows its page");

    let cookie = sign_in(&app, ORGANIZER).await;
    let dashboard = page(&app, "/organizer", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains("href=\"/organizer/series/jam\""),
        "the dashboard links the series"
    );
    let response = page(&app, "/organizer/series/jam", &cookie).await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    for shown in [
        CONFIG_TITLE,
        // Handlebars escapes `=`.
        "FREQ&#x3D;MONTHLY;BYDAY&#x3D;3TU",
        "America/New_York",
        &format!("href=\"/organizer/sessions/{first}\""),
    ] {
        assert!(html.contains(shown), "{shown} on the page:\n{html}");
    }
    assert_eq!(
        page(&app, "/organizer/series/nope", &cookie)
            .await
            .status()
            .as_u16(),
        404
    );
    let csrf = csrf_of(&html);
    let jam = &app.settings.series["jam"];
    let (join, email) = (jam.join_url.to_string(), jam.organizer_email.to_string());
    let untouched: Vec<(&str, &str)> = vec![
        ("title", CONFIG_TITLE),
        ("description", &jam.description),
        ("duration_minutes", "60"),
        ("capacity", "1000"),
        ("join_url", &join),
        ("organizer_name", &jam.organizer_name),
        ("organizer_email", &email),
        ("apply_to_upcoming", "on"),
    ];
    let path = "/organizer/series/jam";
    let with = |changes: &[(&'static str, &'static str)]| with_changes(&untouched, changes);

    let forged = post_page(&app, path, &cookie, &with(&[("title", "Forged")])).await;
    assert_eq!(forged.status().as_u16(), 403, "no CSRF token");

    let mut form = untouched.clone();
    form.push(("csrf", &csrf));
    let same = post_page(&app, path, &cookie, &form).await;
    assert_eq!(same.status().as_u16(), 303, "an untouched form is fine");
    assert_eq!(
        count(&audit(&app), "series.update"),
        0,
        "and writes nothing"
    );

    let mut bad = with(&[("capacity", "lots"), ("title", "The Jam")]);
    bad.push(("csrf", &csrf));
    let refused = post_page(&app, path, &cookie, &bad).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("is not a number of places") && html.contains("value=\"lots\""),
        "the form again, with the message and what was typed:\n{html}"
    );
    assert_eq!(count(&audit(&app), "series.update"), 0);

    let mut change = with(&[("title", "The Jam")]);
    change.push(("csrf", &csrf));
    let saved = post_page(&app, path, &cookie, &change).await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(
        saved.headers()["location"].to_str().unwrap(),
        "/organizer/series/jam"
    );
    let after = sessions(&app);
    assert!(
        after
            .iter()
            .all(|s| s.title == "The Jam" && s.sequence == 1),
        "applied to every upcoming session (ticked by default): {after:?}"
    );
    let html = page(&app, "/organizer/series/jam", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("The Jam") && html.contains("organizer</span>"),
        "{html}"
    );

    let mut reset = with(&[("reset", "title")]);
    reset.retain(|(k, _)| *k != "apply_to_upcoming");
    reset.push(("csrf", &csrf));
    assert_eq!(
        post_page(&app, path, &cookie, &reset)
            .await
            .status()
            .as_u16(),
        303
    );
    let row = with_conn(&app.pool, |c| {
        convene::series::model::find_series(c, "jam")
            .unwrap()
            .unwrap()
    });
    assert_eq!((row.title.as_str(), row.edited()), (CONFIG_TITLE, vec![]));
    assert!(
        sessions(&app).iter().all(|s| s.title == "The Jam"),
        "not applied to sessions when unticked"
    );
    assert_eq!(count(&audit(&app), "series.update"), 2);
}
