//! Presenters told of a session's changes: a new time, a cancellation,
//! the prep call, a withdrawal.

use chrono::{DateTime, Duration, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use serde_json::json;

use super::{
    answer_path, call, cancel_for_a_holiday, invite_grace, jam_three_weeks_ahead,
    move_forty_days_out, organizer_app, session_uid, slot_status, GRACE,
};
use crate::helpers::{create_user, token, Mail, TestApp};

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
