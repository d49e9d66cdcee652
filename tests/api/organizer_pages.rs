//! The organizer pages' forms, driven as a browser would: sign in, read the
//! CSRF token off the page, post the form, follow the 303 by hand. Each
//! form runs the API's checks (a refusal names the field) and operation
//! (audited, with its e-mails through the real SMTP server).

use convene::auth::Role;

use crate::helpers::{
    create_user, csrf_of, page, post_page, registration_form, sign_in, with_conn, TestApp,
};

/// An app with an organizer signed in: (app, cookie, csrf).
async fn signed_in() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;
    let html = text(&app, "/organizer", &cookie).await;
    let csrf = csrf_of(&html);
    (app, cookie, csrf)
}

async fn text(app: &TestApp, path: &str, cookie: &str) -> String {
    let response = page(app, path, cookie).await;
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    response.text().await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(
        response.status().as_u16(),
        303,
        "a form that worked redirects"
    );
    response.headers()["location"].to_str().unwrap().to_string()
}

fn audited(app: &TestApp, action: &str) -> usize {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log;
        use diesel::prelude::*;
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result::<i64>(c)
            .unwrap() as usize
    })
}

#[tokio::test]
async fn a_one_off_session_is_created_from_the_dashboard_and_its_details_edited() {
    let (app, cookie, csrf) = signed_in().await;
    let dashboard = text(&app, "/organizer", &cookie).await;
    assert!(dashboard.contains("Create a one-off session"));
    let start = (chrono::Utc::now() + chrono::Duration::days(45))
        .format("%Y-%m-%d 15:00")
        .to_string();

    // Bad fields: refused with a message per field, nothing created.
    let before = app.sessions().await.len();
    let bad = post_page(
        &app,
        "/organizer/sessions",
        &cookie,
        &[
            ("csrf", &csrf),
            ("series", "jam"),
            ("title", "  "),
            ("start", "soon"),
            ("capacity", "0"),
        ],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    for field in ["title:", "start:", "capacity:"] {
        assert!(html.contains(field), "{field} named in {html}");
    }
    assert_eq!(app.sessions().await.len(), before);

    let created = post_page(
        &app,
        "/organizer/sessions",
        &cookie,
        &[
            ("csrf", &csrf),
            ("series", "jam"),
            ("title", "Special: the 988 workforce"),
            ("start", &start),
            ("duration", "90m"),
            ("description", ""),
            ("join_url", ""),
            ("capacity", "40"),
        ],
    )
    .await;
    let to = location(&created);
    let id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
    let listed = app.sessions().await;
    let session = listed.iter().find(|s| s["id"] == id).expect("listed");
    assert_eq!(session["title"], "Special: the 988 workforce");
    assert_eq!(session["capacity"], 40);
    assert_eq!(audited(&app, "session.create"), 1);

    // Someone registers; then the details change and they are told.
    app.register_ok(id, "ada@example.org").await;
    app.smtp.wait_for("ada@example.org", 1).await;
    let html = text(&app, &to, &cookie).await;
    assert!(html.contains("Edit the details"));
    let edited = post_page(
        &app,
        &format!("/organizer/sessions/{id}/details"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "Special: the 988 crisis workforce"),
            ("description", ""),
            ("join_url", "https://zoom.us/j/98800"),
            ("capacity", "60"),
        ],
    )
    .await;
    assert_eq!(location(&edited), to);
    let update = app.smtp.wait_for("ada@example.org", 2).await.remove(1);
    let (method, ics) = update.calendar.clone().expect("a calendar update");
    assert_eq!(method, "REQUEST");
    assert!(ics.contains("https://zoom.us/j/98800"), "{ics}");
    assert!(text(&app, &to, &cookie)
        .await
        .contains("the 988 crisis workforce"));
    assert_eq!(audited(&app, "session.update"), 1);

    let bad = post_page(
        &app,
        &format!("/organizer/sessions/{id}/details"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "x"),
            ("join_url", "ftp://x"),
            ("capacity", "many"),
        ],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("join url:") && html.contains("capacity:"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"{to}\"")),
        "a way back: {html}"
    );
}

#[tokio::test]
async fn someone_is_registered_by_hand_from_the_session_page() {
    let (app, cookie, csrf) = signed_in().await;
    let session = app.next_jam().await;
    let path = format!("/organizer/sessions/{session}/registrations");

    let mut form = registration_form("not an address");
    form.push(("csrf", &csrf));
    let bad = post_page(&app, &path, &cookie, &form).await;
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad.text().await.unwrap().contains("email:"));
    assert_eq!(app.registered_count(session).await, (0, 0));

    let mut form = registration_form("grace@example.org");
    form.push(("csrf", &csrf));
    let added = post_page(&app, &path, &cookie, &form).await;
    assert_eq!(location(&added), format!("/organizer/sessions/{session}"));
    assert_eq!(app.registered_count(session).await, (1, 0));
    let confirmation = app.smtp.wait_for("grace@example.org", 1).await.remove(0);
    assert!(confirmation.calendar.is_some(), "the usual invitation");
    assert_eq!(audited(&app, "registration.add"), 1);
    let html = text(&app, &format!("/organizer/sessions/{session}"), &cookie).await;
    assert!(html.contains("grace@example.org"));

    // Without the sign-in's token nothing happens.
    let forged = post_page(&app, &path, &cookie, &registration_form("eve@example.org")).await;
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(app.registered_count(session).await, (1, 0));
}

#[tokio::test]
async fn the_lineup_is_managed_from_the_session_page() {
    let (app, cookie, csrf) = signed_in().await;
    let session = app.next_jam().await;
    let back = format!("/organizer/sessions/{session}");
    let add = |name: &'static str, email: &'static str, invite: bool| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let mut form = vec![
                ("csrf", csrf.as_str()),
                ("name", name),
                ("email", email),
                ("role", "panelist"),
                ("talk_title", "Peer support pay"),
                ("minutes", "15"),
                ("levers", "payment"),
                ("levers", "workforce-expansion"),
            ];
            if invite {
                form.push(("invite", "true"));
            }
            post_page(
                app,
                &format!("/organizer/sessions/{session}/lineup"),
                &cookie,
                &form,
            )
            .await
        }
    };
    assert_eq!(
        location(&add("Grace Hopper", "grace@example.org", true).await),
        back
    );
    assert_eq!(
        location(&add("Alan Turing", "alan@example.org", false).await),
        back
    );
    let invitation = app.smtp.wait_for("grace@example.org", 1).await.remove(0);
    assert!(invitation.subject.starts_with("Invitation to present"));

    let bad = post_page(
        &app,
        &format!("/organizer/sessions/{session}/lineup"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", ""),
            ("email", "x"),
            ("minutes", "lots"),
            ("levers", "vibes"),
        ],
    )
    .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    for field in ["name:", "email:", "minutes:", "levers:"] {
        assert!(html.contains(field), "{field} in {html}");
    }

    let slots: Vec<(i64, String, String)> = with_conn(&app.pool, |c| {
        use convene::db::schema::lineup_slots::dsl::*;
        use diesel::prelude::*;
        lineup_slots
            .order(position)
            .select((id, name, status))
            .load(c)
            .unwrap()
    });
    assert_eq!(slots.len(), 2);
    assert_eq!(
        (slots[0].2.as_str(), slots[1].2.as_str()),
        ("invited", "draft")
    );
    let (grace, alan) = (slots[0].0, slots[1].0);
    let act = |slot: i64, action: &'static str| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            post_page(
                app,
                &format!("/organizer/lineup/{slot}/{action}"),
                &cookie,
                &[("csrf", &csrf)],
            )
            .await
        }
    };
    assert_eq!(location(&act(alan, "up").await), back);
    let order: Vec<String> = with_conn(&app.pool, |c| {
        use convene::db::schema::lineup_slots::dsl::*;
        use diesel::prelude::*;
        lineup_slots.order(position).select(name).load(c).unwrap()
    });
    assert_eq!(order, ["Alan Turing", "Grace Hopper"]);
    assert_eq!(location(&act(alan, "invite").await), back);
    app.smtp.wait_for("alan@example.org", 1).await;
    assert_eq!(location(&act(grace, "withdraw").await), back);
    let html = text(&app, &back, &cookie).await;
    assert!(
        html.contains("withdrawn") && html.contains("Alan Turing"),
        "{html}"
    );
    assert_eq!(audited(&app, "lineup.withdraw"), 1);

    // The session's own tags, shown on the public page.
    let tagged = post_page(
        &app,
        &format!("/organizer/sessions/{session}/levers"),
        &cookie,
        &[
            ("csrf", &csrf),
            ("levers", "technology"),
            ("levers", "clinical-model"),
        ],
    )
    .await;
    assert_eq!(location(&tagged), back);
    let public = app
        .get(&format!("/sessions/{session}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        public.contains("Technology") && public.contains("Clinical model"),
        "{public}"
    );
}

#[tokio::test]
async fn proposals_are_accepted_or_declined_from_their_page() {
    let (app, cookie, csrf) = signed_in().await;
    for (first, email, topic) in [
        ("Florence", "florence@example.org", "Counting what matters"),
        ("Mary", "mary@example.org", "Night shifts"),
    ] {
        let form = [
            ("first_name", first),
            ("last_name", "Example"),
            ("email", email),
            ("organization", "Scutari Behavioral Health"),
            ("sector", "provider"),
            ("state", "VA"),
            ("want", "present"),
            ("topic", topic),
            ("abstract", "Measuring retention month by month."),
            ("lever", "quality-accountability"),
        ];
        assert_eq!(
            app.post_form("/interest", &form).await.status().as_u16(),
            303
        );
    }
    let html = text(&app, "/organizer/proposals", &cookie).await;
    assert!(html.contains("Counting what matters") && html.contains("Night shifts"));
    let ids: Vec<i64> = with_conn(&app.pool, |c| {
        use convene::db::schema::proposals::dsl::*;
        use diesel::prelude::*;
        proposals.order(id).select(id).load(c).unwrap()
    });
    let session = app.next_jam().await;
    let session_id = session.to_string();

    let accepted = post_page(
        &app,
        &format!("/organizer/proposals/{}/accept", ids[0]),
        &cookie,
        &[
            ("csrf", &csrf),
            ("session_id", &session_id),
            ("invite", "true"),
        ],
    )
    .await;
    assert_eq!(
        location(&accepted),
        format!("/organizer/sessions/{session}")
    );
    let invited = app.smtp.wait_for("florence@example.org", 2).await;
    assert!(invited
        .iter()
        .any(|m| m.subject.starts_with("Invitation to present")));

    let unexplained = post_page(
        &app,
        &format!("/organizer/proposals/{}/decline", ids[1]),
        &cookie,
        &[("csrf", &csrf), ("message", " ")],
    )
    .await;
    assert_eq!(unexplained.status().as_u16(), 422);
    let declined = post_page(
        &app,
        &format!("/organizer/proposals/{}/decline", ids[1]),
        &cookie,
        &[
            ("csrf", &csrf),
            (
                "message",
                "The spring is full; please try again in the fall.",
            ),
        ],
    )
    .await;
    assert_eq!(location(&declined), "/organizer/proposals");
    let mails = app.smtp.wait_for("mary@example.org", 2).await;
    assert!(mails
        .iter()
        .any(|m| m.text.contains("please try again in the fall")));
    let again = post_page(
        &app,
        &format!("/organizer/proposals/{}/decline", ids[1]),
        &cookie,
        &[("csrf", &csrf), ("message", "Twice")],
    )
    .await;
    assert_eq!(again.status().as_u16(), 409, "decided once");
    let html = text(&app, "/organizer/proposals", &cookie).await;
    assert!(html.contains("Nothing is waiting."), "{html}");
}

#[tokio::test]
async fn a_facilitator_gets_no_jam_page_and_their_forms_are_refused() {
    let app = TestApp::spawn().await;
    create_user(&app, "fac@example.org", Role::Facilitator);
    let cookie = sign_in(&app, "fac@example.org").await;
    let session = app.next_jam().await;
    for path in [
        format!("/organizer/sessions/{session}"),
        "/organizer/proposals".into(),
    ] {
        let refused = page(&app, &path, &cookie).await;
        assert_eq!(refused.status().as_u16(), 403, "GET {path}: the Jam's");
    }
    let csrf = csrf_of(&text(&app, "/organizer", &cookie).await);
    let refused = post_page(
        &app,
        &format!("/organizer/sessions/{session}/details"),
        &cookie,
        &[("csrf", &csrf), ("title", "Mine now")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
}
