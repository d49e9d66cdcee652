//! One person put in every table that can hold a person, exported, then
//! erased through the API or at the command line to the last trace.

use std::path::PathBuf;

use convene::auth::Role;
use diesel::prelude::*;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::json;

use super::{
    all_mail_sent, app_with_mail_files, apply, call, columns_holding, create_cohort,
    files_mentioning, FIRST, LAST, NEEDLES, OTHER, WHO,
};
use crate::helpers::{create_user, run_convene, send, token, with_conn, TestApp};

/// The links a person was sent, each to be dead after erasure.
struct Links {
    manage: String,
    echo_page: String,
    answer: String,
    unsubscribe: String,
}

/// The staff: an admin, an organizer and a facilitator, with API tokens.
struct Staff {
    admin: String,
    organizer: String,
    hub: String,
}

/// Puts WHO in every table that can hold a person, through the app as
/// people use it, and OTHER beside them; returns the links WHO was sent.
async fn everywhere(app: &TestApp) -> (Staff, i64, Links) {
    create_user(app, "admin@example.org", Role::Admin);
    create_user(app, "org@example.org", Role::Organizer);
    create_user(app, "hub@example.org", Role::Facilitator);
    let staff = Staff {
        admin: token(app, "admin@example.org").await,
        organizer: token(app, "org@example.org").await,
        hub: token(app, "hub@example.org").await,
    };
    let jam = app.next_jam().await;
    let org_name = format!("{LAST} Family Services");

    // people, registrations, subscriptions (asked from the form), and an
    // answer in their own words to the series' question.
    let (status, asked) = send(
        app,
        Method::PUT,
        "/api/v1/organizer/series/jam/questions",
        Some(&staff.organizer),
        Some(json!({ "questions": [{ "kind": "text", "label": "Anything else?" }] })),
    )
    .await;
    assert_eq!(status, 200, "{asked}");
    let question = format!("q-{}", asked["questions"][0]["id"]);
    let answer = format!("{FIRST} {LAST} brings notes");
    let registered = app
        .post_form(
            &format!("/sessions/{jam}/register"),
            &[
                (question.as_str(), answer.as_str()),
                ("first_name", FIRST),
                ("last_name", LAST),
                ("email", WHO),
                ("organization", org_name.as_str()),
                ("job_title", "Director"),
                ("sector", "provider"),
                ("state", "NY"),
                ("subscribe", "on"),
            ],
        )
        .await;
    assert_eq!(registered.status().as_u16(), 303, "registered");
    let manage = registered.headers()["location"]
        .to_str()
        .unwrap()
        .trim_end_matches("/confirmation")
        .to_string();
    app.register_ok(jam, OTHER).await;

    // proposals, working-group interests.
    let sent = app
        .post_form(
            "/interest",
            &[
                ("first_name", FIRST),
                ("last_name", LAST),
                ("email", WHO),
                ("organization", org_name.as_str()),
                ("sector", "provider"),
                ("state", "NY"),
                ("want", "present"),
                ("want", "working_group"),
                ("topic", "Paying peer specialists, fairly"),
                ("abstract", "What we changed in our rates."),
                ("lever", "payment"),
                ("month", "2026-11"),
                ("working_group", "payment"),
            ],
        )
        .await;
    assert_eq!(
        sent.status().as_u16(),
        303,
        "{}",
        sent.text().await.unwrap()
    );

    // lineup_slots, with the answer link.
    let slot = call(
        app,
        Method::POST,
        &format!("/api/v1/organizer/sessions/{jam}/lineup"),
        &staff.organizer,
        Some(json!({
            "name": format!("{FIRST} {LAST}"), "email": WHO, "role": "presenter",
            "talk_title": "Rates that keep peers",
            "bio": format!("{FIRST} runs {org_name}."),
            "minutes": 20, "levers": ["payment"], "invite": true,
        })),
    )
    .await;
    let slot_id = slot["id"].as_i64().unwrap();

    // materials naming them as presenter.
    let form = Form::new()
        .text("kind", "slides")
        .text("title", "Rates that keep peers")
        .text("presenter", format!("{FIRST} {LAST}"))
        .text("url", "https://example.org/deck");
    let response = app
        .client
        .post(format!("{}/api/v1/sessions/{jam}/materials", app.address))
        .bearer_auth(&staff.organizer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "a material");

    // attendance: a report naming them, and a change by hand with a reason.
    let report =
        format!("Name,Email Address,Minutes\n{FIRST} {LAST},{WHO},45\nSam Smith,{OTHER},30\n");
    let imported = app
        .client
        .post(format!(
            "{}/api/v1/sessions/{jam}/attendance/csv",
            app.address
        ))
        .bearer_auth(&staff.organizer)
        .header("content-type", "text/csv")
        .body(report)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status().as_u16(), 200, "attendance imported");
    call(
        app,
        Method::POST,
        &format!("/api/v1/sessions/{jam}/attendance/mark"),
        &staff.organizer,
        Some(json!({ "email": WHO, "attended": true, "minutes": 60,
                     "reason": format!("{FIRST} {LAST} stayed on by phone") })),
    )
    .await;

    // applications (approved), cases with an attachment, faculty.
    create_cohort(app, &staff.hub).await;
    apply(app, WHO, FIRST, LAST, &org_name).await;
    let application: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        applications.select(id).first(c).unwrap()
    });
    call(
        app,
        Method::POST,
        &format!("/api/v1/echo/applications/{application}/decision"),
        &staff.hub,
        Some(json!({ "decision": "approved", "message": format!("Welcome, {FIRST}!") })),
    )
    .await;
    let (echo_token, first_echo_session) = with_conn(&app.pool, |c| {
        use convene::db::schema::{applications, echo_sessions};
        let t: Option<String> = applications::table
            .find(application)
            .select(applications::access_token_sealed)
            .first(c)
            .unwrap();
        let s: i64 = echo_sessions::table
            .select(echo_sessions::session_id)
            .order(echo_sessions::occurrence_date)
            .first(c)
            .unwrap();
        (
            crate::helpers::open_link(app, &t.expect("an approved application has a link")),
            s,
        )
    });
    let echo_page = format!("/echo/p/{echo_token}");
    let case = Form::new()
        .text("title", "Keeping peer specialists past year one")
        .text("organization_type", "cmhc")
        .text("size_band", "50-199")
        .text("setting", "rural")
        .text("state", "NY")
        .text("challenge", "retention")
        .text(
            "challenge_text",
            "Peer specialists leave within their first year.",
        )
        .text("tried", "We raised pay 6% in 2024.")
        .text(
            "question",
            "What would you change first to keep peers past their first year?",
        )
        .text("levers", "payment")
        .text("preferred_session_id", "")
        .text("attest", "yes")
        .part(
            "attachment",
            Part::bytes(crate::echo_cases::pdf()).file_name(format!("{LAST} case notes.pdf")),
        );
    let submitted = app
        .client
        .post(format!("{}{echo_page}/cases", app.address))
        .multipart(case)
        .send()
        .await
        .unwrap();
    assert_eq!(
        submitted.status().as_u16(),
        303,
        "a case with an attachment"
    );
    call(
        app,
        Method::PATCH,
        &format!("/api/v1/echo/sessions/{first_echo_session}"),
        &staff.hub,
        Some(
            json!({ "didactic_topic": "Supervision", "faculty_name": format!("{FIRST} {LAST}"),
                     "faculty_email": WHO, "case_slots": 1 }),
        ),
    )
    .await;

    // users: an organizer account at the same address.
    with_conn(&app.pool, |c| {
        convene::auth::store::create(
            c,
            &convene::audit::Actor::cli(),
            WHO,
            &format!("{FIRST} {LAST}"),
            Role::Facilitator,
            &convene::auth::password::hash(crate::helpers::PASSWORD).unwrap(),
            app.clock.naive(),
        )
        .unwrap();
    });

    all_mail_sent(app).await;
    let (answer, unsubscribe) = with_conn(&app.pool, |c| {
        use convene::db::schema::{lineup_slots, subscriptions};
        let answer: Option<String> = lineup_slots::table
            .find(slot_id)
            .select(lineup_slots::response_token_sealed)
            .first(c)
            .unwrap();
        let unsubscribe: Option<String> = subscriptions::table
            .select(subscriptions::token_sealed)
            .order(subscriptions::id)
            .first(c)
            .unwrap();
        (
            crate::helpers::open_link(app, &answer.expect("an invited slot has a token")),
            crate::helpers::open_link(app, &unsubscribe.expect("a subscription has a link")),
        )
    });
    let links = Links {
        manage,
        echo_page,
        answer: format!("/present/{answer}/accept"),
        unsubscribe: format!("/u/{unsubscribe}"),
    };
    (staff, jam, links)
}

const PARTS: [&str; 13] = [
    "registrations",
    "subscriptions",
    "proposals",
    "working_group_interests",
    "lineup_slots",
    "applications",
    "cases",
    "faculty",
    "attendance",
    "materials",
    "accounts",
    "messages",
    "audit",
];

/// Everything the export must show, and what must be true before erasing
/// so that the checks after it can fail.
async fn export_lists_every_part(app: &TestApp, staff: &Staff, links: &Links) {
    let (status, export) = send(
        app,
        Method::GET,
        &format!("/api/v1/organizer/people/export?email={WHO}"),
        Some(&staff.organizer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["person"]["email"], WHO, "the person record");
    for part in PARTS {
        assert!(
            export[part].as_array().is_some_and(|rows| !rows.is_empty()),
            "the export lists {part}: {export:#}"
        );
    }
    assert_eq!(
        export["cases"][0]["attachment"]["filename"],
        format!("{LAST} case notes.pdf"),
        "the attachment is listed by name"
    );
    assert_eq!(export["lineup_slots"][0]["name"], format!("{FIRST} {LAST}"));
    let text = export.to_string();
    assert!(
        !text.contains(links.echo_page.trim_start_matches("/echo/p/"))
            && !text.contains(links.answer.split('/').nth(2).unwrap()),
        "no link's token in the export"
    );

    for (what, link) in [
        ("manage", &links.manage),
        ("ECHO page", &links.echo_page),
        ("presenter answer", &links.answer),
        ("unsubscribe", &links.unsubscribe),
    ] {
        assert_eq!(
            app.get(link).await.status().as_u16(),
            200,
            "the {what} link works before erasure"
        );
    }
    for needle in NEEDLES {
        assert!(
            !columns_holding(app, needle).is_empty(),
            "{needle} is held before erasure"
        );
    }
    assert!(
        !files_mentioning(&app.settings.mail.file_dir, WHO).is_empty(),
        "the mail folder holds copies of their mail"
    );
}

/// No trace left anywhere, every link dead, and the others' data and the
/// counts kept.
async fn nothing_is_left(app: &TestApp, jam: i64, links: &Links, counts_before: (i64, i64)) {
    for needle in NEEDLES {
        assert_eq!(
            columns_holding(app, needle),
            Vec::<String>::new(),
            "no column holds {needle} after erasure"
        );
        for dir in [&app.settings.mail.file_dir, &app.settings.archive.dir] {
            assert_eq!(
                files_mentioning(dir, needle),
                Vec::<PathBuf>::new(),
                "no file under {} mentions {needle}",
                dir.display()
            );
        }
    }
    assert!(
        !columns_holding(app, OTHER).is_empty(),
        "someone else's data stays"
    );
    assert!(
        !files_mentioning(&app.settings.mail.file_dir, OTHER).is_empty(),
        "someone else's mail stays"
    );
    for (what, link) in [
        ("manage", &links.manage),
        ("ECHO page", &links.echo_page),
        ("presenter answer", &links.answer),
        ("unsubscribe", &links.unsubscribe),
    ] {
        assert_eq!(
            app.get(link).await.status().as_u16(),
            404,
            "the {what} link leads nowhere after erasure"
        );
    }
    assert_eq!(
        app.registered_count(jam).await,
        counts_before,
        "registrations are still counted"
    );
    with_conn(&app.pool, |c| {
        use convene::db::schema::{applications, attendance, case_attachments, cases};
        let kept: (i64, i64, i64, i64) = (
            applications::table.count().get_result(c).unwrap(),
            cases::table.count().get_result(c).unwrap(),
            attendance::table.count().get_result(c).unwrap(),
            case_attachments::table.count().get_result(c).unwrap(),
        );
        assert_eq!(
            kept,
            (1, 1, 2, 0),
            "application, case and attendance rows stay, the attachment goes"
        );
    });
}

#[tokio::test]
async fn a_person_in_every_table_is_exported_and_erased_through_the_api_to_the_last_trace() {
    let app = app_with_mail_files().await;
    let (staff, jam, links) = everywhere(&app).await;
    export_lists_every_part(&app, &staff, &links).await;
    let counts_before = app.registered_count(jam).await;

    let (status, erased) = send(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&staff.admin),
        Some(json!({ "email": WHO })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    for part in [
        "registrations",
        "lineup_slots",
        "applications",
        "cases",
        "faculty",
        "materials",
        "accounts",
        "messages",
    ] {
        assert!(
            erased[part].as_u64().is_some_and(|n| n > 0),
            "erasure touched {part}: {erased}"
        );
    }
    nothing_is_left(&app, jam, &links, counts_before).await;

    let (status, _) = send(
        &app,
        Method::GET,
        &format!("/api/v1/organizer/people/export?email={WHO}"),
        Some(&staff.organizer),
        None,
    )
    .await;
    assert_eq!(status, 404, "nothing is held any more");
}

#[tokio::test]
async fn a_person_in_every_table_is_erased_at_the_command_line_to_the_last_trace() {
    let app = app_with_mail_files().await;
    let (staff, jam, links) = everywhere(&app).await;
    export_lists_every_part(&app, &staff, &links).await;
    let counts_before = app.registered_count(jam).await;

    let run = run_convene(&app, &["people", "erase", "--email", WHO], "").await;
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stdout.contains("lineup_slots 1") && run.stdout.contains("cases 1"),
        "says what it touched: {}",
        run.stdout
    );
    nothing_is_left(&app, jam, &links, counts_before).await;

    let (status, _) = send(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&staff.admin),
        Some(json!({ "email": WHO })),
    )
    .await;
    assert_eq!(status, 404, "erasing twice finds nothing");
    let run = run_convene(&app, &["people", "export", "--email", WHO], "").await;
    assert!(!run.ok, "nothing left to export");
}
