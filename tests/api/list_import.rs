//! Bringing the list organizers already have (issue 17): `convene list
//! import` / `export`, the API and the lists page. Imported people become
//! confirmed subscribers with their consent's source, without mail; the
//! unsubscribed stay unsubscribed; the same file again changes nothing.

use convene::auth::Role;
use diesel::prelude::*;

use crate::helpers::{
    create_user, csrf_of, open_link, page, post_multipart, run_convene, sign_in, token, with_conn,
    TestApp,
};

const CONSENT: &str = "signed up at the 2025 annual conference";

/// Writes `text` into the test's folder; its path.
fn file(app: &TestApp, name: &str, text: &str) -> String {
    let path = app.db.dir().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The address's subscription to `list`: (status, consent source).
fn subscription(app: &TestApp, email: &str, list: &str) -> Option<(String, Option<String>)> {
    use convene::db::schema::{people, subscriptions};
    with_conn(&app.pool, |c| {
        subscriptions::table
            .inner_join(people::table)
            .filter(people::email.eq(email))
            .filter(subscriptions::list_slug.eq(list))
            .select((subscriptions::status, subscriptions::consent_source))
            .first(c)
            .optional()
            .unwrap()
    })
}

/// The person's (first name, organization, state).
fn person(app: &TestApp, email: &str) -> Option<(String, String, String)> {
    use convene::db::schema::people;
    with_conn(&app.pool, |c| {
        people::table
            .filter(people::email.eq(email))
            .select((people::first_name, people::organization, people::state))
            .first(c)
            .optional()
            .unwrap()
    })
}

fn outbox_rows(app: &TestApp) -> i64 {
    use convene::db::schema::outbox;
    with_conn(&app.pool, |c| outbox::table.count().get_result(c).unwrap())
}

fn audited(app: &TestApp, action: &str) -> i64 {
    use convene::db::schema::audit_log;
    with_conn(&app.pool, |c| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(c)
            .unwrap()
    })
}

/// Subscribes and confirms `email` to the Jam list, then unsubscribes
/// through the list's link.
async fn unsubscribed(app: &TestApp, email: &str) {
    use convene::db::schema::{people, subscriptions};
    app.subscribe_confirmed(email, &["jam"]).await;
    let sealed: Option<String> = with_conn(&app.pool, |c| {
        subscriptions::table
            .inner_join(people::table)
            .filter(people::email.eq(email))
            .select(subscriptions::token_sealed)
            .first(c)
            .unwrap()
    });
    let token = open_link(app, &sealed.expect("a sealed unsubscribe link"));
    let response = app.post_form(&format!("/u/{token}"), &[]).await;
    assert_eq!(response.status().as_u16(), 200, "unsubscribe {email}");
    assert_eq!(subscription(app, email, "jam").unwrap().0, "unsubscribed");
}

#[tokio::test]
async fn the_command_imports_confirmed_subscribers_keeps_the_unsubscribed_and_changes_nothing_again(
) {
    let app = TestApp::spawn().await;
    unsubscribed(&app, "gone@example.org").await;
    // Asked to subscribe here, never confirmed; gave an organization.
    let response = app
        .post_form(
            "/subscribe",
            &[
                ("first_name", "Kim"),
                ("last_name", "Known"),
                ("email", "known@example.org"),
                ("organization", "Kept Org"),
                ("list", "jam"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "sent to the sent page");
    let mail_before = outbox_rows(&app);
    let path = file(
        &app,
        "excel.csv",
        "\u{feff}Email;First Name;Last Name;Organisation;Sector;State\r\n\
         new@example.org;Nia;New;New Org;provider;NY\r\n\
         known@example.org;Kay;Known;Other Org;;California\r\n\
         gone@example.org;Gus;Gone;;;\r\n\
         not-an-address;Bad;Row;;;\r\n\
         NEW@example.org;Nia;Again;;;\r\n\
         later@example.org;Lee;Later;;pirates;\r\n",
    );
    let args = [
        "list",
        "import",
        "--list",
        "jam",
        &path,
        "--consent",
        CONSENT,
    ];

    let first = run_convene(&app, &args, "").await;
    assert!(first.ok, "the import should succeed: {}", first.stderr);
    assert!(
        first.stdout.contains("6 row(s) read into list `jam`: 2 added as confirmed subscribers, 0 already subscribed, 1 kept unsubscribed, 1 repeated address(es), 2 refused"),
        "the counts: {}",
        first.stdout
    );
    assert!(
        first.stdout.contains("line 5: email") && first.stdout.contains("line 7: sector"),
        "bad rows are named by line: {}",
        first.stdout
    );
    assert_eq!(
        subscription(&app, "new@example.org", "jam"),
        Some(("confirmed".into(), Some(CONSENT.into()))),
        "a new address is a confirmed subscriber with its consent"
    );
    assert_eq!(
        subscription(&app, "known@example.org", "jam").unwrap().0,
        "confirmed",
        "one who asked and never confirmed is confirmed by the consent given elsewhere"
    );
    assert_eq!(
        person(&app, "known@example.org"),
        Some(("Kim".into(), "Kept Org".into(), "CA".into())),
        "given details are kept, a blank one is filled"
    );
    assert_eq!(
        subscription(&app, "gone@example.org", "jam").unwrap().0,
        "unsubscribed",
        "an import never re-subscribes"
    );
    assert_eq!(
        person(&app, "later@example.org"),
        None,
        "a refused row writes nothing"
    );
    assert_eq!(outbox_rows(&app), mail_before, "an import sends no mail");

    let again = run_convene(&app, &args, "").await;
    assert!(again.ok, "{}", again.stderr);
    assert!(
        again.stdout.contains(
            "0 added as confirmed subscribers, 2 already subscribed, 1 kept unsubscribed"
        ),
        "the same file again changes nothing: {}",
        again.stdout
    );
    assert_eq!(outbox_rows(&app), mail_before);
    assert_eq!(audited(&app, "list.import"), 2, "each import is audited");
}

#[tokio::test]
async fn a_strict_import_with_a_bad_row_writes_nothing() {
    let app = TestApp::spawn().await;
    let path = file(
        &app,
        "list.csv",
        "email,first name,last name\ngood@example.org,Gail,Good\nbad@,Bad,Row\n",
    );
    let run = run_convene(
        &app,
        &[
            "list",
            "import",
            "--list",
            "jam",
            &path,
            "--consent",
            CONSENT,
            "--strict",
        ],
        "",
    )
    .await;
    assert!(!run.ok, "a bad row refuses a strict import");
    assert!(
        run.stderr.contains("line 3"),
        "the line is named: {}",
        run.stderr
    );
    assert_eq!(person(&app, "good@example.org"), None, "nothing is written");

    let no_consent = run_convene(
        &app,
        &["list", "import", "--list", "jam", &path, "--consent", " "],
        "",
    )
    .await;
    assert!(
        !no_consent.ok && no_consent.stderr.contains("consent"),
        "{}",
        no_consent.stderr
    );
    let no_list = run_convene(
        &app,
        &[
            "list",
            "import",
            "--list",
            "spam",
            &path,
            "--consent",
            CONSENT,
        ],
        "",
    )
    .await;
    assert!(
        !no_list.ok && no_list.stderr.contains("spam"),
        "{}",
        no_list.stderr
    );
}

#[tokio::test]
async fn the_api_imports_and_the_export_imports_again_from_the_lists_page() {
    let app = TestApp::spawn().await;
    create_user(&app, "org@example.org", Role::Organizer);
    let bearer = token(&app, "org@example.org").await;
    let csv = "email,first_name,last_name,organization,sector,state\n\
               ada@example.org,Ada,Lovelace,=cmd,academic,NY\n\
               bo@example.org,Bo,Brown,,,\n\
               cy@example.org,Cy,Chen,Chen Partners,provider,outside_us\n";
    let import = |query: &'static str| {
        app.client
            .post(format!("{}/api/v1/lists/jam/import{query}", app.address))
            .bearer_auth(&bearer)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
    };
    let response = import("").await.unwrap();
    assert_eq!(response.status().as_u16(), 422, "the consent is required");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["fields"]["consent"].is_string(), "{body}");

    let response = import("?consent=Signed%20up%20at%20the%20conference")
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let done: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (
            done["rows"].as_u64(),
            done["added"].as_u64(),
            done["refused"].as_u64()
        ),
        (Some(3), Some(3), Some(0)),
        "{done}"
    );

    let response = app
        .client
        .get(format!("{}/api/v1/lists/jam/export", app.address))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let exported = response.text().await.unwrap();
    assert!(
        exported.contains("consent_source") && exported.contains("Signed up at the conference"),
        "the export says where the consent comes from: {exported}"
    );
    assert!(exported.contains("'=cmd"), "formula-safe: {exported}");

    // The export, imported into the other list from the lists page.
    let cookie = sign_in(&app, "org@example.org").await;
    let html = page(&app, "/organizer/lists", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("/organizer/lists/echo/import"),
        "an import form per list"
    );
    let response = post_multipart(
        &app,
        "/organizer/lists/echo/import",
        &cookie,
        &[
            ("csrf", &csrf_of(&html)),
            ("consent", "Copied from the Jam list"),
        ],
        ("jam.csv", exported.clone().into_bytes()),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let result = response.text().await.unwrap();
    assert!(
        result.contains("<dt>Added as confirmed subscribers</dt><dd>3</dd>"),
        "{result}"
    );
    for email in ["ada@example.org", "bo@example.org", "cy@example.org"] {
        assert_eq!(
            subscription(&app, email, "echo"),
            Some(("confirmed".into(), Some("Copied from the Jam list".into()))),
            "{email}"
        );
    }
    let out = app.db.dir().join("echo.csv");
    let run = run_convene(
        &app,
        &[
            "list",
            "export",
            "--list",
            "echo",
            "-o",
            &out.to_string_lossy(),
        ],
        "",
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let people = |csv: &str| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(
        people(&std::fs::read_to_string(&out).unwrap()),
        people(&exported),
        "the export round-trips: the same people and details"
    );
    assert!(audited(&app, "list.export") >= 2, "exports are audited");
}
