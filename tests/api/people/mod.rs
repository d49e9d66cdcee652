//! A person's data across every table: one person put in each table that
//! can hold a person by driving the real app, the export listing every
//! part, then erasure (API or CLI) leaving no trace of the address or the
//! name in any text column the database catalogue lists, nor in the mail
//! and archive folders, while the counts stay and every old link dies.
//! Also: facilitators revoking and reissuing ECHO links, and sent mail
//! losing its content after `mail.retention_days`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use convene::auth::Role;
use convene::clock::Clock;
use convene::config::MailTransportKind;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    create_user, csrf_of, page, post_page, run_convene, send, sign_in, token, with_conn, TestApp,
};

const WHO: &str = "zebulon.quillfeather@example.org";
const FIRST: &str = "Zebulon";
const LAST: &str = "Quillfeather";
/// What must be nowhere after erasure (compared ignoring case).
const NEEDLES: [&str; 3] = [WHO, "quillfeather", "zebulon"];
const OTHER: &str = "stays@example.org";

fn october() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0).unwrap()
}

/// An app on a manual clock (ECHO applications open) whose mail goes to
/// `.eml` files in the test's folder.
async fn app_with_mail_files() -> TestApp {
    TestApp::spawn_with_clock(Clock::manual(october()), |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.file_dir = s.archive.dir.parent().unwrap().join("mail");
    })
    .await
}

async fn call(app: &TestApp, method: Method, path: &str, t: &str, body: Option<Value>) -> Value {
    let (status, body) = send(app, method.clone(), path, Some(t), body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path} answered {status}: {body}"
    );
    body
}

/// Waits (bounded) until the mail worker has sent everything queued.
async fn all_mail_sent(app: &TestApp) {
    for _ in 0..300 {
        let pending: i64 = with_conn(&app.pool, |c| {
            use convene::db::schema::outbox::dsl::*;
            outbox
                .filter(status.eq("pending"))
                .count()
                .get_result(c)
                .unwrap()
        });
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the outbox still had pending mail after 15 s");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Files under `dir` whose name or content mentions `needle`.
fn files_mentioning(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let needle = needle.to_lowercase();
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            p.to_string_lossy().to_lowercase().contains(&needle)
                || String::from_utf8_lossy(&bytes)
                    .to_lowercase()
                    .contains(&needle)
        })
        .collect()
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = Text)]
    c: String,
    #[diesel(sql_type = Text)]
    ty: String,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// Every `table.column` (text, JSON or binary, as the database's own
/// catalogue lists them) holding `needle`, ignoring case.
fn columns_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    with_conn(&app.pool, |c| {
        let postgres = c.is_postgres();
        let catalogue = if postgres {
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        } else {
            "SELECT m.name AS t, p.name AS c, p.type AS ty \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        };
        let columns: Vec<Column> = diesel::sql_query(catalogue).load(c).unwrap();
        assert!(
            columns
                .iter()
                .any(|col| col.t == "lineup_slots" && col.c == "bio"),
            "the catalogue lists the tables"
        );
        let mut found = Vec::new();
        for col in columns {
            let ty = col.ty.to_lowercase();
            let expr = if postgres && ty == "bytea" {
                format!("encode(\"{}\", 'escape')", col.c)
            } else if ["text", "char", "clob", "blob", "json"]
                .iter()
                .any(|k| ty.contains(k))
                || ty.is_empty()
            {
                format!("CAST(\"{}\" AS TEXT)", col.c)
            } else {
                continue;
            };
            let cells: Vec<Cell> =
                diesel::sql_query(format!("SELECT {expr} AS v FROM \"{}\"", col.t))
                    .load(c)
                    .unwrap_or_else(|e| panic!("reading {}.{}: {e}", col.t, col.c));
            let n = cells
                .iter()
                .filter(|cell| {
                    cell.v
                        .as_deref()
                        .is_some_and(|v| v.to_lowercase().contains(&needle))
                })
                .count();
            if n > 0 {
                found.push(format!("{}.{} ({n})", col.t, col.c));
            }
        }
        found
    })
}

/// Cohort 3 of the ECHO, open for applications in October 2026.
async fn create_cohort(app: &TestApp, hub: &str) {
    call(
        app,
        Method::POST,
        "/api/v1/echo/cohorts",
        hub,
        Some(json!({
            "slug": "cohort-3", "name": "Cohort 3", "starts_on": "2026-11-01", "ends_on": "2027-04-30",
            "applications_open_on": "2026-09-15", "applications_close_on": "2026-10-31",
        })),
    )
    .await;
}

/// `email` applies to cohort 3 as a participant through the public form.
async fn apply(app: &TestApp, email: &str, first: &str, last: &str, organization: &str) {
    let applied = app
        .post_form(
            "/echo/cohort-3/apply",
            &[
                ("first_name", first),
                ("last_name", last),
                ("email", email),
                ("organization", organization),
                ("organization_type", "cmhc"),
                ("state", "NY"),
                ("job_title", "Director"),
                ("role", "participant"),
                ("hopes_to_bring", "A rural crisis team's experience."),
                ("hopes_to_learn", "How to keep peer specialists."),
            ],
        )
        .await;
    assert_eq!(applied.status().as_u16(), 200, "{email} applied");
}

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

    // people, registrations, subscriptions (asked from the form).
    let registered = app
        .post_form(
            &format!("/sessions/{jam}/register"),
            &[
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
        200,
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

#[tokio::test]
async fn an_address_known_only_from_a_lineup_is_exported_and_erased() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    let t = token(&app, "admin@example.org").await;
    let jam = app.next_jam().await;
    call(
        &app,
        Method::POST,
        &format!("/api/v1/organizer/sessions/{jam}/lineup"),
        &t,
        Some(json!({ "name": "Grace Hopper", "email": "grace@example.org", "role": "presenter" })),
    )
    .await;

    let export = call(
        &app,
        Method::GET,
        "/api/v1/organizer/people/export?email=grace@example.org",
        &t,
        None,
    )
    .await;
    assert!(export["person"].is_null(), "no person record: {export}");
    assert_eq!(export["lineup_slots"][0]["name"], "Grace Hopper");
    let erased = call(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        &t,
        Some(json!({ "email": "grace@example.org" })),
    )
    .await;
    assert_eq!(erased["lineup_slots"], 1, "{erased}");
    assert!(erased["person_id"].is_null(), "{erased}");
    for needle in ["grace@example.org", "Grace Hopper"] {
        assert_eq!(
            columns_holding(&app, needle),
            Vec::<String>::new(),
            "{needle} is gone"
        );
    }
}

// ---------------------------------------------------------------- ECHO links

/// A cohort with one approved participant; returns the app, the
/// facilitator's token, the application's id and their page's path.
async fn approved_participant() -> (TestApp, String, i64, String) {
    let app = TestApp::spawn_with_clock(Clock::manual(october()), |_| {}).await;
    create_user(&app, "hub@example.org", Role::Facilitator);
    let hub = token(&app, "hub@example.org").await;
    create_cohort(&app, &hub).await;
    for (email, first) in [
        ("dorothea@example.org", "Dorothea"),
        ("clara@example.org", "Clara"),
    ] {
        apply(&app, email, first, "Dix", "Hudson Valley CMHC").await;
    }
    let id: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        applications.order(id).select(id).first(c).unwrap()
    });
    call(
        &app,
        Method::POST,
        &format!("/api/v1/echo/applications/{id}/decision"),
        &hub,
        Some(json!({ "decision": "approved" })),
    )
    .await;
    let welcome = app.smtp.wait_for("dorothea@example.org", 2).await.remove(1);
    let link = welcome
        .link("http://convene.test/echo/p/")
        .expect("a magic link");
    (app, hub, id, link)
}

fn link_audit(app: &TestApp, application: i64) -> Vec<String> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::subject.eq(format!("application:{application}")))
            .filter(audit_log::action.like("application.link%"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(c)
            .unwrap()
    })
}

#[tokio::test]
async fn a_facilitator_revokes_a_participants_link_and_it_stops_at_once() {
    let (app, hub, id, link) = approved_participant().await;
    assert_eq!(
        app.get(&link).await.status().as_u16(),
        200,
        "the link works"
    );
    create_user(&app, "org@example.org", Role::Organizer);
    let organizer = token(&app, "org@example.org").await;
    let path = format!("/api/v1/echo/applications/{id}/link");

    let (status, _) = send(&app, Method::DELETE, &path, Some(&organizer), None).await;
    assert_eq!(status, 403, "ECHO links are the facilitators'");
    let (status, _) = send(&app, Method::DELETE, &path, None, None).await;
    assert_eq!(status, 401, "signed in only");
    let (status, body) = send(
        &app,
        Method::DELETE,
        "/api/v1/echo/applications/999999/link",
        Some(&hub),
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let pending: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::applications::dsl::*;
        applications.order(id.desc()).select(id).first(c).unwrap()
    });
    let (status, body) = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/echo/applications/{pending}/link"),
        Some(&hub),
        None,
    )
    .await;
    assert_eq!(status, 409, "a pending application has no link: {body}");
    assert_eq!(body["error"]["code"], "not_approved", "{body}");

    let revoked = call(&app, Method::DELETE, &path, &hub, None).await;
    assert_eq!(revoked["has_link"], false, "{revoked}");
    assert!(
        revoked.get("access_token").is_none(),
        "never the token: {revoked}"
    );
    assert_eq!(
        app.get(&link).await.status().as_u16(),
        404,
        "the revoked link stops at once"
    );
    assert_eq!(
        app.get(&format!("{link}/calendar.ics"))
            .await
            .status()
            .as_u16(),
        404,
        "and so does its feed"
    );
    call(&app, Method::DELETE, &path, &hub, None).await;
    assert_eq!(
        link_audit(&app, id),
        ["application.link_revoked"],
        "revoking is audited once"
    );

    // Asking for one's links by e-mail does not undo a revocation.
    let before = app.smtp.to("dorothea@example.org").len();
    let asked = app
        .post_form("/echo/link", &[("email", "dorothea@example.org")])
        .await;
    assert!(asked.status().is_success() || asked.status().is_redirection());
    let queued: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        outbox
            .filter(template.eq("echo_links"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert_eq!(queued, 0, "no link is sent for a revoked one");
    assert_eq!(app.smtp.to("dorothea@example.org").len(), before);
}

#[tokio::test]
async fn a_new_link_is_mailed_and_the_old_one_stops() {
    let (app, hub, id, old) = approved_participant().await;
    let path = format!("/api/v1/echo/applications/{id}/link");

    let reissued = call(&app, Method::POST, &path, &hub, None).await;
    assert_eq!(reissued["has_link"], true, "{reissued}");
    assert_eq!(
        app.get(&old).await.status().as_u16(),
        404,
        "the old link stops"
    );
    let mail = app.smtp.wait_for("dorothea@example.org", 3).await.remove(2);
    assert!(mail.subject.contains("new link"), "{}", mail.subject);
    let new = mail
        .link("http://convene.test/echo/p/")
        .expect("the new link in the mail");
    assert_ne!(new, old, "a different link");
    assert_eq!(
        app.get(&new).await.status().as_u16(),
        200,
        "the new one works"
    );

    // Again: a second message (its own key), the previous new link dead.
    call(&app, Method::POST, &path, &hub, None).await;
    let third = app
        .smtp
        .wait_for("dorothea@example.org", 4)
        .await
        .remove(3)
        .link("http://convene.test/echo/p/")
        .unwrap();
    assert_eq!(app.get(&new).await.status().as_u16(), 404);
    assert_eq!(app.get(&third).await.status().as_u16(), 200);
    assert_eq!(
        link_audit(&app, id),
        ["application.link_reissued", "application.link_reissued"]
    );
}

#[tokio::test]
async fn the_cohort_page_revokes_and_reissues_a_link_with_its_forms() {
    let (app, _, id, link) = approved_participant().await;
    let cookie = sign_in(&app, "hub@example.org").await;
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/organizer/echo/applications/{id}/link"))
            && html.contains("Active"),
        "a link form beside the approved participant"
    );
    let csrf = csrf_of(&html);
    let form_path = format!("/organizer/echo/applications/{id}/link");

    let refused = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", &csrf), ("action", "x")],
    )
    .await;
    assert_eq!(
        refused.status().as_u16(),
        422,
        "an unknown action is refused"
    );
    let forged = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", "forged"), ("action", "revoke")],
    )
    .await;
    assert_eq!(
        forged.status().as_u16(),
        403,
        "a forged form changes nothing"
    );
    assert_eq!(app.get(&link).await.status().as_u16(), 200);

    let revoked = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", &csrf), ("action", "revoke")],
    )
    .await;
    assert_eq!(revoked.status().as_u16(), 303);
    assert_eq!(app.get(&link).await.status().as_u16(), 404, "revoked");
    let html = page(&app, "/organizer/echo/cohort-3", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Revoked"), "the page says so");

    let reissued = post_page(
        &app,
        &form_path,
        &cookie,
        &[("csrf", &csrf), ("action", "reissue")],
    )
    .await;
    assert_eq!(reissued.status().as_u16(), 303);
    let new = app
        .smtp
        .wait_for("dorothea@example.org", 3)
        .await
        .remove(2)
        .link("http://convene.test/echo/p/")
        .expect("a new link mailed");
    assert_eq!(app.get(&new).await.status().as_u16(), 200);
}

// ---------------------------------------------------------------- retention

#[tokio::test]
async fn sent_mail_keeps_only_its_metadata_after_the_retention_period() {
    let start = Utc::now();
    let app = TestApp::spawn_with_clock(Clock::manual(start), |s| {
        s.mail.transport = MailTransportKind::File;
        s.mail.file_dir = s.archive.dir.parent().unwrap().join("mail");
        s.mail.max_attempts = 1;
    })
    .await;
    assert_eq!(app.settings.mail.retention_days, 30, "the default");
    let jam = app.next_jam().await;
    app.register_ok(jam, "kept@example.org").await;
    // A failed message, and one queued for later.
    with_conn(&app.pool, |c| {
        let now = app.clock.naive();
        for (key, at) in [
            ("test:failed", now),
            ("test:later", now + Duration::days(60)),
        ] {
            convene::mail::outbox::enqueue(
                c,
                &convene::mail::NewMessage {
                    key: key.into(),
                    template: "no_such_template",
                    recipient: "kept@example.org".into(),
                    context: json!({ "first_name": "Kept" }),
                    calendar: None,
                },
                at,
            )
            .unwrap();
        }
    });
    for _ in 0..300 {
        let finished = app
            .outbox("")
            .iter()
            .filter(|(_, _, s)| s == "sent" || s == "failed")
            .count();
        if finished >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The messages queued so far (ticks queue reminders and follow-ups that
    // are not the point here).
    let keys: Vec<String> = app.outbox("").into_iter().map(|r| r.0).collect();
    let contents = || -> Vec<(String, String, bool, String, i32, bool)> {
        with_conn(&app.pool, |c| {
            use convene::db::schema::outbox::dsl::*;
            outbox
                .filter(idempotency_key.eq_any(&keys))
                .order(idempotency_key)
                .select((
                    idempotency_key,
                    context,
                    calendar.is_not_null(),
                    status,
                    attempts,
                    sent_at.is_not_null(),
                ))
                .load(c)
                .unwrap()
        })
    };
    let before = contents();
    let confirmation = before
        .iter()
        .find(|r| r.0.contains(":confirmation:"))
        .expect("a confirmation")
        .clone();
    assert_eq!(confirmation.3, "sent", "{before:?}");
    assert!(confirmation.1.contains("kept@example.org") || confirmation.1.contains("Ada"));
    assert!(confirmation.2, "a confirmation has a calendar part");
    assert!(
        !files_mentioning(&app.settings.mail.file_dir, "kept@example.org").is_empty(),
        "the file transport's copy"
    );
    let tick = |at: DateTime<Utc>| {
        let settings = std::sync::Arc::new(app.settings.clone());
        let pool = app.pool.clone();
        async move { convene::jobs::tick(&pool, settings, at).await.unwrap() }
    };

    let early = tick(start + Duration::days(29)).await;
    assert_eq!(early.mail_purged, 0, "nothing is 30 days old yet");
    assert_eq!(contents(), before, "everything kept within the period");

    let late = tick(start + Duration::days(31)).await;
    assert_eq!(late.mail_purged, 2, "the sent and the failed message");
    let after = contents();
    for (row, was) in after.iter().zip(&before) {
        assert_eq!(
            (&row.0, &row.3, row.4, row.5),
            (&was.0, &was.3, was.4, was.5),
            "key, status, attempts and dates stay"
        );
        if row.0 == "test:later" {
            assert_eq!(row.1, was.1, "a message still to be sent keeps its content");
        } else {
            assert_eq!((row.1.as_str(), row.2), ("{}", false), "{} purged", row.0);
        }
    }
    assert_eq!(
        files_mentioning(&app.settings.mail.file_dir, "kept@example.org"),
        Vec::<PathBuf>::new(),
        "the file copies past the period are gone"
    );
    assert_eq!(
        tick(start + Duration::days(32)).await.mail_purged,
        0,
        "once"
    );

    create_user(&app, "org@example.org", Role::Organizer);
    let cookie = sign_in(&app, "org@example.org").await;
    let outbox_page = page(&app, "/organizer/outbox", &cookie).await;
    assert_eq!(
        outbox_page.status().as_u16(),
        200,
        "the outbox page renders"
    );
    let html = outbox_page.text().await.unwrap();
    assert!(
        html.contains("no_such_template"),
        "the purged failed message is listed"
    );
    let failed: i64 = with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        outbox
            .filter(idempotency_key.eq("test:failed"))
            .select(id)
            .first(c)
            .unwrap()
    });
    let t = token(&app, "org@example.org").await;
    let (status, body) = send(
        &app,
        Method::POST,
        &format!("/api/v1/organizer/outbox/{failed}/retry"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!(status, 404, "nothing left to send again: {body}");
}

#[tokio::test]
async fn an_admin_erased_leaves_no_address_on_the_imports_and_assignments_they_made() {
    let app = TestApp::spawn().await;
    create_user(&app, "admin@example.org", Role::Admin);
    create_user(&app, "lead@example.org", Role::Admin);
    create_user(&app, "hub@example.org", Role::Facilitator);
    let admin = token(&app, "admin@example.org").await;
    let lead = token(&app, "lead@example.org").await;
    let jam = app.next_jam().await;
    let (status, body) = crate::attendance::upload(
        &app,
        &lead,
        jam,
        "zoom",
        crate::attendance::fixture("zoom_rejoins.csv"),
    )
    .await;
    assert_eq!(status, 200, "the admin imports a report: {body}");
    let (status, body) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts",
        Some(&lead),
        Some(crate::echo::cohort_3(20)),
    )
    .await;
    assert_eq!(status, 201, "the admin creates a cohort: {body}");
    let (status, body) = send(
        &app,
        Method::POST,
        "/api/v1/echo/cohorts/cohort-3/facilitators",
        Some(&lead),
        Some(json!({ "email": "hub@example.org" })),
    )
    .await;
    assert!(
        status < 300,
        "the admin assigns a facilitator: {status} {body}"
    );
    let signed = |c: &mut convene::db::DbConnection| -> Vec<String> {
        use convene::db::schema::{attendance_imports, cohort_facilitators};
        let mut by: Vec<String> = attendance_imports::table
            .select(attendance_imports::imported_by)
            .load(c)
            .unwrap();
        by.extend(
            cohort_facilitators::table
                .select(cohort_facilitators::assigned_by)
                .load::<String>(c)
                .unwrap(),
        );
        by
    };
    let before = with_conn(&app.pool, signed);
    assert!(
        before
            .iter()
            .filter(|b| b.contains("lead@example.org"))
            .count()
            >= 2,
        "the import and the assignment name who made them: {before:?}"
    );

    let (status, erased) = send(
        &app,
        Method::POST,
        "/api/v1/organizer/people/erase",
        Some(&admin),
        Some(json!({ "email": "lead@example.org" })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    let after = with_conn(&app.pool, signed);
    assert_eq!(after.len(), before.len(), "the rows stay");
    assert!(
        after.iter().all(|b| !b.contains("lead@example.org")),
        "no import or assignment names the erased admin: {after:?}"
    );
}
