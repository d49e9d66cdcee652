//! Presenter lineups: the invitation to present arrives by e-mail, its
//! accept link asks before it acts, accepting confirms and sends the
//! session's calendar invitation, and the confirmed lineup shows on the
//! session page, in the feed and in the list's invitations. Declining,
//! expiry, the one reminder, lever tags and roles.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use convene::config::Offset;
use convene::jobs;
use serde_json::{json, Value};

use crate::helpers::{create_user, token, with_conn, Mail, TestApp};

const GRACE: &str = "grace@example.org";

/// An app on a manual clock with an organizer signed in; returns its token.
async fn organizer_app() -> (TestApp, String) {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |_| {}).await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    (app, t)
}

/// (status, JSON body) of an API call with a bearer token.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A Jam at least three weeks after the app's clock (time enough for a
/// reminder and for a link to expire before it starts).
async fn jam_three_weeks_ahead(app: &TestApp) -> i64 {
    let after = app.clock.now() + Duration::days(21);
    app.sessions()
        .await
        .into_iter()
        .find(|s| {
            s["starts_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
                > after
        })
        .and_then(|s| s["id"].as_i64())
        .expect("a Jam three weeks ahead")
}

/// Adds Grace to the session's lineup and sends her the invitation.
async fn invite_grace(app: &TestApp, t: &str, session: i64) -> i64 {
    let (status, slot) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        t,
        Some(json!({
            "name": "Grace Hopper",
            "email": GRACE,
            "role": "presenter",
            "talk_title": "Paying peer specialists what they are worth",
            "bio": "Grace runs a community clinic in Ohio.",
            "minutes": 20,
            "levers": ["payment", "workforce-expansion"],
            "invite": true,
        })),
    )
    .await;
    assert_eq!(status, 201, "adding a slot: {slot}");
    assert_eq!(slot["status"], "invited", "{slot}");
    slot["id"].as_i64().unwrap()
}

/// The path of the first `/present/…/<answer>` link in the mail.
fn answer_path(mail: &Mail, answer: &str) -> String {
    let at = mail.text.find("/present/").expect("a /present/ link");
    let token: String = mail.text[at + 9..].chars().take(40).collect();
    format!("/present/{token}/{answer}")
}

fn slot_status(app: &TestApp, slot: i64) -> String {
    with_conn(&app.pool, |c| {
        use convene::db::schema::lineup_slots;
        use diesel::prelude::*;
        lineup_slots::table
            .find(slot)
            .select(lineup_slots::status)
            .first(c)
            .unwrap()
    })
}

fn session_uid(app: &TestApp, session: i64) -> String {
    with_conn(&app.pool, |c| {
        use convene::db::schema::sessions;
        use diesel::prelude::*;
        sessions::table
            .find(session)
            .select(sessions::uid)
            .first(c)
            .unwrap()
    })
}

/// Reschedules the session to forty days after the clock, over the API.
async fn move_forty_days_out(app: &TestApp, t: &str, session: i64) {
    let new_start = app.clock.now() + Duration::days(40);
    let (status, body) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/reschedule"),
        t,
        Some(json!({ "start": new_start.to_rfc3339() })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Cancels the session ("A holiday week"), over the API.
async fn cancel_for_a_holiday(app: &TestApp, t: &str, session: i64) {
    let (status, body) = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/cancel"),
        t,
        Some(json!({ "reason": "A holiday week" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn tick(app: &TestApp) -> jobs::Tick {
    jobs::tick(&app.pool, Arc::new(app.settings.clone()), app.clock.now())
        .await
        .expect("scheduler tick")
}

#[tokio::test]
async fn an_accepted_invitation_confirms_the_presenter_and_shows_them_on_the_page_feed_and_invitations(
) {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let slot = invite_grace(&app, &t, session).await;

    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);
    assert!(
        invitation
            .subject
            .starts_with("Invitation to present at the Workforce Solutions Jam — "),
        "the subject says it is an invitation to present: {}",
        invitation.subject
    );
    let accept = answer_path(&invitation, "accept");
    assert!(
        invitation
            .text
            .contains(&answer_path(&invitation, "decline")),
        "a decline link too:\n{}",
        invitation.text
    );

    let page = app.get(&accept).await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"{accept}\"")),
        "the GET page offers a button: {html}"
    );
    assert_eq!(
        slot_status(&app, slot),
        "invited",
        "following the link (as a scanner would) changes nothing"
    );

    let answered = app.post_form(&accept, &[]).await;
    assert_eq!(answered.status().as_u16(), 200);
    assert!(answered.text().await.unwrap().contains("confirmed"));
    assert_eq!(slot_status(&app, slot), "confirmed");

    let confirmation = app.smtp.wait_for(GRACE, 2).await.remove(1);
    let (method, ics) = confirmation
        .calendar
        .clone()
        .expect("the confirmation carries a calendar invitation");
    assert_eq!(method.to_uppercase(), "REQUEST");
    let ics = ics.replace("\r\n ", "");
    assert!(
        ics.contains(&format!("UID:{}", session_uid(&app, session))),
        "the session's own UID: {ics}"
    );
    assert!(
        ics.contains(&format!("mailto:{GRACE}")),
        "Grace attends: {ics}"
    );

    // Answering again shows where things stand and sends nothing.
    let again = app.post_form(&accept, &[]).await;
    assert_eq!(again.status().as_u16(), 200);
    let again_decline = app
        .post_form(&answer_path(&invitation, "decline"), &[])
        .await;
    assert_eq!(again_decline.status().as_u16(), 200);
    assert_eq!(
        slot_status(&app, slot),
        "confirmed",
        "a second answer changes nothing"
    );
    assert_eq!(
        app.outbox(&format!("lineup:{slot}:")).len(),
        2,
        "only the invitation and the confirmation were queued"
    );

    let page = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Grace Hopper"),
        "the public page lists her: {page}"
    );
    assert!(
        page.contains("Paying peer specialists what they are worth"),
        "with her talk title"
    );
    assert!(
        page.contains("Grace runs a community clinic in Ohio."),
        "and her bio"
    );
    assert!(page.contains("Workforce expansion"), "and her lever tags");

    let feed = app.get("/calendar/jam.ics").await.text().await.unwrap();
    let feed = feed.replace("\r\n ", "");
    assert!(
        feed.contains("Presenters:\\n- Grace Hopper (presenter): Paying peer specialists"),
        "the feed's description names her: {feed}"
    );

    // The list's invitation to the session names her too.
    app.subscribe_confirmed("sam@example.org", &["jam"]).await;
    let (s, series) = with_conn(&app.pool, |c| {
        convene::series::model::find_session(c, session)
            .unwrap()
            .unwrap()
    });
    jobs::outreach::enqueue_invitations(
        &app.pool,
        &app.settings,
        &s,
        &series,
        "jam",
        Offset::days(21),
        false,
        app.clock.now(),
    )
    .await
    .expect("invitations queued");
    let mails = app.smtp.wait_for("sam@example.org", 2).await;
    let list_invitation = mails.last().unwrap();
    assert!(
        list_invitation
            .text
            .contains("Grace Hopper: Paying peer specialists what they are worth"),
        "{}",
        list_invitation.text
    );
}

#[tokio::test]
async fn declining_thanks_the_presenter_and_keeps_them_off_the_page() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let slot = invite_grace(&app, &t, session).await;
    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);

    let response = app
        .post_form(&answer_path(&invitation, "decline"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(slot_status(&app, slot), "declined");
    let thanks = app.smtp.wait_for(GRACE, 2).await.remove(1);
    assert!(
        thanks.subject.starts_with("Thank you"),
        "{}",
        thanks.subject
    );
    assert!(thanks.calendar.is_none(), "no calendar for a decline");
    let page = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Grace Hopper"), "a decline is not listed");
}

#[tokio::test]
async fn an_expired_or_unknown_link_is_a_404() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let slot = invite_grace(&app, &t, session).await;
    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);
    let accept = answer_path(&invitation, "accept");

    app.clock.advance(Duration::days(14) + Duration::minutes(1));
    assert_eq!(app.get(&accept).await.status().as_u16(), 404);
    assert_eq!(app.post_form(&accept, &[]).await.status().as_u16(), 404);
    assert_eq!(
        slot_status(&app, slot),
        "invited",
        "an expired link changes nothing"
    );
    let unknown = format!("/present/{}/accept", "0".repeat(40));
    assert_eq!(app.get(&unknown).await.status().as_u16(), 404);
}

#[tokio::test]
async fn an_unanswered_invitation_is_reminded_once_after_five_days() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let slot = invite_grace(&app, &t, session).await;
    app.smtp.wait_for(GRACE, 1).await;

    app.clock.advance(Duration::days(5) - Duration::minutes(1));
    assert_eq!(
        tick(&app).await.presenter_reminders,
        0,
        "not before five days"
    );
    app.clock.advance(Duration::minutes(1));
    assert_eq!(tick(&app).await.presenter_reminders, 1, "at five days");
    app.clock.advance(Duration::days(1));
    assert_eq!(tick(&app).await.presenter_reminders, 0, "only once");

    let reminder = app.smtp.wait_for(GRACE, 2).await.remove(1);
    assert!(
        reminder.subject.contains("invitation to present"),
        "{}",
        reminder.subject
    );
    assert_eq!(app.outbox(&format!("lineup:{slot}:reminder")).len(), 1);
}

#[tokio::test]
async fn session_levers_are_checked_against_the_seven_and_shown() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let path = format!("/api/v1/organizer/sessions/{session}/levers");

    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &t,
        Some(json!({ "levers": ["payment", "vibes"] })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["levers"]
            .as_str()
            .unwrap()
            .contains("vibes"),
        "{body}"
    );

    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &t,
        Some(json!({ "levers": ["technology", "regulation-policy"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["levers"][0]["label"], "Regulation and policy",
        "{body}"
    );

    let page = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Regulation and policy"), "{page}");
    assert!(page.contains("Technology"), "{page}");

    let (status, body) = call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        &t,
        None,
    )
    .await;
    assert_eq!(
        (status, body["levers"].as_array().map(Vec::len)),
        (200, Some(2))
    );
}

#[tokio::test]
async fn bad_slots_get_422_with_fields_and_unknown_ones_404() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/organizer/sessions/{session}/lineup"),
        &t,
        Some(json!({ "name": " ", "email": "nope", "role": "keynote", "levers": ["x"] })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in ["name", "email", "role", "levers"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field} named: {body}"
        );
    }
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/organizer/sessions/999999/lineup",
        &t,
        Some(json!({ "name": "A", "email": "a@example.org" })),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/organizer/lineup/999999",
        &t,
        Some(json!({ "name": "A" })),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn slots_move_and_withdraw_and_each_change_is_audited() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let lineup = format!("/api/v1/organizer/sessions/{session}/lineup");
    let mut ids = Vec::new();
    for name in ["Ada", "Barbara", "Claude"] {
        let (status, slot) = call(
            &app,
            reqwest::Method::POST,
            &lineup,
            &t,
            Some(json!({ "name": name, "email": format!("{}@example.org", name.to_lowercase()) })),
        )
        .await;
        assert_eq!(status, 201, "{slot}");
        assert_eq!(slot["status"], "draft", "not invited yet");
        ids.push(slot["id"].as_i64().unwrap());
    }
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/lineup/{}", ids[2]),
        &t,
        Some(json!({ "position": 1 })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, slot) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/lineup/{}", ids[0]),
        &t,
        Some(json!({ "status": "withdrawn" })),
    )
    .await;
    assert_eq!((status, slot["status"].as_str()), (200, Some("withdrawn")));

    let (_, body) = call(&app, reqwest::Method::GET, &lineup, &t, None).await;
    let order: Vec<(&str, i64)> = body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["position"].as_i64().unwrap()))
        .collect();
    assert_eq!(order, vec![("Claude", 1), ("Ada", 2), ("Barbara", 3)]);

    let actions: Vec<String> = with_conn(&app.pool, |c| {
        convene::audit::list(c, 50, None)
            .unwrap()
            .into_iter()
            .filter(|e| e.subject.starts_with("lineup_slot:"))
            .map(|e| e.action)
            .collect()
    });
    assert_eq!(
        actions,
        vec![
            "lineup.withdraw",
            "lineup.update",
            "lineup.add",
            "lineup.add",
            "lineup.add"
        ]
    );
}

#[tokio::test]
async fn a_facilitator_may_neither_read_the_lineup_nor_change_it() {
    let (app, _) = organizer_app().await;
    create_user(&app, "fac@example.org", Role::Facilitator);
    let t = token(&app, "fac@example.org").await;
    let session = jam_three_weeks_ahead(&app).await;
    let lineup = format!("/api/v1/organizer/sessions/{session}/lineup");
    let (status, _) = call(&app, reqwest::Method::GET, &lineup, &t, None).await;
    assert_eq!(
        status, 403,
        "a lineup is the Jam's: not a facilitator's to read"
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &lineup,
        &t,
        Some(json!({ "name": "A", "email": "a@example.org" })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/organizer/sessions/{session}/levers"),
        &t,
        Some(json!({ "levers": ["payment"] })),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_confirmed_presenter_gets_the_calendar_update_and_the_cancellation() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    invite_grace(&app, &t, session).await;
    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);
    let accepted = app
        .post_form(&answer_path(&invitation, "accept"), &[])
        .await;
    assert_eq!(accepted.status().as_u16(), 200);
    let confirmed = app.smtp.wait_for(GRACE, 2).await.remove(1);
    let sequence = |mail: &Mail| -> i64 {
        let (_, ics) = mail.calendar.clone().expect("a calendar part");
        let unfolded = ics.replace("\r\n ", "");
        unfolded
            .lines()
            .find_map(|l| l.strip_prefix("SEQUENCE:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("a SEQUENCE")
    };
    let first = sequence(&confirmed);

    move_forty_days_out(&app, &t, session).await;
    let update = app.smtp.wait_for(GRACE, 3).await.remove(2);
    assert!(update.subject.starts_with("Updated:"), "{}", update.subject);
    let (method, ics) = update.calendar.clone().unwrap();
    assert_eq!(method, "REQUEST");
    assert!(ics.contains(&format!("UID:{}", session_uid(&app, session))));
    assert!(sequence(&update) > first);

    cancel_for_a_holiday(&app, &t, session).await;
    let cancel = app.smtp.wait_for(GRACE, 4).await.remove(3);
    let (method, ics) = cancel.calendar.clone().unwrap();
    assert_eq!(method, "CANCEL");
    assert!(ics.contains("STATUS:CANCELLED"));
    assert!(cancel.text.contains("A holiday week"));
    assert!(sequence(&cancel) > sequence(&update));
}

#[tokio::test]
async fn a_presenter_yet_to_answer_hears_of_a_new_time_and_of_the_cancellation() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let slot = invite_grace(&app, &t, session).await;
    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);
    let old_when = invitation.subject.rsplit(" — ").next().unwrap().to_string();

    move_forty_days_out(&app, &t, session).await;
    let again = app.smtp.wait_for(GRACE, 2).await.remove(1);
    assert!(
        again.subject.starts_with("Invitation to present (updated)"),
        "{}",
        again.subject
    );
    assert!(
        again.text.contains(&old_when),
        "names the old time: {}",
        again.text
    );
    assert!(
        !again.subject.contains(&old_when),
        "and the new one: {}",
        again.subject
    );
    assert!(
        again.calendar.is_none(),
        "nothing to update in their calendar yet"
    );
    assert_eq!(
        answer_path(&again, "accept"),
        answer_path(&invitation, "accept"),
        "the links they already hold still work"
    );

    cancel_for_a_holiday(&app, &t, session).await;
    let cancel = app.smtp.wait_for(GRACE, 3).await.remove(2);
    assert!(
        cancel.subject.starts_with("Cancelled:"),
        "{}",
        cancel.subject
    );
    assert!(cancel.text.contains("A holiday week"));
    assert!(cancel.calendar.is_none());
    let late = app
        .post_form(&answer_path(&invitation, "accept"), &[])
        .await;
    assert_eq!(late.status().as_u16(), 200, "a settled answer page");
    assert_eq!(
        slot_status(&app, slot),
        "invited",
        "accepting a cancelled session does nothing"
    );
}

#[tokio::test]
async fn accepting_also_invites_to_the_prep_call_when_one_is_configured() {
    let app = TestApp::spawn_with_clock(Clock::manual(Utc::now()), |s| {
        s.lineup.prep_call_days_before = 7;
        s.lineup.prep_call_join_url = "https://zoom.us/j/prep".into();
    })
    .await;
    create_user(&app, "org@example.org", Role::Organizer);
    let t = token(&app, "org@example.org").await;
    let session = jam_three_weeks_ahead(&app).await;
    invite_grace(&app, &t, session).await;
    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);
    let accepted = app
        .post_form(&answer_path(&invitation, "accept"), &[])
        .await;
    assert_eq!(accepted.status().as_u16(), 200);
    let mails = app.smtp.wait_for(GRACE, 3).await;
    let prep = mails
        .iter()
        .find(|m| m.subject.starts_with("Prep call for"))
        .expect("a prep-call invitation");
    let (method, ics) = prep.calendar.clone().unwrap();
    assert_eq!(method, "REQUEST");
    let uid = session_uid(&app, session);
    assert!(ics.contains(&format!("UID:prep-{uid}")), "its own UID");
    assert!(prep.text.contains("https://zoom.us/j/prep"));
    // Noon New York time, seven days before the session's date.
    let starts: DateTime<Utc> = app
        .sessions()
        .await
        .into_iter()
        .find(|s| s["id"].as_i64() == Some(session))
        .unwrap()["starts_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ny = chrono_tz::America::New_York;
    let day = starts.with_timezone(&ny).date_naive() - Duration::days(7);
    let noon = day
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_local_timezone(ny)
        .unwrap()
        .with_timezone(&Utc);
    let dtstart = format!("DTSTART:{}", noon.format("%Y%m%dT%H%M%SZ"));
    assert!(ics.contains(&dtstart), "{dtstart} in {ics}");
}

#[tokio::test]
async fn withdrawing_a_confirmed_presenter_removes_the_session_from_their_calendar() {
    let (app, t) = organizer_app().await;
    let session = jam_three_weeks_ahead(&app).await;
    let slot = invite_grace(&app, &t, session).await;
    let invitation = app.smtp.wait_for(GRACE, 1).await.remove(0);
    app.post_form(&answer_path(&invitation, "accept"), &[])
        .await;
    let confirmed = app.smtp.wait_for(GRACE, 2).await.remove(1);
    let (status, _) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/organizer/lineup/{slot}"),
        &t,
        Some(json!({ "status": "withdrawn" })),
    )
    .await;
    assert_eq!(status, 200);
    let gone = app.smtp.wait_for(GRACE, 3).await.remove(2);
    assert!(
        gone.subject.starts_with("Change of plans"),
        "{}",
        gone.subject
    );
    let (method, ics) = gone.calendar.clone().unwrap();
    assert_eq!(method, "CANCEL");
    assert!(ics.contains(&format!("UID:{}", session_uid(&app, session))));
    let seq = |ics: &str| -> i64 {
        ics.replace("\r\n ", "")
            .lines()
            .find_map(|l| l.strip_prefix("SEQUENCE:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap()
    };
    assert!(seq(&ics) > seq(&confirmed.calendar.unwrap().1));
}
