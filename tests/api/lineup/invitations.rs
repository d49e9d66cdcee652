//! A presenter's invitation: accepted, declined, expired, reminded.

use chrono::Duration;
use convene::config::Offset;
use convene::jobs;

use super::{
    answer_path, invite_grace, jam_three_weeks_ahead, organizer_app, session_uid, slot_status,
    tick, GRACE,
};
use crate::helpers::with_conn;

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
